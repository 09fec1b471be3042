"""The maintenance feature's part of the owner's data export: the warnings the account's cars
showed in its tenure, its service records (its own, and the dealer's visits in its tenure) and
the service reminders it was sent."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.kit.spans import Span
from linkplus.maintenance import repository
from linkplus.models.exported import DomainExport, table_of


async def export(
    session: AsyncSession, account_id: uuid.UUID, cars: Mapping[str, Sequence[Span]]
) -> DomainExport:
    rows = await repository.export_rows(session, account_id, cars)
    hidden = {"service_records": {"staff_id": "which dealer staff member wrote stays internal"}}
    return DomainExport(
        "maintenance",
        [table_of(name, found, withheld=hidden.get(name)) for name, found in rows.items()],
    )
