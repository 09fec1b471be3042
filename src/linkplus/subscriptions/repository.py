"""All SQL of the subscriptions domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.subscriptions import (
    SubscriptionCharge,
    SubscriptionNotice,
    SubscriptionRefund,
    SubscriptionRow,
)

PENDING = "pending"
SUCCEEDED = "succeeded"
FAILED = "failed"
LIVE = SubscriptionRow.status != "ended"


def _postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def insert_subscription(session: AsyncSession, row: SubscriptionRow) -> bool:
    """Insert in a savepoint; False when another live subscription of the package on the car
    won the unique index (two purchases racing)."""
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


async def get(session: AsyncSession, subscription_id: uuid.UUID) -> SubscriptionRow | None:
    return await session.get(SubscriptionRow, subscription_id)


async def lock(session: AsyncSession, subscription_id: uuid.UUID) -> SubscriptionRow | None:
    """The row, locked for this transaction (PostgreSQL; SQLite holds the write lock anyway),
    with its values read afresh."""
    stmt = (
        select(SubscriptionRow)
        .where(SubscriptionRow.id == subscription_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(stmt)).first()


async def lock_many(
    session: AsyncSession, subscription_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, SubscriptionRow]:
    """``lock`` for many rows in one statement (locked in id order, as one at a time would)."""
    stmt = (
        select(SubscriptionRow)
        .where(SubscriptionRow.id.in_(sorted(subscription_ids)))
        .order_by(SubscriptionRow.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.id: row for row in (await session.scalars(stmt)).all()}


async def of_vehicle(
    session: AsyncSession, *, vin: str, account_id: uuid.UUID | None = None
) -> list[SubscriptionRow]:
    """The car's subscriptions (of one account), oldest first."""
    stmt = select(SubscriptionRow).where(SubscriptionRow.vin == vin)
    if account_id is not None:
        stmt = stmt.where(SubscriptionRow.account_id == account_id)
    stmt = stmt.order_by(SubscriptionRow.created_at, SubscriptionRow.id)
    return list((await session.scalars(stmt)).all())


async def live_of_vehicle(session: AsyncSession, *, vin: str) -> list[SubscriptionRow]:
    stmt = select(SubscriptionRow).where(SubscriptionRow.vin == vin, LIVE)
    return list((await session.scalars(stmt)).all())


async def of_account(session: AsyncSession, account_id: uuid.UUID) -> list[SubscriptionRow]:
    stmt = (
        select(SubscriptionRow)
        .where(SubscriptionRow.account_id == account_id)
        .order_by(SubscriptionRow.created_at, SubscriptionRow.id)
    )
    return list((await session.scalars(stmt)).all())


async def trial_packages(
    session: AsyncSession, *, account_id: uuid.UUID | None = None, vin: str | None = None
) -> set[str]:
    """Packages that had a one-month trial, by this customer (on any car) or on this car."""
    stmt = select(SubscriptionRow.package).where(SubscriptionRow.trial_months > 0)
    if account_id is not None:
        stmt = stmt.where(SubscriptionRow.account_id == account_id)
    if vin is not None:
        stmt = stmt.where(SubscriptionRow.vin == vin)
    return set((await session.scalars(stmt)).all())


async def withdrawal_used(session: AsyncSession, account_id: uuid.UUID) -> bool:
    stmt = select(SubscriptionRow.id).where(
        SubscriptionRow.account_id == account_id,
        SubscriptionRow.cancel_rule == "withdrawal_full_refund",
    )
    return (await session.scalars(stmt.limit(1))).first() is not None


async def has_paid_in_service(session: AsyncSession, account_id: uuid.UUID) -> bool:
    """A paid subscription that still has to be paid for, or whose retries are pending."""
    stmt = select(SubscriptionRow.id).where(
        SubscriptionRow.account_id == account_id,
        SubscriptionRow.kind == "paid",
        SubscriptionRow.status.in_(("trialing", "pending_payment", "active", "past_due")),
    )
    return (await session.scalars(stmt.limit(1))).first() is not None


async def kinds_in_service(
    session: AsyncSession, *, vin: str, account_id: uuid.UUID, today: date
) -> set[tuple[str, str]]:
    """(package, kind) of every subscription of the account on the car whose service runs
    today (also a cancelled one until its end): ``in_service`` for all packages at once."""
    stmt = (
        select(SubscriptionRow.package, SubscriptionRow.kind)
        .where(
            SubscriptionRow.vin == vin,
            SubscriptionRow.account_id == account_id,
            SubscriptionRow.status.in_(
                ("complimentary", "trialing", "active", "past_due", "cancelled")
            ),
            or_(SubscriptionRow.service_ends_on.is_(None), SubscriptionRow.service_ends_on > today),
        )
        .distinct()
    )
    return {(package, kind) for package, kind in (await session.execute(stmt)).all()}


# --- the billing run -------------------------------------------------------------------------


async def claim_due(
    session: AsyncSession,
    *,
    day: date,
    now: datetime,
    lease_until: datetime,
    worker: str,
    limit: int,
) -> list[uuid.UUID]:
    """Take up to ``limit`` due rows nobody holds, for ``worker`` until ``lease_until``.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent runs take different rows. SQLite: the
    transaction holds the database's write lock from its first statement (``BEGIN IMMEDIATE``),
    so claims are one after the other.
    """
    stmt = (
        select(SubscriptionRow.id)
        .where(
            SubscriptionRow.next_run_on.is_not(None),
            SubscriptionRow.next_run_on <= day,
            or_(SubscriptionRow.claimed_until.is_(None), SubscriptionRow.claimed_until < now),
        )
        .order_by(SubscriptionRow.next_run_on, SubscriptionRow.id)
        .limit(limit)
    )
    if _postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list((await session.scalars(stmt)).all())
    if ids:
        await session.execute(
            update(SubscriptionRow)
            .where(SubscriptionRow.id.in_(ids))
            .values(claimed_by=worker, claimed_until=lease_until)
            .execution_options(synchronize_session=False)
        )
    return ids


async def release_all(session: AsyncSession, *, worker: str) -> int:
    """Give up every row ``worker`` holds (a run starting again under its own name)."""
    result = await session.execute(
        update(SubscriptionRow)
        .where(SubscriptionRow.claimed_by == worker)
        .values(claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def release(session: AsyncSession, ids: Sequence[uuid.UUID], *, worker: str) -> None:
    await session.execute(
        update(SubscriptionRow)
        .where(SubscriptionRow.id.in_(list(ids)), SubscriptionRow.claimed_by == worker)
        .values(claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )


# --- charges, refunds, notices ---------------------------------------------------------------


async def charge_by_key(session: AsyncSession, key: str) -> SubscriptionCharge | None:
    stmt = select(SubscriptionCharge).where(SubscriptionCharge.idempotency_key == key)
    return (await session.scalars(stmt)).first()


async def charges_by_keys(
    session: AsyncSession, keys: Sequence[str]
) -> dict[str, SubscriptionCharge]:
    """Charge attempts by idempotency key, read afresh (one statement)."""
    if not keys:
        return {}
    stmt = (
        select(SubscriptionCharge)
        .where(SubscriptionCharge.idempotency_key.in_(list(keys)))
        .execution_options(populate_existing=True)
    )
    return {charge.idempotency_key: charge for charge in (await session.scalars(stmt)).all()}


async def refunds_by_keys(
    session: AsyncSession, keys: Sequence[str]
) -> dict[str, SubscriptionRefund]:
    if not keys:
        return {}
    stmt = select(SubscriptionRefund).where(SubscriptionRefund.idempotency_key.in_(list(keys)))
    return {refund.idempotency_key: refund for refund in (await session.scalars(stmt)).all()}


async def pending_charges_of(
    session: AsyncSession, subscription_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[SubscriptionCharge]]:
    """``pending_charges`` for many subscriptions in one statement."""
    found: dict[uuid.UUID, list[SubscriptionCharge]] = {i: [] for i in subscription_ids}
    stmt = (
        select(SubscriptionCharge)
        .where(
            SubscriptionCharge.subscription_id.in_(list(subscription_ids)),
            SubscriptionCharge.state == PENDING,
        )
        .order_by(SubscriptionCharge.period, SubscriptionCharge.attempt)
        .execution_options(populate_existing=True)
    )
    for charge in (await session.scalars(stmt)).all():
        found[charge.subscription_id].append(charge)
    return found


async def pending_refunds_of(
    session: AsyncSession, subscription_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[SubscriptionRefund]]:
    """``pending_refunds`` for many subscriptions in one statement."""
    found: dict[uuid.UUID, list[SubscriptionRefund]] = {i: [] for i in subscription_ids}
    stmt = (
        select(SubscriptionRefund)
        .where(
            SubscriptionRefund.subscription_id.in_(list(subscription_ids)),
            SubscriptionRefund.state == PENDING,
        )
        .execution_options(populate_existing=True)
    )
    for refund in (await session.scalars(stmt)).all():
        found[refund.subscription_id].append(refund)
    return found


async def with_pending_refunds(
    session: AsyncSession, subscription_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of ``subscription_ids`` have a refund whose result is not known yet."""
    if not subscription_ids:
        return set()
    stmt = select(SubscriptionRefund.subscription_id).where(
        SubscriptionRefund.subscription_id.in_(list(subscription_ids)),
        SubscriptionRefund.state == PENDING,
    )
    return set((await session.scalars(stmt)).all())


async def add(session: AsyncSession, row: SubscriptionCharge | SubscriptionRefund) -> None:
    session.add(row)
    await session.flush()


async def pending_charges(
    session: AsyncSession, subscription_id: uuid.UUID
) -> list[SubscriptionCharge]:
    stmt = (
        select(SubscriptionCharge)
        .where(
            SubscriptionCharge.subscription_id == subscription_id,
            SubscriptionCharge.state == PENDING,
        )
        .order_by(SubscriptionCharge.period, SubscriptionCharge.attempt)
        .execution_options(populate_existing=True)
    )
    return list((await session.scalars(stmt)).all())


async def charges_of(
    session: AsyncSession, subscription_ids: Sequence[uuid.UUID]
) -> list[SubscriptionCharge]:
    stmt = (
        select(SubscriptionCharge)
        .where(SubscriptionCharge.subscription_id.in_(list(subscription_ids)))
        .order_by(SubscriptionCharge.created_at, SubscriptionCharge.period)
    )
    return list((await session.scalars(stmt)).all())


async def paid_charge(
    session: AsyncSession, subscription_id: uuid.UUID, period: int
) -> SubscriptionCharge | None:
    stmt = select(SubscriptionCharge).where(
        SubscriptionCharge.subscription_id == subscription_id,
        SubscriptionCharge.period == period,
        SubscriptionCharge.state == SUCCEEDED,
    )
    return (await session.scalars(stmt)).first()


async def refund_by_key(session: AsyncSession, key: str) -> SubscriptionRefund | None:
    stmt = select(SubscriptionRefund).where(SubscriptionRefund.idempotency_key == key)
    return (await session.scalars(stmt)).first()


async def pending_refunds(
    session: AsyncSession, subscription_id: uuid.UUID
) -> list[SubscriptionRefund]:
    stmt = (
        select(SubscriptionRefund)
        .where(
            SubscriptionRefund.subscription_id == subscription_id,
            SubscriptionRefund.state == PENDING,
        )
        .execution_options(populate_existing=True)
    )
    return list((await session.scalars(stmt)).all())


async def refunds_of(
    session: AsyncSession, subscription_ids: Sequence[uuid.UUID]
) -> list[SubscriptionRefund]:
    stmt = (
        select(SubscriptionRefund)
        .where(SubscriptionRefund.subscription_id.in_(list(subscription_ids)))
        .order_by(SubscriptionRefund.created_at)
    )
    return list((await session.scalars(stmt)).all())


async def add_notice(session: AsyncSession, notice: SubscriptionNotice) -> bool:
    """Record a notice; False when it was given before (its key is taken)."""
    exists = await session.get(SubscriptionNotice, (notice.subscription_id, notice.key))
    if exists is not None:
        return False
    session.add(notice)
    await session.flush()
    return True


async def notices_of(session: AsyncSession, subscription_id: uuid.UUID) -> list[SubscriptionNotice]:
    stmt = (
        select(SubscriptionNotice)
        .where(SubscriptionNotice.subscription_id == subscription_id)
        .order_by(SubscriptionNotice.sent_at, SubscriptionNotice.key)
    )
    return list((await session.scalars(stmt)).all())


# --- the owner's data export (subscriptions.data_export) ---


async def export_rows(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Sequence[object]]:
    """The account's subscriptions with their charges, refunds and notices."""
    subscriptions = list(
        (
            await session.scalars(
                select(SubscriptionRow)
                .where(SubscriptionRow.account_id == account_id)
                .order_by(SubscriptionRow.created_at, SubscriptionRow.id)
            )
        ).all()
    )
    ids = [row.id for row in subscriptions]

    async def rows(model: Any, *order: Any) -> list[object]:
        stmt = select(model).where(model.subscription_id.in_(ids)).order_by(*order)
        return list((await session.scalars(stmt)).all())

    return {
        "subscriptions": subscriptions,
        "subscription_charges": await rows(SubscriptionCharge, SubscriptionCharge.created_at),
        "subscription_refunds": await rows(SubscriptionRefund, SubscriptionRefund.created_at),
        "subscription_notices": await rows(SubscriptionNotice, SubscriptionNotice.sent_at),
    }


# --- erasure (rights) ------------------------------------------------------------------------


async def unsettled_count(session: AsyncSession, subscription_ids: Sequence[uuid.UUID]) -> int:
    """Charges and refunds of these subscriptions still waiting for the provider."""
    if not subscription_ids:
        return 0
    count = 0
    for model in (SubscriptionCharge, SubscriptionRefund):
        stmt = select(model.id).where(
            model.subscription_id.in_(subscription_ids), model.state == PENDING
        )
        count += len((await session.scalars(stmt)).all())
    return count


async def pseudonymise(
    session: AsyncSession, *, account_id: uuid.UUID, pseudonym: uuid.UUID
) -> None:
    """Keep the account's subscriptions (the billing record the invoices and refunds refer to)
    under the pseudonym, without the billing address (the invoices carry it) and without the
    card and its provider token on the charges."""
    ids = [row.id for row in await of_account(session, account_id)]
    await session.execute(
        update(SubscriptionRow)
        .where(SubscriptionRow.account_id == account_id)
        .values(
            account_id=pseudonym,
            billing_name=None,
            billing_street=None,
            billing_postcode=None,
            billing_city=None,
            billing_country=None,
        )
    )
    if ids:
        await session.execute(
            update(SubscriptionCharge)
            .where(SubscriptionCharge.subscription_id.in_(ids))
            .values(card_id=None, provider_token=None)
        )
    await session.flush()
