"""All SQL of the wallet (the platform's ``payment_cards``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.payments import PaymentCard


async def insert_card(session: AsyncSession, card: PaymentCard) -> bool:
    """Insert in a savepoint; False when a unique index refused it (a concurrent duplicate or a
    concurrent first card that became primary)."""
    try:
        async with session.begin_nested():
            session.add(card)
    except IntegrityError:
        return False
    return True


async def active_cards(
    session: AsyncSession, *, account_id: uuid.UUID, lock: bool = False
) -> list[PaymentCard]:
    """The account's cards in the order they were added. ``lock`` makes concurrent changes to
    the same wallet wait for each other (PostgreSQL; SQLite has one writer anyway)."""
    stmt = (
        select(PaymentCard)
        .where(PaymentCard.account_id == account_id, PaymentCard.removed_at.is_(None))
        .order_by(PaymentCard.added_at, PaymentCard.id)
    )
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return list((await session.scalars(stmt)).all())


async def card_by_token(session: AsyncSession, token: str) -> PaymentCard | None:
    stmt = select(PaymentCard).where(PaymentCard.provider_token == token)
    return (await session.scalars(stmt)).first()


async def primary_card(session: AsyncSession, *, account_id: uuid.UUID) -> PaymentCard | None:
    stmt = select(PaymentCard).where(
        PaymentCard.account_id == account_id,
        PaymentCard.is_primary.is_(True),
        PaymentCard.removed_at.is_(None),
    )
    return (await session.scalars(stmt)).first()


async def primary_cards(
    session: AsyncSession, *, account_ids: list[uuid.UUID]
) -> dict[uuid.UUID, PaymentCard]:
    """``primary_card`` for many accounts in one statement (accounts with no card left out)."""
    if not account_ids:
        return {}
    stmt = select(PaymentCard).where(
        PaymentCard.account_id.in_(account_ids),
        PaymentCard.is_primary.is_(True),
        PaymentCard.removed_at.is_(None),
    )
    found: dict[uuid.UUID, PaymentCard] = {}
    for card in await session.scalars(stmt):
        found.setdefault(card.account_id, card)
    return found


async def clear_primary(session: AsyncSession, *, account_id: uuid.UUID) -> None:
    """Unset the primary flag first, so setting another never meets the one-primary index."""
    await session.execute(
        update(PaymentCard)
        .where(PaymentCard.account_id == account_id, PaymentCard.is_primary.is_(True))
        .values(is_primary=False)
        .execution_options(synchronize_session="fetch")
    )


async def primary_cards_ending_by(
    session: AsyncSession, *, month_index: int, limit: int = 500
) -> list[PaymentCard]:
    """Primary cards not yet told about, whose last valid month is ``month_index`` or earlier
    (``year * 12 + month``)."""
    stmt = (
        select(PaymentCard)
        .where(
            PaymentCard.is_primary.is_(True),
            PaymentCard.removed_at.is_(None),
            PaymentCard.expiry_notice_sent_at.is_(None),
            PaymentCard.exp_year * 12 + PaymentCard.exp_month <= month_index,
        )
        .order_by(PaymentCard.id)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


# --- the owner's data export (payments.data_export) ---


async def export_rows(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Sequence[object]]:
    """Every card the account added, removed ones included."""
    cards = (
        await session.scalars(
            select(PaymentCard)
            .where(PaymentCard.account_id == account_id)
            .order_by(PaymentCard.added_at, PaymentCard.id)
        )
    ).all()
    return {"payment_cards": list(cards)}


# --- erasure (rights) ------------------------------------------------------------------------


async def all_cards(session: AsyncSession, *, account_id: uuid.UUID) -> list[PaymentCard]:
    """Every card row of the account, removed ones too (they still hold the provider's token)."""
    stmt = select(PaymentCard).where(PaymentCard.account_id == account_id)
    return list((await session.scalars(stmt)).all())


async def delete_cards(session: AsyncSession, *, account_id: uuid.UUID) -> None:
    await session.execute(delete(PaymentCard).where(PaymentCard.account_id == account_id))
    await session.flush()
