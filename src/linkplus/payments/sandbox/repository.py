"""All SQL of the sandbox provider (its own ``sandbox_*`` tables only)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.db import dialect_insert
from linkplus.models.payments import (
    SandboxCard,
    SandboxCardSession,
    SandboxChallenge,
    SandboxCharge,
    SandboxFault,
    SandboxRefund,
)

Row = SandboxCard | SandboxCardSession | SandboxChallenge | SandboxCharge | SandboxRefund


async def add(session: AsyncSession, row: Row | SandboxFault) -> None:
    session.add(row)
    await session.flush()


async def add_once(
    session: AsyncSession, row: SandboxCharge | SandboxRefund | SandboxFault
) -> bool:
    """Insert a row keyed by an idempotency key; False if another request got there first.

    On PostgreSQL the second of two concurrent inserts waits for the first to commit and then
    fails on the unique key; the savepoint keeps this transaction usable to read the winner.
    """
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


async def charge_and_card(
    session: AsyncSession, *, key: str, token: str
) -> tuple[SandboxCharge | None, SandboxCard | None]:
    """The charge made under ``key`` (if any) and the card behind ``token`` (None for an unknown
    or deleted one), in one statement when the card exists (the usual case)."""
    found = (
        await session.execute(
            select(SandboxCard, SandboxCharge)
            .select_from(SandboxCard)
            .outerjoin(SandboxCharge, SandboxCharge.idempotency_key == key)
            .where(SandboxCard.token == token)
        )
    ).first()
    if found is None:
        return await charge_by_key(session, key), None
    card, charge = found
    return charge, (None if card.behaviour == "forgotten" else card)


async def insert_charge_once(session: AsyncSession, row: SandboxCharge) -> bool:
    """Insert a charge; False if one with its idempotency key exists (another request got there
    first: on PostgreSQL the second of two concurrent inserts waits for the first to commit).
    One ``INSERT ... ON CONFLICT DO NOTHING``, no savepoint; ``row`` stays outside the session."""
    values = {c.key: getattr(row, c.key) for c in SandboxCharge.__mapper__.column_attrs}
    stmt = (
        dialect_insert(session, SandboxCharge)
        .values(values)
        .on_conflict_do_nothing(index_elements=[SandboxCharge.idempotency_key])
        .returning(SandboxCharge.id)
    )
    return (await session.execute(stmt)).first() is not None


async def card_session(session: AsyncSession, session_id: str) -> SandboxCardSession | None:
    return await session.get(SandboxCardSession, session_id, with_for_update=True)


async def card(session: AsyncSession, token: str) -> SandboxCard | None:
    """The card behind ``token``; None for an unknown one or one the owner had deleted."""
    row = await session.get(SandboxCard, token)
    return None if row is None or row.behaviour == "forgotten" else row


async def challenge(session: AsyncSession, challenge_id: str) -> SandboxChallenge | None:
    return await session.get(SandboxChallenge, challenge_id, with_for_update=True)


async def charge(
    session: AsyncSession, charge_id: str, *, for_update: bool = False
) -> SandboxCharge | None:
    return await session.get(
        SandboxCharge, charge_id, with_for_update=for_update, populate_existing=for_update
    )


async def charge_by_key(session: AsyncSession, key: str) -> SandboxCharge | None:
    return (
        await session.scalars(select(SandboxCharge).where(SandboxCharge.idempotency_key == key))
    ).first()


async def refund_by_key(session: AsyncSession, key: str) -> SandboxRefund | None:
    return (
        await session.scalars(select(SandboxRefund).where(SandboxRefund.idempotency_key == key))
    ).first()


async def fault_served(session: AsyncSession, key: str) -> bool:
    return await session.get(SandboxFault, key) is not None
