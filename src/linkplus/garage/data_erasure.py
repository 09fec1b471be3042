"""Erasure (GDPR art. 17): the garage's own records of an account with a car (past primary
stretches, identity checks, failed ownership proofs). Removing the car itself is
``garage.service.remove_vehicle``; the rights domain reacts to its event. docs/privacy-rights.md."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.garage import repository
from linkplus.kit.spans import Span


async def erase_car_data(session: AsyncSession, *, account_id: uuid.UUID, vin: str) -> None:
    await repository.erase_car_history(session, account_id=account_id, vin=vin)


async def erase_account_data(session: AsyncSession, *, account_id: uuid.UUID) -> None:
    await repository.erase_account_history(session, account_id=account_id)


async def earlier_tenures(session: AsyncSession, account_id: uuid.UUID) -> dict[str, list[Span]]:
    """The account's primary stretches with cars it no longer has (left before removal erased
    the data, or taken over by another account), so the account's erasure covers them too."""
    return {
        vin: await repository.past_periods(session, vin=vin, account_id=account_id)
        for vin in await repository.past_vins(session, account_id)
    }
