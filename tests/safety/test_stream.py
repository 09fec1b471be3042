"""The console's live stream: every new case and change of the agent's kinds of case, as
server-sent events, resumable with Last-Event-ID."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx

from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import StaffRole
from linkplus.runtime import Runtime
from linkplus.safety import live
from tests.safety.support import safety_car, staff

STREAM = "/api/v1/staff/safety/stream"


def events(text: str) -> list[dict[str, Any]]:
    found = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if fields.get("event") == "case":
            found.append({"id": int(fields["id"]), **json.loads(fields["data"])})
    return found


async def test_a_new_case_reaches_an_open_stream(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    _, headers = await staff(runtime, StaffRole.emergency_agent)
    # A stream already waiting when the case opens (``after``: from the empty start, so how
    # soon the request gets going on a loaded machine does not matter).
    listening = asyncio.create_task(
        client.get(STREAM, params={"max_events": 2, "after": 0}, headers=headers)
    )
    await asyncio.sleep(0.5)  # real time: let the stream reach its polling
    await car.emergency(uuid.uuid4(), at=clock.now(), sensor="airbag")
    response = await asyncio.wait_for(listening, 15)
    assert response.headers["content-type"].startswith("text/event-stream")
    seen = events(response.text)
    assert [e["action"] for e in seen] == ["opened", "attempt"]
    assert seen[0]["case"]["kind"] == "collision"
    assert "vin" not in seen[0]["case"]  # the queue's summary: no person, no car

    resumed = await client.get(
        STREAM, params={"max_events": 1}, headers={**headers, "Last-Event-ID": str(seen[0]["id"])}
    )
    assert [e["action"] for e in events(resumed.text)] == ["attempt"]


async def test_the_stream_carries_only_the_agents_kinds_of_case(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    await car.emergency(uuid.uuid4(), at=clock.now())
    _, svt = await staff(runtime, StaffRole.svt_agent)
    reported = await client.post(
        f"/api/v1/vehicles/{car.vin}/safety/theft",
        json={"police_reference": "PV-1234"},
        headers=await car.owner_headers(),
    )
    assert reported.status_code == 201
    response = await client.get(STREAM, params={"max_events": 1, "after": 0}, headers=svt)
    assert [(e["action"], e["case"]["kind"]) for e in events(response.text)] == [
        ("reported", "theft")
    ]


async def test_a_case_change_in_this_process_wakes_the_streams_and_nothing_else_does(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    with live.changes(runtime.db).listen() as changed:
        await car.position(50.0, 4.0, at=clock.now())  # a commit that touches no case
        await asyncio.sleep(0)  # the wake-up is handed over through the loop
        assert not changed.is_set()
        await car.emergency(uuid.uuid4(), at=clock.now())
        await asyncio.wait_for(changed.wait(), 15)
    assert changed.is_set()
