"""Transactions: who waits for whom. Reads wait for no writer and take no write lock (on SQLite
every poll was a BEGIN IMMEDIATE, and the gateway waited seconds for SQLite's unfair busy handler
while the worker's polls and the live streams came and went)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, text, update

from linkplus.bootstrap import build_runtime
from linkplus.jobs.worker import Worker
from linkplus.models.jobs import Schedule
from linkplus.runtime import Runtime

BOUND = 15.0  # seconds; reached only when a read waits for the writer (SQLite's busy timeout is 30)


async def test_a_read_waits_for_no_writer(runtime: Runtime) -> None:
    """A read in this process and one in another process on the same database both go ahead
    while a writer holds its transaction open."""
    other = build_runtime(runtime.settings, clock=runtime.clock)
    try:
        async with runtime.db.transaction() as session:
            await session.execute(text("UPDATE schedules SET next_run_at = next_run_at"))
            async with runtime.db.read() as reading:
                assert await asyncio.wait_for(reading.scalar(select(1)), BOUND) == 1
            async with other.db.read() as reading:
                assert await asyncio.wait_for(reading.scalar(select(1)), BOUND) == 1
    finally:
        await other.db.dispose()


async def test_a_write_made_in_a_read_is_not_kept(runtime: Runtime) -> None:
    async with runtime.db.read() as reading:
        await reading.execute(
            text("INSERT INTO schedules (name, job_name, next_run_at) VALUES ('x', 'y', :at)"),
            {"at": runtime.clock.now()},
        )
    async with runtime.db.read() as reading:
        assert await reading.scalar(text("SELECT count(*) FROM schedules WHERE name = 'x'")) == 0


async def test_rows_read_in_a_read_stay_readable_after_it(runtime: Runtime, worker: Worker) -> None:
    """The live streams read their rows in a short read and send them after it: the rollback
    that ends the read must not leave them expired (they raised DetachedInstanceError)."""
    await worker.sync_schedules()
    async with runtime.db.read() as reading:
        found = (await reading.scalars(select(Schedule))).all()
    assert found
    assert all(row.name and row.next_run_at is not None for row in found)


async def test_an_idle_worker_polls_while_another_process_writes(
    runtime: Runtime, worker: Worker
) -> None:
    """The worker's check for due work is a read: an idle worker neither waits for a writer
    nor takes the write lock several times a second."""
    other = build_runtime(runtime.settings, clock=runtime.clock)
    try:
        async with other.db.transaction() as session:
            await session.execute(text("UPDATE schedules SET next_run_at = next_run_at"))
            assert await asyncio.wait_for(worker.anything_due(), BOUND) is False
    finally:
        await other.db.dispose()


async def test_the_worker_sees_a_due_schedule(runtime: Runtime, worker: Worker) -> None:
    await worker.sync_schedules()
    later = runtime.clock.now() + timedelta(days=1)
    async with runtime.db.transaction() as session:
        await session.execute(update(Schedule).values(next_run_at=later))
    assert await worker.anything_due() is False
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Schedule)
            .where(Schedule.name == "vehicle_link.daily_purge")
            .values(next_run_at=runtime.clock.now())
        )
    assert await worker.anything_due() is True
