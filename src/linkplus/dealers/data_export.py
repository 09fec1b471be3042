"""The dealers domain's part of the owner's data export: the preferred dealer."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.dealers import repository
from linkplus.models.exported import DomainExport, table_of


async def export(session: AsyncSession, account_id: uuid.UUID) -> DomainExport:
    rows = await repository.export_rows(session, account_id)
    return DomainExport("dealers", [table_of(name, found) for name, found in rows.items()])
