"""Erasure (GDPR art. 17): the account's preferred dealer. Called by ``linkplus.rights``."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.dealers import repository


async def erase_account_data(session: AsyncSession, *, account_id: uuid.UUID) -> None:
    await repository.erase_preferred_dealer(session, account_id=account_id)
