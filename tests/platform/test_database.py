"""Transactions: who waits for whom. On SQLite one process's writers take turns in the order
they asked, and reads wait for no writer (the gateway waited many seconds for SQLite's unfair
busy handler while the worker's polls and the live streams came and went)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from linkplus.bootstrap import build_runtime
from linkplus.jobs.worker import Worker
from linkplus.models.jobs import Job, Schedule
from linkplus.runtime import Runtime

BOUND = 15.0  # seconds; reached only when a read waits for the writer (SQLite's busy timeout is 30)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # PostgreSQL has row locks
async def test_writers_of_one_process_take_turns_in_the_order_they_asked(
    runtime: Runtime,
) -> None:
    order: list[int] = []
    first_inside = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with runtime.db.transaction() as session:
            await session.execute(select(1))
            first_inside.set()
            await release.wait()
            order.append(0)

    async def writer(n: int) -> None:
        async with runtime.db.transaction() as session:
            await session.execute(select(Job.id).limit(1))
            order.append(n)

    holder = asyncio.create_task(first())
    await first_inside.wait()
    waiting = []
    for n in range(1, 13):
        waiting.append(asyncio.create_task(writer(n)))
        await asyncio.sleep(0)  # let each one ask before the next
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, *waiting), BOUND)
    assert order == list(range(13))


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


async def test_rows_read_in_a_read_can_be_used_after_it(runtime: Runtime) -> None:
    """The live streams poll in a read and build their events once it is over."""
    at = runtime.clock.now()
    async with runtime.db.transaction() as session:
        session.add(Schedule(name="read-after", job_name="nothing", next_run_at=at))
    async with runtime.db.read() as reading:
        row = await reading.scalar(select(Schedule).where(Schedule.name == "read-after"))
    assert row is not None
    assert (row.name, row.job_name) == ("read-after", "nothing")


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
