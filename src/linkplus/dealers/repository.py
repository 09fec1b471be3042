"""All SQL of the dealers domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select
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


# --- the owner's data export (dealers.data_export) ---


async def export_rows(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Sequence[object]]:
    """The account's preferred dealer."""
    rows = (
        await session.scalars(
            select(PreferredDealer).where(PreferredDealer.account_id == account_id)
        )
    ).all()
    return {"preferred_dealers": list(rows)}


# --- erasure (rights) ------------------------------------------------------------------------


async def erase_preferred_dealer(session: AsyncSession, *, account_id: uuid.UUID) -> None:
    await session.execute(delete(PreferredDealer).where(PreferredDealer.account_id == account_id))
    await session.flush()
