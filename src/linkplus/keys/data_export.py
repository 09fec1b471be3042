"""The digital-key domain's part of the owner's data export: the keys the account holds (with
their certificates), the invitations it sent or accepted, and the revocations of its keys. The
share code's hash is withheld (a credential)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.keys import repository
from linkplus.models.exported import DomainExport, table_of

WITHHELD = {"key_invites": {"code_hash": "the hash of the share code (a credential)"}}


async def export(session: AsyncSession, account_id: uuid.UUID) -> DomainExport:
    keys = await repository.keys_of_account(session, account_id)
    invites = await repository.invites_by_account(session, account_id)
    found = await repository.revocations(
        session, [k.revocation_id for k in keys if k.revocation_id is not None]
    )
    return DomainExport(
        "keys",
        [
            table_of("digital_keys", keys),
            table_of("key_invites", invites, withheld=WITHHELD["key_invites"]),
            table_of("key_revocations", list(found.values())),
        ],
    )
