"""All SQL of the sandbox provider (its own ``sandbox_*`` tables only)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

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
