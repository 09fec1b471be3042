"""The live stream: server-sent events of the state changes of one car's commands."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.garage.tenure import Tenure
from linkplus.models.remote import RemoteVehicleState
from linkplus.remote import repository
from linkplus.remote.service._common import _seconds_left, command_out, running_state
from linkplus.runtime import Runtime

STREAM_LOOKBACK = timedelta(minutes=30)
STREAM_BATCH = 100
LATE_COMMIT = timedelta(seconds=10)
"""Change numbers are taken when a change is written, not when it commits: a change written
just before another may become visible just after it. The stream reads again the changes of the
last ``LATE_COMMIT`` (by their ``at``) so such a change is still sent, once."""


async def stream_start(session: AsyncSession, runtime: Runtime, *, vin: str) -> int:
    """Where a stream without ``Last-Event-ID`` starts: the changes of the last 30 minutes, so a
    page opened while climate runs still learns about it."""
    return await repository.last_change_before(
        session, vin=vin, at=runtime.clock.now() - STREAM_LOOKBACK
    )


def sse(event: str, data: dict[str, Any], *, event_id: int | None = None) -> str:
    lines = [f"id: {event_id}"] if event_id is not None else []
    lines += [f"event: {event}", f"data: {json.dumps(data, separators=(',', ':'))}"]
    return "\n".join(lines) + "\n\n"


def running_now(
    row: RemoteVehicleState | None, *, climate_renewals: int, now: datetime
) -> dict[str, int]:
    """What runs on the car now, as ``remote_state`` says it: the seconds left for climate,
    engine and hazard lights and the climate renewals left."""
    running = running_state(row)
    climate = running.climate_running(now)
    used = running.climate_renewals_used if climate else 0
    return {
        "climate_seconds_left": _seconds_left(running.climate_until if climate else None, now),
        "climate_renewals_left": max(0, climate_renewals - used),
        "engine_seconds_left": _seconds_left(
            running.engine_until if running.engine_running(now) else None, now
        ),
        "hazard_seconds_left": _seconds_left(
            running.hazard_until if running.hazard_running(now) else None, now
        ),
    }


async def current_states(
    runtime: Runtime, *, vin: str, tenure: Tenure, climate_renewals: int, limit: int = 5
) -> list[str]:
    """Events (without an ``id``) that say where the recent commands stand now, oldest first:
    what a page that opened after a command's last change, or whose stream dropped it, needs to
    show the truth before the changes that follow."""
    now = runtime.clock.now()
    async with runtime.db.read() as session:
        rows = await repository.recent_commands(
            session, vin, account_id=tenure.account_id, spans=tenure.spans, limit=limit
        )
        state = await repository.vehicle_state(session, vin)
    running = running_now(state, climate_renewals=climate_renewals, now=now)
    recent = [row for row in reversed(rows) if row.updated_at >= now - STREAM_LOOKBACK]
    return [
        sse(
            "command",
            {
                "state": row.state,
                "at": row.updated_at.isoformat(),
                "command": command_out(row, now=now).model_dump(mode="json"),
                "running": running,
                "current": True,
            },
        )
        for row in recent
    ]


async def command_events(
    runtime: Runtime,
    *,
    vin: str,
    tenure: Tenure,
    after_id: int,
    max_events: int | None = None,
    poll_seconds: float = 0.25,
    heartbeat_seconds: float = 15.0,
    disconnected: Callable[[], Awaitable[bool]] | None = None,
    climate_renewals: int | None = None,
) -> AsyncIterator[str]:
    """Server-sent events of the state changes of one car's commands, after change ``after_id``.

    Each event (``event: command``, ``id``: the change's number, for ``Last-Event-ID``) carries
    the state entered and the command as it is now, with the time left for climate, engine and
    hazard lights. A comment line every ``heartbeat_seconds`` keeps proxies from closing an idle
    stream. Ends after ``max_events`` events or when ``disconnected()`` says the client left.
    Each poll is its own short read, so a long stream holds no database connection and, on
    SQLite, never waits for or holds up a writer.
    Only the commands ``tenure``'s account sent in its time with the car are streamed.
    With ``climate_renewals`` (the model's), each event also carries ``running``: what runs on
    the car once that change is in (``running_now``), so a page never keeps a stale count.
    A change that commits after a later-numbered one is still sent (``LATE_COMMIT``).
    """
    sent = 0
    settled = after_id  # every change up to here has been sent, or was committed long ago
    fresh: dict[int, datetime] = {}  # sent changes after ``settled``, with their ``at``
    loop = asyncio.get_running_loop()
    last_beat = loop.time()
    while max_events is None or sent < max_events:
        if disconnected is not None and await disconnected():
            return
        async with runtime.db.read() as session:
            changes = await repository.changes_after(
                session,
                vin=vin,
                account_id=tenure.account_id,
                spans=tenure.spans,
                after_id=settled,
                limit=STREAM_BATCH,
                skip=frozenset(fresh),
            )
            commands = await repository.commands_by_ids(session, [c.command_id for c in changes])
            state = (
                await repository.vehicle_state(session, vin)
                if changes and climate_renewals is not None
                else None
            )
        now = runtime.clock.now()
        for change in changes:
            fresh[change.id] = change.at
        # Changes older than LATE_COMMIT no longer wait for an earlier number to commit.
        while fresh:
            oldest = min(fresh)
            if fresh[oldest] > now - LATE_COMMIT:
                break
            settled = oldest
            del fresh[oldest]
        for change in changes:
            row = commands.get(change.command_id)
            if row is None:
                continue
            data: dict[str, Any] = {
                "state": change.state,
                "at": change.at.isoformat(),
                "command": command_out(row, now=now).model_dump(mode="json"),
            }
            if climate_renewals is not None:
                data["running"] = running_now(state, climate_renewals=climate_renewals, now=now)
            yield sse("command", data, event_id=change.id)
            sent += 1
            last_beat = loop.time()
            if max_events is not None and sent >= max_events:
                return
        if not changes:
            if loop.time() - last_beat >= heartbeat_seconds:
                yield ": keep-alive\n\n"
                last_beat = loop.time()
            await asyncio.sleep(poll_seconds)
