"""Erasure (GDPR art. 17): what the car recorded in an account's time with it (positions, status
values, events, trip uploads, post-trip checks, the parked position) and the car's answers to
the account's commands. Called by ``linkplus.rights``; docs/privacy-rights.md, "Erasure"."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.kit.spans import Span
from linkplus.vehicle_link import repository


async def erase_car_data(session: AsyncSession, *, vin: str, spans: Sequence[Span]) -> None:
    await repository.erase_car_records(session, vin=vin, spans=spans)


async def erase_command_answers(session: AsyncSession, command_ids: Collection[uuid.UUID]) -> None:
    await repository.erase_command_results(session, command_ids)
