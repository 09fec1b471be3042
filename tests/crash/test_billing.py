"""The billing run survives ``kill -9`` of ``linkplus serve`` in the middle of charging.

Many subscriptions fall due today; the daily billing job runs in the process's worker and charges
them through the sandbox provider (served by the same process, its charges in its own store).
The process is killed once some charges went through and started again. The job must be picked
up again and finish: every subscription charged exactly once (one provider charge, found by its
idempotency key, per subscription and period) and moved on to its next period.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from dateutil.relativedelta import relativedelta

from linkplus.jobs import ScheduledRun, enqueue_task
from linkplus.kit.clock import ManualClock
from linkplus.runtime import Runtime
from linkplus.subscriptions.tasks import billing_run
from tests.crash.support import Reader, ServeProcess, eventually, reader
from tests.subscriptions.support import customer, subscribe

SUBSCRIPTIONS = 30
KILL_AFTER_CHARGES = 6

CHARGES = "SELECT subscription_id, idempotency_key, state FROM subscription_charges"
PROVIDER = "SELECT idempotency_key, status FROM sandbox_charges"
JOB = "SELECT state FROM jobs WHERE name = :name"
DUE = "SELECT count(*) FROM subscriptions WHERE next_run_on <= :day"


async def _provider_charges(sandbox: Reader) -> int:
    return int(await sandbox.value("SELECT count(*) FROM sandbox_charges") or 0)


async def test_a_billing_run_killed_mid_way_charges_everyone_once_after_restart(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, tmp_path: Path
) -> None:
    today = datetime.now(UTC).date()
    # Trials started a month ago end today: every subscription is due on the real date the
    # process under test (on the system clock) bills for.
    midnight = datetime(today.year, today.month, today.day, tzinfo=UTC)
    clock.set(midnight + timedelta(minutes=30) - relativedelta(months=1))
    ids = []
    for _ in range(SUBSCRIPTIONS):
        me = await customer(runtime, client)
        started = await subscribe(client, me, "remote", "monthly")
        assert started.status_code == 201, started.text
        ids.append(uuid.UUID(started.json()["subscription"]["id"]))
    clock.set(datetime.now(UTC))
    async with runtime.db.transaction() as session:
        await enqueue_task(
            session,
            billing_run,
            ScheduledRun(scheduled_for=clock.now()),
            now=clock.now() - timedelta(seconds=1),
        )

    url = runtime.settings.resolved_database_url
    sandbox_url = (
        f"sqlite+aiosqlite:///{runtime.settings.data_dir / 'sandbox-pay.db'}"
        if runtime.settings.is_sqlite
        else url
    )
    serve = ServeProcess(
        tmp_path,
        url,
        data_dir=str(runtime.settings.data_dir),  # the sandbox's cards live there
        secret_key=runtime.settings.resolved_secret_key,
        job_lease_seconds="4",
    )
    async with reader(url) as read, reader(sandbox_url) as sandbox:
        assert await read.value(DUE, day=today) == SUBSCRIPTIONS
        try:
            await serve.start()

            async def some_charged() -> bool:
                return await _provider_charges(sandbox) >= KILL_AFTER_CHARGES

            await eventually(some_charged, within=30, what="the run charging", every=0.02)
            serve.kill()
            charged_at_kill = await _provider_charges(sandbox)
            await serve.start()

            async def job_done() -> bool:
                return [state for (state,) in await read.rows(JOB, name=billing_run.name)] == [
                    "done"
                ]

            await eventually(job_done, within=40, what="the billing job finished after restart")
            ledger = await read.rows(CHARGES)
            provider = await sandbox.rows(PROVIDER)
            still_due = await read.value(DUE, day=today)
        finally:
            serve.stop()

    assert charged_at_kill < SUBSCRIPTIONS, "the kill came after the run had charged everyone"
    assert still_due == 0, f"{still_due} subscriptions were left unbilled after the restart"
    by_key = dict(provider)
    succeeded = [row for row in ledger if row.state == "succeeded"]
    per_subscription = Counter(uuid.UUID(str(row.subscription_id)) for row in succeeded)
    assert per_subscription == dict.fromkeys(ids, 1)
    # Every provider charge belongs to one ledger row, and went through once.
    assert sorted(by_key) == sorted(row.idempotency_key for row in ledger)
    assert all(by_key[row.idempotency_key] == "succeeded" for row in succeeded)
    assert len(provider) == SUBSCRIPTIONS
