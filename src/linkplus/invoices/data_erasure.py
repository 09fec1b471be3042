"""Erasure (GDPR art. 17): invoices and credit notes are kept as issued for the tax law's years
(``invoice_retention_years``; GDPR art. 17(3)(b)): the buyer's name and address, the lines
with the car's VIN and the amounts are what the law asks an invoice to show. Only the account
id they are filed under is replaced by the erasure's pseudonym. docs/privacy-rights.md."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.invoices import repository


async def erase_account_data(
    session: AsyncSession, *, account_id: uuid.UUID, pseudonym: uuid.UUID
) -> None:
    await repository.pseudonymise(session, account_id=account_id, pseudonym=pseudonym)
