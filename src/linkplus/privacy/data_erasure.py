"""Erasure (GDPR art. 17): the account's consents with their history and the privacy-mode
changes it made or that happened in its time with a car. Called by ``linkplus.rights``;
docs/privacy-rights.md, "Erasure". Location holds stay: they belong to a safety case."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.kit.spans import Span
from linkplus.privacy import repository


async def erase_car_data(
    session: AsyncSession, *, account_id: uuid.UUID, vin: str, spans: Sequence[Span]
) -> None:
    await repository.erase_privacy_changes(session, account_id=account_id, vin=vin, spans=spans)


async def erase_account_data(session: AsyncSession, *, account_id: uuid.UUID) -> None:
    await repository.erase_account_records(session, account_id=account_id)
