"""The support feature's part of the owner's data export: the account's cases and their
threads (the agents' answers included; which agent wrote stays internal)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.exported import DomainExport, table_of
from linkplus.support import repository


async def export(session: AsyncSession, account_id: uuid.UUID) -> DomainExport:
    rows = await repository.export_rows(session, account_id)
    return DomainExport(
        "support",
        [
            table_of(name, found, withheld={"staff_id": "which agent wrote stays internal"})
            if name == "support_messages"
            else table_of(name, found)
            for name, found in rows.items()
        ],
    )
