"""Erasure (GDPR art. 17): the account's remote commands (their history and the car's answers)
and climate schedules. Called by ``linkplus.rights``; docs/privacy-rights.md, "Erasure"."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.remote import repository
from linkplus.vehicle_link import data_erasure as vehicle_link


async def erase_car_data(session: AsyncSession, *, account_id: uuid.UUID, vin: str) -> None:
    ids = await repository.erase_commands(session, account_id=account_id, vin=vin)
    await vehicle_link.erase_command_answers(session, ids)


async def erase_account_data(session: AsyncSession, *, account_id: uuid.UUID) -> None:
    ids = await repository.erase_commands(session, account_id=account_id, vin=None)
    await vehicle_link.erase_command_answers(session, ids)
