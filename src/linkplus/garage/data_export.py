"""The garage domain's part of the owner's data export, and the account's tenure with each of
its cars, which scopes every other domain's part (docs/garage.md, "Whose data").

Only the cars in the account's garage now are covered: a car removed from the account took the
account's data about it with it (seed 000), so nothing of that time is exported again."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.garage import repository
from linkplus.garage.tenure import Tenure, tenure_of
from linkplus.models.exported import DomainExport, table_of


async def tenures(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Tenure]:
    """Per car in the account's garage (VIN), the account's time with it."""
    found: dict[str, Tenure] = {}
    for entry in await repository.entries_of_account(session, account_id):
        primary = await repository.primary_of(session, entry.vin)
        found[entry.vin] = tenure_of(
            account_id,
            linked_since=entry.added_at,
            past=await repository.past_periods(session, vin=entry.vin, account_id=account_id),
            primary_since=(
                primary.since if primary is not None and primary.account_id == account_id else None
            ),
        )
    return found


async def export(session: AsyncSession, account_id: uuid.UUID) -> DomainExport:
    rows = await repository.export_rows(session, account_id)
    return DomainExport("garage", [table_of(name, found) for name, found in rows.items()])
