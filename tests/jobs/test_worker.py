"""The durable job queue: after-commit delivery, retries with back-off, leases, schedules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import pytest
from pydantic import ConfigDict, Field
from sqlalchemy import select

from linkplus.jobs import (
    JobContext,
    JobPayload,
    RetryLater,
    Schedule,
    ScheduledRun,
    cancel,
    enqueue,
    register,
    task,
)
from linkplus.jobs.registry import SCHEDULES, backoff, next_occurrence
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.jobs import Job, JobState
from linkplus.models.jobs import Schedule as ScheduleRow
from linkplus.runtime import Runtime

CALLS: list[tuple[str, dict[str, Any], int]] = []
FAIL_TIMES: dict[str, int] = {}


class Record(JobPayload):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    task: ClassVar[str] = "testjobs.record"
    n: int | None = None
    source: str | None = Field(default=None, alias="from")


class Flaky(JobPayload):
    task: ClassVar[str] = "testjobs.flaky"
    max_attempts: ClassVar[int] = 3
    key: str


class Later(JobPayload):
    task: ClassVar[str] = "testjobs.later"
    wait: bool = False


class Chain(JobPayload):
    task: ClassVar[str] = "testjobs.chain"


class Unknown(JobPayload):
    task: ClassVar[str] = "nobody.knows"


def _seen(payload: JobPayload) -> dict[str, Any]:
    return payload.model_dump(by_alias=True, exclude_none=True)


@task()
async def _record(ctx: JobContext, payload: Record) -> None:
    CALLS.append(("record", _seen(payload), ctx.attempt))


@task()
async def _flaky(ctx: JobContext, payload: Flaky) -> None:
    key = payload.key
    if FAIL_TIMES.get(key, 0) > 0:
        FAIL_TIMES[key] -= 1
        raise RuntimeError("outside service down")
    CALLS.append(("flaky", _seen(payload), ctx.attempt))


@task()
async def _later(ctx: JobContext, payload: Later) -> None:
    if payload.wait:
        raise RetryLater("not yet", delay=timedelta(minutes=5))


@task()
async def _chain(ctx: JobContext, payload: Chain) -> None:
    await enqueue(ctx.session, Record(source="chain"), now=ctx.now)


@task("testjobs.nightly_record")
async def _nightly(ctx: JobContext, run: ScheduledRun) -> None:
    CALLS.append(("record", {}, ctx.attempt))


register([_record, _flaky, _later, _chain])


@pytest.fixture(autouse=True)
def _reset() -> None:
    CALLS.clear()
    FAIL_TIMES.clear()


async def _jobs(runtime: Runtime) -> list[Job]:
    async with runtime.db.transaction() as session:
        return list((await session.scalars(select(Job).order_by(Job.id))).all())


async def test_a_job_queued_in_a_rolled_back_transaction_never_runs(
    runtime: Runtime, worker: Worker
) -> None:
    with pytest.raises(ValueError, match="abort"):
        async with runtime.db.transaction() as session:
            await enqueue(session, Record(n=1), now=runtime.clock.now())
            raise ValueError("abort")
    assert await worker.run_due() == 0
    assert CALLS == []
    assert await _jobs(runtime) == []


async def test_a_committed_job_runs_once(runtime: Runtime, worker: Worker) -> None:
    async with runtime.db.transaction() as session:
        await enqueue(session, Record(n=1), now=runtime.clock.now())
    assert await worker.run_due() == 1
    assert await worker.run_due() == 0
    assert CALLS == [("record", {"n": 1}, 1)]
    [done] = await _jobs(runtime)
    assert done.state == JobState.done
    assert done.finished_at == runtime.clock.now()


async def test_jobs_queued_by_a_job_run_in_the_same_pass(runtime: Runtime, worker: Worker) -> None:
    async with runtime.db.transaction() as session:
        await enqueue(session, Chain(), now=runtime.clock.now())
    assert await worker.run_due() == 2
    assert CALLS == [("record", {"from": "chain"}, 1)]


async def test_failures_retry_with_back_off_then_give_up(
    runtime: Runtime, worker: Worker, clock: ManualClock
) -> None:
    FAIL_TIMES["a"] = 2
    FAIL_TIMES["b"] = 5
    async with runtime.db.transaction() as session:
        await enqueue(session, Flaky(key="a"), now=clock.now())
        await enqueue(session, Flaky(key="b"), now=clock.now())
    await worker.run_due()
    assert CALLS == []
    a, b = await _jobs(runtime)
    assert a.state == JobState.queued
    assert a.run_at == clock.now() + backoff(1)
    assert "outside service down" in (a.last_error or "")
    # Not due before the back-off has passed.
    clock.advance(seconds=9)
    assert await worker.run_due() == 0
    clock.advance(seconds=1)
    await worker.run_due()
    clock.advance(backoff(2))
    await worker.run_due()
    assert CALLS == [("flaky", {"key": "a"}, 3)]
    a, b = await _jobs(runtime)
    assert a.state == JobState.done
    assert b.state == JobState.dead
    assert b.attempts == 3


async def test_retry_later_uses_the_handlers_delay(
    runtime: Runtime, worker: Worker, clock: ManualClock
) -> None:
    async with runtime.db.transaction() as session:
        await enqueue(session, Later(wait=True), now=clock.now())
    await worker.run_due()
    [waiting] = await _jobs(runtime)
    assert waiting.state == JobState.queued
    assert waiting.run_at == clock.now() + timedelta(minutes=5)


async def test_a_job_due_later_waits_for_its_time(
    runtime: Runtime, worker: Worker, clock: ManualClock
) -> None:
    async with runtime.db.transaction() as session:
        await enqueue(
            session,
            Record(n=5),
            now=clock.now(),
            run_at=clock.now() + timedelta(minutes=5),
        )
    assert await worker.run_due() == 0
    clock.advance(minutes=5)
    assert await worker.run_due() == 1


async def test_a_job_left_running_by_a_dead_worker_is_taken_again_after_its_lease(
    runtime: Runtime, clock: ManualClock
) -> None:
    async with runtime.db.transaction() as session:
        await enqueue(session, Record(n=7), now=clock.now())
    crashed = Worker(runtime, name="crashed")
    claimed = await crashed._claim()  # claims, then "dies" before running it
    assert [j.state for j in claimed] == [JobState.running]
    survivor = Worker(runtime, name="survivor")
    assert await survivor.run_due() == 0  # the lease still holds
    clock.advance(seconds=runtime.settings.job_lease_seconds + 1)
    assert await survivor.run_due() == 1
    assert CALLS == [("record", {"n": 7}, 2)]


async def test_a_dedupe_key_queues_a_job_once(runtime: Runtime, worker: Worker) -> None:
    for _ in range(3):
        async with runtime.db.transaction() as session:
            await enqueue(session, Record(n=1), now=runtime.clock.now(), dedupe_key="once")
    await worker.run_due()
    assert len(CALLS) == 1


async def test_an_unknown_job_name_is_refused_at_enqueue(runtime: Runtime) -> None:
    with pytest.raises(LookupError):
        async with runtime.db.transaction() as session:
            await enqueue(session, Unknown(), now=runtime.clock.now())


async def test_schedules_run_daily_and_collapse_missed_runs(
    runtime: Runtime, worker: Worker, clock: ManualClock
) -> None:
    register([], [Schedule("testjobs.nightly", _nightly, daily_at="02:00")])
    try:
        await worker.sync_schedules()
        # Other domains register schedules of their own: look only at this one.
        assert "testjobs.nightly" not in await worker.tick_schedules()  # 09:00; next is 02:00
        clock.advance(hours=17)  # 02:00 next day
        assert (await worker.tick_schedules()).count("testjobs.nightly") == 1
        assert "testjobs.nightly" not in await worker.tick_schedules()
        await worker.run_due()
        assert [c[0] for c in CALLS] == ["record"]
        clock.advance(days=3)  # three missed nights become one run
        assert (await worker.tick_schedules()).count("testjobs.nightly") == 1
        async with runtime.db.transaction() as session:
            row = await session.get(ScheduleRow, "testjobs.nightly")
            assert row is not None
            assert row.next_run_at > clock.now()
            assert row.next_run_at.hour == 2
    finally:
        SCHEDULES.pop("testjobs.nightly")


def test_next_occurrence_for_intervals_and_daily_times() -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    assert next_occurrence(300, None, at) == at + timedelta(minutes=5)
    assert next_occurrence(None, "23:45", at) == datetime(2026, 1, 31, 23, 45, tzinfo=UTC)
    assert next_occurrence(None, "23:30", at) == datetime(2026, 2, 1, 23, 30, tzinfo=UTC)


def test_job_names_must_be_domain_dot_verb() -> None:
    with pytest.raises(ValueError, match=r"domain\.verb"):
        task("NoDot")(_nightly.handler)
    with pytest.raises(ValueError, match="HH:MM"):
        Schedule("x.y", _nightly, daily_at="25:00")


async def test_several_workers_at_once_run_each_job_exactly_once(runtime: Runtime) -> None:
    import asyncio

    async with runtime.db.transaction() as session:
        for n in range(60):
            await enqueue(session, Record(n=n), now=runtime.clock.now())
    workers = [Worker(runtime, name=f"w{i}", batch=5) for i in range(4)]
    counts = await asyncio.gather(*(w.run_due() for w in workers))
    assert sum(counts) == 60
    assert sorted(c[1]["n"] for c in CALLS) == list(range(60))


async def test_many_jobs_are_queued_at_once_each_key_only_once(
    runtime: Runtime, worker: Worker
) -> None:
    from linkplus.jobs import enqueue_many

    now = runtime.clock.now()
    async with runtime.db.transaction() as session:
        await enqueue_many(session, [(Record(n=n), f"many:{n}") for n in range(1500)], now=now)
    async with runtime.db.transaction() as session:
        await enqueue_many(
            session, [(Record(n=0), "many:0"), (Record(n=1500), "many:1500")], now=now
        )
    await worker.run_due()
    assert sorted(c[1]["n"] for c in CALLS) == list(range(1501))


async def test_a_queued_job_is_cancelled_by_its_key_and_never_runs(
    runtime: Runtime, worker: Worker, clock: ManualClock
) -> None:
    async with runtime.db.transaction() as session:
        await enqueue(
            session,
            Record(n=1),
            now=clock.now(),
            run_at=clock.now() + timedelta(seconds=2),
            dedupe_key="cancel-me",
        )
        await enqueue(session, Record(n=2), now=clock.now(), dedupe_key="keep")
    assert await worker.run_due() == 1
    async with runtime.db.transaction() as session:
        assert await cancel(session, "cancel-me", now=clock.now()) is True
        assert await cancel(session, "keep", now=clock.now()) is False  # done already
        assert await cancel(session, "no-such-key", now=clock.now()) is False
    clock.advance(seconds=2)
    assert await worker.run_due() == 0
    assert [payload for _, payload, _ in CALLS] == [{"n": 2}]
    states = {job.dedupe_key: job.state for job in await _jobs(runtime)}
    assert states == {"cancel-me": JobState.cancelled, "keep": JobState.done}


async def test_only_a_job_due_now_wakes_the_worker_after_commit(
    runtime: Runtime, worker: Worker, clock: ManualClock
) -> None:
    async with runtime.db.transaction() as session:
        await enqueue(session, Record(), now=clock.now(), run_at=clock.now() + timedelta(1))
    assert not worker._wake.is_set()  # found by the regular poll once due
    async with runtime.db.transaction() as session:
        await enqueue(session, Record(), now=clock.now())
    assert worker._wake.is_set()
