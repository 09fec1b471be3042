"""Erasure (GDPR art. 17): the inbox, the e-mails sent (the outbox keeps each message's text),
push subscriptions and preferences. Called by ``linkplus.rights``; docs/privacy-rights.md."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.notifications import repository


async def erase_car_data(session: AsyncSession, *, account_id: uuid.UUID, vin: str) -> None:
    await repository.erase_car_notifications(session, account_id=account_id, vin=vin)


async def erase_account_data(
    session: AsyncSession, *, account_id: uuid.UUID, addresses: list[str]
) -> None:
    await repository.erase_account_messages(session, account_id=account_id, addresses=addresses)
