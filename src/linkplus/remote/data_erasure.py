"""Erasure (GDPR art. 17): the account's remote commands (their history and the car's answers)
and climate schedules. Called by ``linkplus.rights``; docs/privacy-rights.md, "Erasure"."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.jobs import data_erasure as jobs
from linkplus.remote import repository
from linkplus.vehicle_link import data_erasure as vehicle_link


async def erase_car_data(session: AsyncSession, *, account_id: uuid.UUID, vin: str) -> None:
    await _erase(session, account_id=account_id, vin=vin)


async def erase_account_data(session: AsyncSession, *, account_id: uuid.UUID) -> None:
    await _erase(session, account_id=account_id, vin=None)


async def _erase(session: AsyncSession, *, account_id: uuid.UUID, vin: str | None) -> None:
    """The commands and schedules, the car's answers, and the jobs that name them (a command's
    send and expiry, a schedule's runs: with the record gone they have nothing to do)."""
    commands, schedules = await repository.erase_commands(session, account_id=account_id, vin=vin)
    await vehicle_link.erase_command_answers(session, commands)
    await jobs.forget_not_running(session, [str(i) for i in (*commands, *schedules)])
