"""Erasure (GDPR art. 17): the account's consents with their history go; the privacy-mode changes
it made stay as the car's history but forget the account (the data map's rule). Location holds
stay: they belong to a safety case. Called by ``linkplus.rights``; docs/privacy-rights.md."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.privacy import repository


async def erase_car_data(session: AsyncSession, *, account_id: uuid.UUID, vin: str) -> None:
    await repository.forget_privacy_changes(session, account_id=account_id, vin=vin)


async def erase_account_data(session: AsyncSession, *, account_id: uuid.UUID) -> None:
    await repository.erase_consents(session, account_id=account_id)
    await repository.forget_privacy_changes(session, account_id=account_id, vin=None)
