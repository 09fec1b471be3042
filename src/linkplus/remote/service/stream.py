"""The live stream: server-sent events of the state changes of one car's commands."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.garage.tenure import Tenure
from linkplus.remote import repository
from linkplus.remote.service._common import command_out
from linkplus.runtime import Runtime

STREAM_LOOKBACK = timedelta(minutes=30)
STREAM_BATCH = 100


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
) -> AsyncIterator[str]:
    """Server-sent events of the state changes of one car's commands, after change ``after_id``.

    Each event (``event: command``, ``id``: the change's number, for ``Last-Event-ID``) carries
    the state entered and the command as it is now, with the time left for climate, engine and
    hazard lights. A comment line every ``heartbeat_seconds`` keeps proxies from closing an idle
    stream. Ends after ``max_events`` events or when ``disconnected()`` says the client left.
    Each poll is its own short read, so a long stream holds no database connection and, on
    SQLite, never waits for or holds up a writer.
    Only the commands ``tenure``'s account sent in its time with the car are streamed.
    """
    sent = 0
    last_id = after_id
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
                after_id=last_id,
                limit=STREAM_BATCH,
            )
            commands = await repository.commands_by_ids(session, [c.command_id for c in changes])
        now = runtime.clock.now()
        for change in changes:
            last_id = change.id
            row = commands.get(change.command_id)
            if row is None:
                continue
            data = {
                "state": change.state,
                "at": change.at.isoformat(),
                "command": command_out(row, now=now).model_dump(mode="json"),
            }
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
