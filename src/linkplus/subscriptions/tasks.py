"""Tasks: settle a subscription's money, run the daily billing, and cancel when the car leaves
the account or its primary role. Each runs after the change that caused it has committed, and is
idempotent."""

from __future__ import annotations

import uuid
from datetime import UTC

from linkplus.events import Subscription
from linkplus.garage import service as garage
from linkplus.garage.events import PrimaryAccountChanged, VehicleRemovedFromAccount
from linkplus.jobs import JobContext, RetryLater, Schedule, ScheduledRun, task
from linkplus.subscriptions import ledger, repository, service
from linkplus.subscriptions.billing_run import run_billing
from linkplus.subscriptions.errors import LifecycleRefused
from linkplus.subscriptions.schemas import SettleJob


@task()
async def settle(ctx: JobContext, job: SettleJob) -> None:
    """Pay out a refund (or settle a charge) recorded by a request. It never touches
    ``ctx.session``, so no transaction is open while the provider is called."""
    day = ctx.now.astimezone(UTC).date()
    tally = await ledger.settle(ctx.runtime, job.subscription_id, day=day)
    if tally.unsettled:
        raise RetryLater("the payment provider did not settle everything yet")


async def _cancel_for(ctx: JobContext, vin: str, account_id: uuid.UUID, *, car_left: bool) -> None:
    async with ctx.runtime.db.transaction() as session:
        try:
            await service.cancel_for_vehicle(
                session, ctx.runtime, vin=vin, account_id=account_id, car_left=car_left
            )
        except LifecycleRefused as exc:
            if exc.code == "payment_in_progress":
                raise RetryLater("a charge is being settled; cancel after it") from exc
            raise
        ids = [
            row.id for row in await repository.of_vehicle(session, vin=vin, account_id=account_id)
        ]
    for subscription_id in ids:
        await ledger.settle(ctx.runtime, subscription_id, day=ctx.now.astimezone(UTC).date())


@task("subscriptions.cancel_for_removed_vehicle")
async def cancel_for_removed_vehicle(ctx: JobContext, event: VehicleRemovedFromAccount) -> None:
    """The car left the account: all its subscriptions there are cancelled (same refund rules)."""
    vin, account_id = event.vin, event.account_id
    async with ctx.runtime.db.transaction() as session:
        if vin in await garage.garage_vins(session, account_id):
            return  # added back since: its subscriptions were cancelled already or never were
    await _cancel_for(ctx, vin, account_id, car_left=True)


@task("subscriptions.follow_primary_change")
async def follow_primary_change(ctx: JobContext, event: PrimaryAccountChanged) -> None:
    """Another account became primary: the previous primary's subscriptions on the car end
    (they are not transferable), and the new primary gets what is left of the car's
    complimentary periods."""
    vin, new, previous_id = event.vin, event.account_id, event.previous_account_id
    if previous_id is not None:
        async with ctx.runtime.db.transaction() as session:
            still_primary = await garage.primary_account_id(session, vin) == previous_id
        if not still_primary:
            await _cancel_for(ctx, vin, previous_id, car_left=False)
    async with ctx.runtime.db.transaction() as session:
        if await garage.primary_account_id(session, vin) == new:
            await service.ensure_complimentary(session, ctx.runtime, vin=vin, account_id=new)


@task("subscriptions.billing_run", max_attempts=3)
async def billing_run(ctx: JobContext, run: ScheduledRun) -> None:
    """The scheduled daily run. It opens its own transactions (it never touches ``ctx.session``
    while the provider is called, so SQLite's write lock is not held across the calls).

    The run claims rows under the job's own name, so when its process dies mid-run and the
    worker runs the job again (once the job's lease ran out), the new attempt takes back the
    rows the dead one held rather than skipping them for the rest of their 15-minute lease
    (and leaving them unbilled until the next day's run)."""
    await run_billing(ctx.runtime, worker=f"subscriptions.billing_run:{ctx.job_id}")


TASKS = [settle]
SCHEDULES = [Schedule("subscriptions.daily_billing_run", billing_run, daily_at="03:00")]
SUBSCRIPTIONS = [
    Subscription(VehicleRemovedFromAccount, cancel_for_removed_vehicle),
    Subscription(PrimaryAccountChanged, follow_primary_change),
]
