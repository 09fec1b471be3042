"""The owner's side of "who saw my data": the staff access records of their account as they
may read them (when, which role and organisation, why, what), newest first, a page at a time.
The staff member's name and id never leave ``audit``."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.audit import access
from linkplus.audit.reasons import (
    ROLE_WORDS,
    VIEW_WORDS,
    AccessReason,
    ReasonCode,
    ReasonSource,
)
from linkplus.models.audit import StaffAccessRecord
from linkplus.rights.access_schemas import AccessRecordOut, AccessRecordPage

PAGE_DEFAULT = 20
PAGE_MAX = access.PAGE_MAX


def _out(row: StaffAccessRecord) -> AccessRecordOut:
    reason = AccessReason(ReasonCode(row.reason_code), row.reason_text)
    return AccessRecordOut(
        at=row.at,
        role=ROLE_WORDS.get(row.staff_role, "Staff"),
        organisation=row.organisation,
        what=row.what,
        what_words=VIEW_WORDS.get(row.what, row.what),
        reason=row.reason_code,
        reason_words=reason.words(),
        automatic=row.reason_source == ReasonSource.case.value,
    )


async def access_records(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    before: int | None = None,
    limit: int = PAGE_DEFAULT,
) -> AccessRecordPage:
    """One page of the account's records, newest first; ``next_before`` continues it."""
    rows = await access.owner_records(
        session, account_id=account_id, before_id=before, limit=limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return AccessRecordPage(
        records=[_out(row) for row in rows],
        next_before=rows[-1].id if more and rows else None,
    )
