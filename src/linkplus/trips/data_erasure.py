"""Erasure (GDPR art. 17): the account's trips (with their samples and scores) and its notes of
trips not saved. Called by ``linkplus.rights``; docs/privacy-rights.md, "Erasure"."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.trips import repository


async def erase_car_data(session: AsyncSession, *, account_id: uuid.UUID, vin: str) -> None:
    await repository.erase_trips(session, account_id=account_id, vin=vin)


async def erase_account_data(session: AsyncSession, *, account_id: uuid.UUID) -> None:
    await repository.erase_trips(session, account_id=account_id, vin=None)
