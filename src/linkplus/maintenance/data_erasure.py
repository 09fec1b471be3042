"""Erasure (GDPR art. 17) of the maintenance feature's data about an account: its own service
records, the reminders it was sent, the warnings told to it; and, when a car leaves the
account, what the car showed in its time with it. Called by ``linkplus.rights``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.kit.spans import Span
from linkplus.maintenance import repository


async def erase_account_data(session: AsyncSession, *, account_id: uuid.UUID) -> None:
    await repository.erase_account(session, account_id)


async def erase_car_data(
    session: AsyncSession, *, account_id: uuid.UUID, vin: str, spans: Sequence[Span]
) -> None:
    await repository.erase_car_records(session, account_id=account_id, vin=vin, spans=spans)
