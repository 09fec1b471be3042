"""Putting jobs in the table, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.db import dialect_insert
from linkplus.jobs.registry import HANDLERS, JobContext, JobPayload, ScheduledRun, Task
from linkplus.models.jobs import Job, JobState

JOBS_QUEUED = "linkplus.jobs_queued"
_ROWS_PER_STATEMENT = 1000


def _row(
    name: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    run_at: datetime | None,
    dedupe_key: str | None,
    max_attempts: int,
) -> dict[str, Any]:
    return {
        "name": name,
        "payload": payload,
        "state": JobState.queued,
        "run_at": run_at or now,
        "attempts": 0,
        "max_attempts": max_attempts,
        "dedupe_key": dedupe_key,
        "created_at": now,
    }


def _registered(name: str) -> Task[Any]:
    """The task queued under ``name``: a task missing from the registry is refused when it is
    queued, not found dead in the worker later."""
    spec = HANDLERS.get(name)
    if spec is None:
        raise LookupError(f"no job handler named {name!r}: list its task in linkplus.bootstrap")
    return spec


def _stored(spec: Task[Any], payload: BaseModel) -> dict[str, Any]:
    if not isinstance(payload, spec.payload):
        raise TypeError(f"{spec.name} takes {spec.payload.__name__}, not {type(payload).__name__}")
    stored: dict[str, Any] = payload.model_dump(mode="json")
    return stored


async def _insert(
    session: AsyncSession, rows: list[dict[str, Any]], *, deduped: bool, now: datetime
) -> None:
    """One multi-row INSERT; with ``deduped``, rows whose dedupe key is queued already are
    skipped (``ON CONFLICT DO NOTHING``). The worker is woken after commit only when one of the
    rows is due now: a job for later is found by its regular poll."""
    if deduped:
        await session.execute(
            dialect_insert(session, Job)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
    else:
        await session.execute(insert(Job).values(rows))
    if any(row["run_at"] <= now for row in rows):
        session.info[JOBS_QUEUED] = True


async def enqueue(
    session: AsyncSession,
    payload: JobPayload,
    *,
    now: datetime,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> None:
    """Queue the task ``payload`` names, to run at ``run_at`` (default: as soon as the
    transaction commits).

    The row is part of the caller's transaction: if it rolls back, the job never existed.
    With ``dedupe_key``, a second job with the same key is silently not queued.
    """
    await enqueue_task(
        session,
        _registered(type(payload).task),
        payload,
        now=now,
        run_at=run_at,
        dedupe_key=dedupe_key,
    )


async def enqueue_task(
    session: AsyncSession,
    spec: Task[Any],
    payload: BaseModel,
    *,
    now: datetime,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> None:
    """``enqueue`` for a task given by itself: a domain event's subscriber, a schedule's run."""
    row = _row(
        _registered(spec.name).name,
        _stored(spec, payload),
        now=now,
        run_at=run_at,
        dedupe_key=dedupe_key,
        max_attempts=spec.max_attempts,
    )
    await _insert(session, [row], deduped=dedupe_key is not None, now=now)


async def run_again(ctx: JobContext, spec: Task[ScheduledRun]) -> None:
    """Queue the scheduled task ``spec`` once more, due now, from inside its own run: a purge
    whose budget ran out goes on in a new job, its own transaction, instead of growing this one.
    Keyed by the running job, so a retried run queues its follow-up once."""
    await enqueue_task(
        ctx.session,
        spec,
        ScheduledRun(scheduled_for=ctx.now),
        now=ctx.now,
        dedupe_key=f"{spec.name}:after:{ctx.job_id}",
    )


async def enqueue_many(
    session: AsyncSession,
    jobs: Sequence[tuple[JobPayload, str]],
    *,
    now: datetime,
) -> None:
    """``enqueue`` for many (payload, dedupe key) pairs, due at once, in multi-row statements
    (a batch job such as the billing run's invoices); a key already queued is not queued again."""
    rows = []
    for payload, key in jobs:
        spec = _registered(type(payload).task)
        rows.append(
            _row(
                spec.name,
                _stored(spec, payload),
                now=now,
                run_at=None,
                dedupe_key=key,
                max_attempts=spec.max_attempts,
            )
        )
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        await _insert(session, rows[start : start + _ROWS_PER_STATEMENT], deduped=True, now=now)


async def enqueue_at(
    session: AsyncSession,
    jobs: Sequence[tuple[JobPayload, str, datetime]],
    *,
    now: datetime,
) -> None:
    """Several (payload, dedupe key, due time) jobs in one statement; a key already queued is
    not queued again (a command's send and expiry jobs, stored with it)."""
    rows = []
    for payload, key, run_at in jobs:
        spec = _registered(type(payload).task)
        rows.append(
            _row(
                spec.name,
                _stored(spec, payload),
                now=now,
                run_at=run_at,
                dedupe_key=key,
                max_attempts=spec.max_attempts,
            )
        )
    if rows:
        await _insert(session, rows, deduped=True, now=now)


async def cancel(session: AsyncSession, dedupe_key: str, *, now: datetime) -> bool:
    """Cancel the queued job with ``dedupe_key`` in the caller's transaction (its work was done
    another way: a command published at once, a command that ended before its expiry job). A job
    already running or finished is left alone. True when one was cancelled."""
    result = await session.execute(
        update(Job)
        .where(Job.dedupe_key == dedupe_key, Job.state == JobState.queued)
        .values(state=JobState.cancelled, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def cancel_many(session: AsyncSession, dedupe_keys: Sequence[str], *, now: datetime) -> int:
    """``cancel`` for several keys in one statement; how many were cancelled."""
    if not dedupe_keys:
        return 0
    result = await session.execute(
        update(Job)
        .where(Job.dedupe_key.in_(list(dedupe_keys)), Job.state == JobState.queued)
        .values(state=JobState.cancelled, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
