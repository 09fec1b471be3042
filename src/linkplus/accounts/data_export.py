"""The accounts domain's part of the owner's data export: the profile, sign-in sessions and
e-mail links. Read only, through ``accounts.repository``."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.accounts import repository
from linkplus.models.exported import DomainExport, table_of

# Credentials are never exported: each is a one-way hash, of no use to the owner and a help to
# anyone who gets hold of the file.
WITHHELD = {
    "accounts": {
        "password_hash": "a one-way hash of your password: it cannot be turned back into the "
        "password, and leaving it out keeps a lost export file from helping anyone guess it",
    },
    "refresh_tokens": {
        "token_hash": "the hash of a sign-in token (a credential); the session it belongs to "
        "is exported",
    },
    "account_tokens": {
        "token_hash": "the hash of a link sent by e-mail (a credential); what the link was for "
        "and when it was used are exported",
    },
}


async def export(session: AsyncSession, account_id: uuid.UUID) -> DomainExport:
    rows = await repository.export_rows(session, account_id)
    return DomainExport(
        "accounts",
        [table_of(name, found, withheld=WITHHELD.get(name)) for name, found in rows.items()],
    )
