"""The notifications domain's part of the owner's data export: the inbox, the e-mails sent
(attachments included, as base64), push subscriptions and preferences. Read only."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.exported import DomainExport, table_of
from linkplus.notifications import repository

WITHHELD = {
    "push_subscriptions": {
        "auth": "the secret your browser shares with its push service to decrypt messages "
        "(a credential); the subscription's address and public key are exported",
    },
}


async def export(session: AsyncSession, account_id: uuid.UUID) -> DomainExport:
    rows = await repository.export_rows(session, account_id)
    return DomainExport(
        "notifications",
        [table_of(name, found, withheld=WITHHELD.get(name)) for name, found in rows.items()],
    )
