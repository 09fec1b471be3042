"""The vehicles domain's part of the owner's data export: the registry facts of the cars in the
account's garage (plate, model, odometer) and the head-unit pairing codes used on them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.exported import DomainExport, table_of
from linkplus.vehicles import repository


async def export(session: AsyncSession, vins: Sequence[str]) -> DomainExport:
    rows = await repository.export_rows(session, vins)
    return DomainExport("vehicles", [table_of(name, found) for name, found in rows.items()])
