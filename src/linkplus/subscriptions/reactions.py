"""Jobs: settle a subscription's money, and cancel when the car leaves the account or its
primary role. Each runs after the change that caused it has committed, and is idempotent."""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Any

from linkplus.events import subscribe
from linkplus.garage import service as garage
from linkplus.garage.events import PrimaryAccountChanged, VehicleRemovedFromAccount
from linkplus.jobs import JobContext, RetryLater, job
from linkplus.subscriptions import ledger, repository, service
from linkplus.subscriptions.errors import LifecycleRefused
from linkplus.subscriptions.jobnames import (
    CANCEL_FOR_REMOVED_VEHICLE,
    FOLLOW_PRIMARY_CHANGE,
    SETTLE,
)


@job(SETTLE, max_attempts=20)
async def settle(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Pay out a refund (or settle a charge) recorded by a request. It never touches
    ``ctx.session``, so no transaction is open while the provider is called."""
    subscription_id = uuid.UUID(str(payload["subscription_id"]))
    day = ctx.now.astimezone(UTC).date()
    tally = await ledger.settle(ctx.runtime, subscription_id, day=day)
    if tally.unsettled:
        raise RetryLater("the payment provider did not settle everything yet")


async def _cancel_for(ctx: JobContext, vin: str, account_id: uuid.UUID) -> None:
    async with ctx.runtime.db.transaction() as session:
        try:
            await service.cancel_for_vehicle(session, ctx.runtime, vin=vin, account_id=account_id)
        except LifecycleRefused as exc:
            if exc.code == "payment_in_progress":
                raise RetryLater("a charge is being settled; cancel after it") from exc
            raise
        ids = [
            row.id for row in await repository.of_vehicle(session, vin=vin, account_id=account_id)
        ]
    for subscription_id in ids:
        await ledger.settle(ctx.runtime, subscription_id, day=ctx.now.astimezone(UTC).date())


@job(CANCEL_FOR_REMOVED_VEHICLE)
async def cancel_for_removed_vehicle(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The car left the account: all its subscriptions there are cancelled (same refund rules)."""
    vin, account_id = payload["vin"], uuid.UUID(str(payload["account_id"]))
    async with ctx.runtime.db.transaction() as session:
        if vin in await garage.garage_vins(session, account_id):
            return  # added back since: its subscriptions were cancelled already or never were
    await _cancel_for(ctx, vin, account_id)


@job(FOLLOW_PRIMARY_CHANGE)
async def follow_primary_change(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Another account became primary: the previous primary's subscriptions on the car end
    (they are not transferable), and the new primary gets what is left of the car's
    complimentary periods."""
    vin = payload["vin"]
    new = uuid.UUID(str(payload["account_id"]))
    previous = payload.get("previous_account_id")
    if previous is not None:
        previous_id = uuid.UUID(str(previous))
        async with ctx.runtime.db.transaction() as session:
            still_primary = await garage.primary_account_id(session, vin) == previous_id
        if not still_primary:
            await _cancel_for(ctx, vin, previous_id)
    async with ctx.runtime.db.transaction() as session:
        if await garage.primary_account_id(session, vin) == new:
            await service.ensure_complimentary(session, ctx.runtime, vin=vin, account_id=new)


subscribe(VehicleRemovedFromAccount, CANCEL_FOR_REMOVED_VEHICLE)
subscribe(PrimaryAccountChanged, FOLLOW_PRIMARY_CHANGE)
