"""Putting jobs in the table, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.jobs.registry import HANDLERS
from linkplus.models.jobs import Job, JobState

JOBS_QUEUED = "linkplus.jobs_queued"


async def enqueue(
    session: AsyncSession,
    name: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> None:
    """Queue ``name`` to run at ``run_at`` (default: as soon as the transaction commits).

    The row is part of the caller's transaction: if it rolls back, the job never existed.
    With ``dedupe_key``, a second job with the same key is silently not queued.
    """
    spec = HANDLERS.get(name)
    if spec is None:
        raise LookupError(f"no job handler named {name!r}")
    values = {
        "name": name,
        "payload": payload,
        "state": JobState.queued,
        "run_at": run_at or now,
        "attempts": 0,
        "max_attempts": spec.max_attempts,
        "dedupe_key": dedupe_key,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    if dedupe_key is not None and dialect == "postgresql":
        stmt: Any = (
            postgresql.insert(Job)
            .values(values)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
    elif dedupe_key is not None and dialect == "sqlite":
        stmt = (
            sqlite.insert(Job).values(values).on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
    else:
        stmt = insert(Job).values(values)
    await session.execute(stmt)
    session.info[JOBS_QUEUED] = True
