"""The agents' console's live stream (server-sent events): a case opened by the car's event is in
it, as the console reads it."""

from __future__ import annotations

import json
import uuid

import httpx

from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import StaffRole
from linkplus.runtime import Runtime
from linkplus.vehicle_link.gateway import Result
from tests.safety.support import safety_car, staff

STREAM = "/api/v1/staff/safety/stream"


def events_of(text: str) -> list[tuple[str, dict[str, object]]]:
    """``(event, data)`` of each server-sent event in ``text``."""
    found = []
    for block in text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            found.append((lines["event"], json.loads(lines["data"])))
    return found


async def test_an_sos_press_is_in_the_agents_live_stream_with_the_cases_position(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    assert await car.emergency(uuid.uuid4(), at=clock.now()) is Result.processed
    _, headers = await staff(runtime, StaffRole.emergency_agent)

    answer = await client.get(STREAM, params={"after": 0, "max_events": 2}, headers=headers)

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = events_of(answer.text)
    assert [(name, data["action"]) for name, data in events] == [
        ("case", "opened"),
        ("case", "attempt"),
    ]
    case = events[0][1]["case"]
    assert isinstance(case, dict)
    assert (case["kind"], case["state"], case["latitude"], case["longitude"]) == (
        "sos",
        "open",
        50.8466,
        4.3528,
    )


async def test_the_stream_is_for_safety_staff_only(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, headers = await staff(runtime, StaffRole.agent)
    answer = await client.get(STREAM, params={"max_events": 1}, headers=headers)
    assert answer.status_code == 403
