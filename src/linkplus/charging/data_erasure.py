"""Erasure (GDPR art. 17): the account's charging sessions, meter values and commands are
deleted; its chargers leave the account (no name, password, token, cars or windows) and stay
registered as devices for their next owner. Removing a car unlinks it from the account's
chargers and takes its VIN off the account's sessions. docs/charging.md, "Your data"."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.charging import repository


async def erase_account_data(session: AsyncSession, *, account_id: uuid.UUID) -> None:
    await repository.erase_account(session, account_id=account_id)


async def erase_car_data(session: AsyncSession, *, account_id: uuid.UUID, vin: str) -> None:
    await repository.erase_car(session, account_id=account_id, vin=vin)
