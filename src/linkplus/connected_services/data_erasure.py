"""Erasure (GDPR art. 17): the account's service activations and sell-checklist marks. Called by
``linkplus.rights``; docs/privacy-rights.md, "Erasure"."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.connected_services import repository


async def erase_account_data(session: AsyncSession, *, account_id: uuid.UUID) -> None:
    await repository.erase_services(session, account_id=account_id, vin=None)
