"""The audit log records who did what with the request id, and the database refuses edits."""

from __future__ import annotations

import pytest
import structlog
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError

from linkplus.audit import service as audit
from linkplus.models.audit import AuditEntry
from linkplus.runtime import Runtime


async def test_an_entry_carries_actor_subject_time_and_request_id(runtime: Runtime) -> None:
    structlog.contextvars.bind_contextvars(request_id="req-42")
    try:
        async with runtime.db.transaction() as session:
            await audit.record(
                session,
                now=runtime.clock.now(),
                actor_type="staff",
                actor_id="s-1",
                action="vehicle.viewed",
                subject_type="vehicle",
                subject_id="VIN1",
                details={"reason": "owner called"},
            )
    finally:
        structlog.contextvars.clear_contextvars()
    async with runtime.db.transaction() as session:
        [entry] = await audit.entries_for(session, subject_type="vehicle", subject_id="VIN1")
    assert entry.request_id == "req-42"
    assert entry.at == runtime.clock.now()
    assert (entry.actor_type, entry.actor_id, entry.action) == ("staff", "s-1", "vehicle.viewed")
    assert entry.details == {"reason": "owner called"}


@pytest.mark.parametrize("statement", ["update", "delete"])
async def test_the_database_refuses_to_change_or_remove_an_entry(
    runtime: Runtime, statement: str
) -> None:
    async with runtime.db.transaction() as session:
        await audit.record(
            session, now=runtime.clock.now(), actor_type="system", actor_id=None, action="x.y"
        )
    with pytest.raises(DBAPIError, match="append-only"):
        async with runtime.db.transaction() as session:
            if statement == "update":
                await session.execute(update(AuditEntry).values(action="rewritten"))
            else:
                await session.execute(delete(AuditEntry))
    async with runtime.db.transaction() as session:
        [entry] = await audit.entries_for(session)
        assert entry.action == "x.y"
