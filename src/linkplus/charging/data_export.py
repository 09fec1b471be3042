"""The charging domain's part of the owner's data export: the account's chargers (with the
cars they charge and their weekly windows), its charging sessions with their meter values, and
the start and stop requests it sent. The charger's password and activation code are not
exported (credentials)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.charging import repository
from linkplus.models.exported import DomainExport, table_of

WITHHELD = {
    "chargers": {
        "password_hash": "the hash of the charger's password (a credential); a new password "
        "can be set on the charger's page",
        "activation_code_hash": "the hash of the activation code on the charger's label (the "
        "manufacturer's credential of the device)",
    },
}


async def export(session: AsyncSession, account_id: uuid.UUID) -> DomainExport:
    rows = await repository.export_rows(session, account_id)
    return DomainExport(
        "charging",
        [table_of(name, found, withheld=WITHHELD.get(name)) for name, found in rows.items()],
    )
