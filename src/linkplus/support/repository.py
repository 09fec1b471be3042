"""All SQL of the support feature."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.accounts import Account
from linkplus.models.support import SupportCase, SupportMessage

QUEUE_MAX = 200


async def add_case(session: AsyncSession, case: SupportCase, first: SupportMessage) -> None:
    session.add(case)
    await session.flush()
    first.case_id = case.id
    session.add(first)
    await session.flush()


async def add_message(session: AsyncSession, message: SupportMessage) -> None:
    session.add(message)
    await session.flush()


async def get_case(session: AsyncSession, case_id: uuid.UUID) -> SupportCase | None:
    return await session.get(SupportCase, case_id)


async def case_of_account(
    session: AsyncSession, *, case_id: uuid.UUID, account_id: uuid.UUID
) -> SupportCase | None:
    stmt = select(SupportCase).where(
        SupportCase.id == case_id, SupportCase.account_id == account_id
    )
    return await session.scalar(stmt)


async def cases_of_account(session: AsyncSession, account_id: uuid.UUID) -> list[SupportCase]:
    stmt = (
        select(SupportCase)
        .where(SupportCase.account_id == account_id)
        .order_by(SupportCase.updated_at.desc())
    )
    return list((await session.scalars(stmt)).all())


async def messages(session: AsyncSession, case_id: uuid.UUID) -> list[SupportMessage]:
    stmt = (
        select(SupportMessage).where(SupportMessage.case_id == case_id).order_by(SupportMessage.id)
    )
    return list((await session.scalars(stmt)).all())


async def queue(session: AsyncSession, states: Sequence[str]) -> list[SupportCase]:
    """Cases in ``states``, the longest waiting first."""
    stmt = (
        select(SupportCase)
        .where(SupportCase.state.in_(states))
        .order_by(SupportCase.updated_at)
        .limit(QUEUE_MAX)
    )
    return list((await session.scalars(stmt)).all())


async def account(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    return await session.get(Account, account_id)


async def messages_of_account(session: AsyncSession, account_id: uuid.UUID) -> list[SupportMessage]:
    stmt = (
        select(SupportMessage)
        .join(SupportCase, SupportCase.id == SupportMessage.case_id)
        .where(SupportCase.account_id == account_id)
        .order_by(SupportMessage.id)
    )
    return list((await session.scalars(stmt)).all())


async def erase_account(session: AsyncSession, account_id: uuid.UUID) -> None:
    """The owner's cases and their threads (messages go with their case)."""
    ids = select(SupportCase.id).where(SupportCase.account_id == account_id)
    await session.execute(delete(SupportMessage).where(SupportMessage.case_id.in_(ids)))
    await session.execute(delete(SupportCase).where(SupportCase.account_id == account_id))


async def erase_car(session: AsyncSession, account_id: uuid.UUID, vin: str) -> None:
    """The car leaves the account: its cases no longer name it."""
    await session.execute(
        update(SupportCase)
        .where(SupportCase.account_id == account_id, SupportCase.vin == vin)
        .values(vin=None)
    )


async def export_rows(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Sequence[object]]:
    return {
        "support_cases": await cases_of_account(session, account_id),
        "support_messages": await messages_of_account(session, account_id),
    }
