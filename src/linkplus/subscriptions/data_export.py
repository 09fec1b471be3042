"""The subscriptions domain's part of the owner's data export: subscriptions with their charges,
refunds and notices."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.exported import DomainExport, table_of
from linkplus.subscriptions import repository

WITHHELD = {
    "subscription_charges": {
        "provider_token": "the payment provider's token of the card charged (a payment "
        "credential); the card itself is in payments/payment_cards",
    },
}


async def export(session: AsyncSession, account_id: uuid.UUID) -> DomainExport:
    rows = await repository.export_rows(session, account_id)
    return DomainExport(
        "subscriptions",
        [table_of(name, found, withheld=WITHHELD.get(name)) for name, found in rows.items()],
    )
