"""All SQL of the rights package's own table (``data_exports``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.rights import DataExport, ExportState

# --- exports ---------------------------------------------------------------------------------


async def add_export(session: AsyncSession, row: DataExport) -> None:
    session.add(row)
    await session.flush()


async def export_in_progress(session: AsyncSession, account_id: uuid.UUID) -> DataExport | None:
    stmt = select(DataExport).where(
        DataExport.account_id == account_id, DataExport.state == ExportState.queued.value
    )
    return (await session.scalars(stmt)).first()


async def export_of_account(
    session: AsyncSession, *, account_id: uuid.UUID, export_id: uuid.UUID
) -> DataExport | None:
    stmt = select(DataExport).where(DataExport.id == export_id, DataExport.account_id == account_id)
    return (await session.scalars(stmt)).first()


async def get_export(session: AsyncSession, export_id: uuid.UUID) -> DataExport | None:
    return await session.get(DataExport, export_id)


async def exports_of_account(
    session: AsyncSession, account_id: uuid.UUID, *, limit: int | None
) -> list[DataExport]:
    """The account's exports, newest first (``limit`` of them; None: all)."""
    stmt = (
        select(DataExport)
        .where(DataExport.account_id == account_id)
        .order_by(DataExport.requested_at.desc(), DataExport.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list((await session.scalars(stmt)).all())


async def expired_exports(session: AsyncSession, now: datetime) -> list[DataExport]:
    """Ready exports whose link has run out (their files to delete)."""
    stmt = select(DataExport).where(
        DataExport.state == ExportState.ready.value, DataExport.expires_at <= now
    )
    return list((await session.scalars(stmt)).all())


async def give_up_stale(session: AsyncSession, *, requested_before: datetime) -> int:
    """Mark exports still queued since before ``requested_before`` failed (their job died), so
    the owner may ask again."""
    result = await session.execute(
        update(DataExport)
        .where(
            DataExport.state == ExportState.queued.value,
            DataExport.requested_at < requested_before,
        )
        .values(state=ExportState.failed.value)
    )
    await session.flush()
    return int(getattr(result, "rowcount", 0) or 0)
