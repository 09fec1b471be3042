"""All SQL of the dealers domain."""

from __future__ import annotations

import uuid

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.db import dialect_insert
from linkplus.models.dealers import PreferredDealer


async def preferred_dealer_id(session: AsyncSession, account_id: uuid.UUID) -> str | None:
    row = await session.get(PreferredDealer, account_id, populate_existing=True)
    return row.dealer_id if row is not None else None


async def set_preferred_dealer(
    session: AsyncSession, *, account_id: uuid.UUID, dealer_id: str
) -> None:
    """Insert or replace in one statement, so two devices choosing at once cannot collide."""
    values = {"account_id": account_id, "dealer_id": dealer_id}
    key = ["account_id"]
    stmt = dialect_insert(session, PreferredDealer).values(values)
    await session.execute(stmt.on_conflict_do_update(index_elements=key, set_=values))


# --- erasure (rights) ------------------------------------------------------------------------


async def erase_preferred_dealer(session: AsyncSession, *, account_id: uuid.UUID) -> None:
    await session.execute(delete(PreferredDealer).where(PreferredDealer.account_id == account_id))
    await session.flush()
