"""Erasure (GDPR art. 17): safety cases are kept (emergency calls and thefts: what happened and
what the agents and the police were told, art. 17(3)(b) and (e)), no longer linked to the
account; the timeline names the erasure's pseudonym. Their positions stay with the case.
docs/privacy-rights.md, "Erasure"."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.safety import repository


async def erase_account_data(
    session: AsyncSession, *, account_id: uuid.UUID, pseudonym: str
) -> None:
    await repository.pseudonymise(session, account_id=account_id, pseudonym=pseudonym)
