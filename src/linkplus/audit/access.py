"""Staff access records ("who saw my data"): every time staff see an owner's personal data, one
record per owner whose data was shown, with the reason, in the caller's transaction.

Every staff surface that shows an owner's data calls ``record_view`` with the reason it was
given (the staff API's ``reason`` parameters, the console's reason form, or the safety case the
agent holds); a view without one is refused with ``AccessReasonRequired`` before anything is
shown, and the refusal rolls back whatever the request wrote, so it records nothing. The audit
log is separate: it is the platform's record of what staff did; these are the owner's.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.audit import repository
from linkplus.audit.errors import AccessReasonRequired
from linkplus.audit.reasons import (
    ORGANISATIONS,
    AccessReason,
    ReasonCode,
    ReasonSource,
    ViewKind,
    reason_help,
)
from linkplus.models.accounts import StaffAccount
from linkplus.models.audit import StaffAccessRecord

# The console asks once per car or case and remembers the answer this long (from when it was
# given, not sliding) within the same sign-in session; signing out forgets it.
REMEMBER_FOR = timedelta(minutes=15)
PAGE_MAX = 100


def require(reason: AccessReason | None) -> AccessReason:
    """The reason, or the refusal that tells staff what to give."""
    if reason is None:
        raise AccessReasonRequired(
            "Say why you open this owner's data; the owner sees the reason. Add the query "
            f"parameter reason with one of: {reason_help()}. With reason=other, also give "
            "reason_text (5 to 200 characters)."
        )
    return reason


def console_session_key(cookie_token: str) -> str:
    """An opaque key of a console sign-in session (the reason is remembered within it). Derived
    from the session cookie with its own prefix, so it is no key to anything else."""
    return hashlib.sha256(b"staff-access-reason:" + cookie_token.encode()).hexdigest()


async def record_view(
    session: AsyncSession,
    *,
    now: datetime,
    staff: StaffAccount,
    account_ids: Iterable[uuid.UUID],
    what: ViewKind,
    subject: str,
    reason: AccessReason,
) -> None:
    """One record per owner account in ``account_ids`` (unknown ids are skipped: a look-up of an
    account that does not exist showed nobody's data)."""
    wanted = list(dict.fromkeys(account_ids))
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    rows = [
        StaffAccessRecord(
            at=now,
            account_id=account_id,
            staff_id=staff.id,
            staff_role=staff.role,
            organisation=ORGANISATIONS.get(staff.role, "Staff"),
            what=what.value,
            subject=subject[:80],
            reason_code=reason.code.value,
            reason_text=reason.text,
            reason_source=reason.source.value,
            staff_session=reason.staff_session,
            request_id=request_id,
        )
        for account_id in await repository.existing_accounts(session, wanted)
    ]
    repository.add(session, rows)
    await session.flush()


async def remembered(
    session: AsyncSession,
    *,
    now: datetime,
    staff: StaffAccount,
    staff_session: str,
    subject: str,
) -> AccessReason | None:
    """The reason this staff member gave for ``subject`` in this console sign-in, while it is
    remembered (``REMEMBER_FOR``); None when they must be asked."""
    row = await repository.latest_given(
        session,
        staff_id=staff.id,
        staff_session=staff_session,
        subject=subject,
        since=now - REMEMBER_FOR,
    )
    if row is None:
        return None
    return AccessReason(
        ReasonCode(row.reason_code), row.reason_text, ReasonSource.remembered, staff_session
    )


async def owner_records(
    session: AsyncSession, *, account_id: uuid.UUID, before_id: int | None, limit: int
) -> list[StaffAccessRecord]:
    """The owner's records, newest first (callers show them without the staff member)."""
    return await repository.of_account(
        session, account_id, before_id=before_id, limit=min(limit, PAGE_MAX)
    )
