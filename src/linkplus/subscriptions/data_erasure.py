"""Erasure (GDPR art. 17): the account's subscriptions are cancelled with the wave-1 rules
(refunds included, as when the owner cancels), then kept as the billing record under the
erasure's pseudonym, without billing address, card or provider token. Called by
``linkplus.rights``; docs/privacy-rights.md, "Erasure"."""

from __future__ import annotations

import uuid
from datetime import UTC

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.billing.lifecycle import CancelSource, Status
from linkplus.runtime import Runtime
from linkplus.subscriptions import ledger, repository, service


async def cancel_all(
    session: AsyncSession, runtime: Runtime, *, account_id: uuid.UUID
) -> list[uuid.UUID]:
    """Cancel every live subscription of the account as its owner would (``cancel_row`` with
    the owner's source: the same refund rules); returns every subscription's id, to settle.
    Raises ``LifecycleRefused("payment_in_progress")`` while a charge is with the provider."""
    rows = await repository.of_account(session, account_id)
    for row in rows:
        if row.status in (Status.ended, Status.cancelled):
            continue
        locked = await repository.lock(session, row.id)
        assert locked is not None
        await service.cancel_row(session, runtime, locked, source=CancelSource.owner)
    return [row.id for row in rows]


async def settle(runtime: Runtime, subscription_ids: list[uuid.UUID]) -> int:
    """Pay the refunds now (no transaction open while the provider is called); returns how many
    charges and refunds are still waiting for the provider."""
    day = runtime.clock.now().astimezone(UTC).date()
    unsettled = 0
    for subscription_id in subscription_ids:
        unsettled += (await ledger.settle(runtime, subscription_id, day=day)).unsettled
    return unsettled


async def pending_money(session: AsyncSession, subscription_ids: list[uuid.UUID]) -> int:
    return await repository.unsettled_count(session, subscription_ids)


async def erase_account_data(
    session: AsyncSession, *, account_id: uuid.UUID, pseudonym: uuid.UUID
) -> None:
    await repository.pseudonymise(session, account_id=account_id, pseudonym=pseudonym)
