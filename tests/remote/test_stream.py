"""The live stream of command state changes (server-sent events)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from linkplus.garage.tenure import Tenure
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.kit.spans import Span
from linkplus.remote import service
from linkplus.runtime import Runtime
from tests.remote.support import RecordingPublisher, complete, remote_car


def events(text: str) -> list[dict[str, Any]]:
    found = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if fields.get("event") == "command":
            found.append({"id": int(fields["id"]), **json.loads(fields["data"])})
    return found


async def test_the_stream_shows_each_state_with_the_time_left(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    clock: ManualClock,
    publisher: RecordingPublisher,
) -> None:
    car = await remote_car(runtime, client)
    command_id = (await car.command({"type": "hazard-lights-on"})).json()["id"]
    await worker.run_due()
    await complete(runtime, worker, car.vin, command_id)
    clock.advance(seconds=15)

    response = await car.get("commands/stream?max_events=4")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    seen = events(response.text)
    assert [e["state"] for e in seen] == ["accepted", "sent", "acknowledged", "completed"]
    assert all(e["command"]["id"] == command_id for e in seen)
    assert seen[-1]["command"]["seconds_left"] == 45

    # Resuming after the second event gives the rest.
    headers = {**await car.headers(), "Last-Event-ID": str(seen[1]["id"])}
    resumed = await client.get(
        f"{car.base}/commands/stream", params={"max_events": 2}, headers=headers
    )
    assert [e["state"] for e in events(resumed.text)] == ["acknowledged", "completed"]


async def test_the_stream_only_carries_this_cars_commands(
    runtime: Runtime, client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    car = await remote_car(runtime, client)
    other = await remote_car(runtime, client)
    await other.command({"type": "door-lock"})
    mine = (await car.command({"type": "door-lock"})).json()["id"]
    seen = events((await car.get("commands/stream?max_events=1")).text)
    assert [e["command"]["id"] for e in seen] == [mine]


async def test_idle_stream_sends_heartbeats_and_stops_when_the_client_leaves(
    runtime: Runtime, client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    car = await remote_car(runtime, client)
    polls = 0

    async def gone() -> bool:
        nonlocal polls
        polls += 1
        return polls > 3

    chunks = [
        chunk
        async for chunk in service.command_events(
            runtime,
            vin=car.vin,
            tenure=Tenure(car.owner.account.id, (Span(runtime.clock.now()),)),
            after_id=0,
            poll_seconds=0,
            heartbeat_seconds=0,
            disconnected=gone,
        )
    ]
    assert chunks
    assert all(chunk == ": keep-alive\n\n" for chunk in chunks)
    assert polls == 4
