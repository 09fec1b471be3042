"""Erasure (GDPR art. 17) of the account's support cases and their threads; when a car leaves
the account, its cases no longer name it. Called by ``linkplus.rights``."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.support import repository


async def erase_account_data(session: AsyncSession, *, account_id: uuid.UUID) -> None:
    await repository.erase_account(session, account_id)


async def erase_car_data(session: AsyncSession, *, account_id: uuid.UUID, vin: str) -> None:
    await repository.erase_car(session, account_id, vin)
