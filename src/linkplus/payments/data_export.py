"""The payments domain's part of the owner's data export: the wallet's cards as the owner sees
them (brand, last four digits, expiry, billing address, when added and removed)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.exported import DomainExport, table_of
from linkplus.payments import repository

WITHHELD = {
    "payment_cards": {
        "provider_token": "the payment provider's token that lets the platform charge the card "
        "(a payment credential)",
        "fingerprint": "the payment provider's one-way hash of the full card number",
    },
}


async def export(session: AsyncSession, account_id: uuid.UUID) -> DomainExport:
    rows = await repository.export_rows(session, account_id)
    return DomainExport(
        "payments",
        [table_of(name, found, withheld=WITHHELD.get(name)) for name, found in rows.items()],
    )
