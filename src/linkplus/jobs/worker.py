"""The worker: claims due jobs, runs each in its own transaction, retries with back-off.

A claimed job holds a lease (``locked_until``). A worker that dies mid-job leaves the lease to run
out, and the job is claimed again: handlers are idempotent, so running twice is harmless. On
PostgreSQL several workers claim with ``FOR UPDATE SKIP LOCKED``; on SQLite the write lock taken by
``BEGIN IMMEDIATE`` serializes claims.
"""

from __future__ import annotations

import asyncio
import os
import socket
from datetime import timedelta
from typing import Any

import structlog
from pydantic import ValidationError
from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.jobs.queue import JOBS_QUEUED, enqueue_task
from linkplus.jobs.registry import (
    HANDLERS,
    SCHEDULES,
    JobContext,
    RetryLater,
    ScheduledRun,
    backoff,
    next_occurrence,
)
from linkplus.models.jobs import Job, JobState, Schedule
from linkplus.runtime import Runtime

log = structlog.get_logger("linkplus.jobs")


class Worker:
    def __init__(self, runtime: Runtime, *, name: str | None = None, batch: int = 20) -> None:
        self.runtime = runtime
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.batch = batch
        self._wake = asyncio.Event()
        runtime.db.on_commit(self._maybe_wake)

    def _maybe_wake(self, session: AsyncSession) -> None:
        if session.info.pop(JOBS_QUEUED, False):
            self._wake.set()

    @property
    def _lease(self) -> timedelta:
        return timedelta(seconds=self.runtime.settings.job_lease_seconds)

    async def sync_schedules(self) -> None:
        """Make the schedule table match the schedules registered in code."""
        now = self.runtime.clock.now()
        async with self.runtime.db.transaction() as session:
            existing = {s.name: s for s in (await session.scalars(select(Schedule))).all()}
            for spec in SCHEDULES.values():
                every = int(spec.every.total_seconds()) if spec.every else None
                row = existing.get(spec.name)
                if row is None:
                    session.add(
                        Schedule(
                            name=spec.name,
                            job_name=spec.task.name,
                            every_seconds=every,
                            daily_at=spec.daily_at,
                            next_run_at=next_occurrence(every, spec.daily_at, now),
                        )
                    )
                elif (row.every_seconds, row.daily_at, row.job_name) != (
                    every,
                    spec.daily_at,
                    spec.task.name,
                ):
                    row.every_seconds, row.daily_at, row.job_name = (
                        every,
                        spec.daily_at,
                        spec.task.name,
                    )
                    row.next_run_at = next_occurrence(every, spec.daily_at, now)

    async def tick_schedules(self) -> list[str]:
        """Queue every schedule that is due; a missed stretch of runs becomes one run.

        Returns the names of the schedules queued.
        """
        now = self.runtime.clock.now()
        queued: list[str] = []
        async with self.runtime.db.transaction() as session:
            stmt = select(Schedule).where(Schedule.next_run_at <= now)
            if session.get_bind().dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            for row in (await session.scalars(stmt)).all():
                spec = HANDLERS.get(row.job_name)
                if spec is None:
                    log.warning("schedule_without_handler", schedule=row.name, job=row.job_name)
                    continue
                await enqueue_task(
                    session,
                    spec,
                    ScheduledRun(scheduled_for=row.next_run_at),
                    now=now,
                    dedupe_key=f"schedule:{row.name}:{row.next_run_at.isoformat()}",
                )
                nxt = row.next_run_at
                while nxt <= now:
                    nxt = next_occurrence(row.every_seconds, row.daily_at, nxt)
                row.next_run_at = nxt
                queued.append(row.name)
        return queued

    async def _claim(self) -> list[Job]:
        now = self.runtime.clock.now()
        async with self.runtime.db.transaction() as session:
            due = or_(
                and_(Job.state == JobState.queued, Job.run_at <= now),
                and_(Job.state == JobState.running, Job.locked_until < now),
            )
            stmt = select(Job).where(due).order_by(Job.run_at, Job.id).limit(self.batch)
            if session.get_bind().dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            jobs = list((await session.scalars(stmt)).all())
            for claimed in jobs:
                claimed.state = JobState.running
                claimed.locked_by = self.name
                claimed.locked_until = now + self._lease
                claimed.attempts += 1
            return jobs

    async def _run_one(self, claimed: Job) -> None:
        spec = HANDLERS.get(claimed.name)
        bound = log.bind(job_id=claimed.id, job=claimed.name, attempt=claimed.attempts)
        if spec is None:
            await self._fail(
                claimed, f"no handler registered for {claimed.name!r}", None, give_up=True
            )
            return
        try:
            payload = spec.payload.model_validate(claimed.payload)
        except ValidationError as exc:
            # The stored payload does not fit the task's model: no retry will change that.
            bound.error("job_payload_invalid", error=str(exc))
            error = f"payload does not fit {spec.payload.__name__}: {exc}"
            await self._fail(claimed, error, None, give_up=True)
            return
        delay: timedelta | None = None
        try:
            async with self.runtime.db.transaction() as session:
                ctx = JobContext(session, self.runtime, claimed.id, claimed.attempts)
                await spec.handler(ctx, payload)
                await self._finish(session, claimed.id)
            bound.info("job_done")
            return
        except RetryLater as exc:
            error, delay = f"retry later: {exc}", exc.delay
        except Exception as exc:
            bound.exception("job_failed")
            error = f"{type(exc).__name__}: {exc}"
        await self._fail(claimed, error, delay, give_up=False)

    async def _finish(self, session: AsyncSession, job_id: int) -> None:
        await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.locked_by == self.name)
            .values(
                state=JobState.done,
                finished_at=self.runtime.clock.now(),
                locked_by=None,
                locked_until=None,
                last_error=None,
            )
        )

    async def _fail(
        self, claimed: Job, error: str, delay: timedelta | None, *, give_up: bool
    ) -> None:
        now = self.runtime.clock.now()
        dead = give_up or claimed.attempts >= claimed.max_attempts
        values: dict[str, Any] = {
            "last_error": error[:2000],
            "locked_by": None,
            "locked_until": None,
        }
        if dead:
            values.update(state=JobState.dead, finished_at=now)
            log.error("job_dead", job_id=claimed.id, job=claimed.name, error=error)
        else:
            values.update(state=JobState.queued, run_at=now + (delay or backoff(claimed.attempts)))
        async with self.runtime.db.transaction() as session:
            await session.execute(
                update(Job).where(Job.id == claimed.id, Job.locked_by == self.name).values(values)
            )

    async def run_due(self) -> int:
        """Run every job due now, including those its handlers queue for now. Returns the count."""
        ran = 0
        while True:
            claimed = await self._claim()
            if not claimed:
                return ran
            for one in claimed:
                await self._run_one(one)
            ran += len(claimed)

    async def anything_due(self) -> bool:
        """Whether a schedule or a job is due now, read without the write lock: the worker polls
        several times a second, and on SQLite a write transaction for each empty poll kept the
        gateway and the pages waiting for the lock."""
        now = self.runtime.clock.now()
        async with self.runtime.db.read() as session:
            schedule = await session.scalar(
                select(Schedule.name).where(Schedule.next_run_at <= now).limit(1)
            )
            if schedule is not None:
                return True
            due = or_(
                and_(Job.state == JobState.queued, Job.run_at <= now),
                and_(Job.state == JobState.running, Job.locked_until < now),
            )
            return await session.scalar(select(Job.id).where(due).limit(1)) is not None

    async def run_forever(self, stop: asyncio.Event) -> None:
        await self.sync_schedules()
        log.info("worker_started", worker=self.name)
        poll = self.runtime.settings.worker_poll_seconds
        while not stop.is_set():
            self._wake.clear()
            try:
                if await self.anything_due():
                    await self.tick_schedules()
                    await self.run_due()
            except Exception:
                log.exception("worker_loop_error")
            wake = asyncio.ensure_future(self._wake.wait())
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({wake, stopping}, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
            for waiter in (wake, stopping):
                waiter.cancel()
        log.info("worker_stopped", worker=self.name)
