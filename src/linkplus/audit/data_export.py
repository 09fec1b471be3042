"""The audit log's part of the owner's data export: every entry the account made (as actor) or
that is about the account (as subject), staff actors by id, never by name; and the records of
staff looking at the owner's data (who saw my data), without the staff member's id or sign-in,
as the owner's own list shows them."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.audit import repository
from linkplus.models.exported import DomainExport, table_of


async def export(session: AsyncSession, account_id: uuid.UUID) -> DomainExport:
    rows = await repository.entries_of_account(session, account_id)
    looks = await repository.of_account(session, account_id, before_id=None, limit=None)
    staff_private = "which staff member it was stays private (the role and organisation are shown)"
    return DomainExport(
        "audit",
        [
            table_of("audit_log", rows),
            table_of(
                "staff_access_records",
                list(reversed(looks)),
                withheld={"staff_id": staff_private, "staff_session": staff_private},
            ),
        ],
    )
