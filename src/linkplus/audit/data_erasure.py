"""Erasure (GDPR art. 17): the audit log is kept (who did what, when: the platform's
accountability, art. 5(2) and 17(3)(b)), pseudonymised. The account's id, wherever an entry
names it as actor or subject, becomes ``erased:<pseudonym>``; in the details, every value that
holds one of the account's identifiers (its id, e-mail addresses, session ids) is replaced the
same way. The database lets an UPDATE change only those columns, and the ids only into a
pseudonym (migration 0020). docs/privacy-rights.md, "Erasure"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, cast, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.audit import AuditEntry

PREFIX = "erased:"


def pseudonym_of(pseudonym: object) -> str:
    return f"{PREFIX}{pseudonym}"


def _scrub(value: Any, needles: Sequence[str], replacement: str) -> Any:
    if isinstance(value, dict):
        return {key: _scrub(item, needles, replacement) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, needles, replacement) for item in value]
    if isinstance(value, str) and any(needle.lower() in value.lower() for needle in needles):
        return replacement
    return value


async def pseudonymise(
    session: AsyncSession, *, account_id: str, identifiers: Sequence[str], pseudonym: str
) -> int:
    """``identifiers``: everything that names the account (its id first); returns the entries
    changed."""
    needles = [account_id, *identifiers]
    details = func.lower(cast(AuditEntry.details, String))
    stmt = select(AuditEntry).where(
        or_(
            AuditEntry.actor_id == account_id,
            AuditEntry.subject_id == account_id,
            *(details.contains(needle.lower()) for needle in needles),
        )
    )
    changed = 0
    for entry in (await session.scalars(stmt)).all():
        await session.execute(
            update(AuditEntry)
            .where(AuditEntry.id == entry.id)
            .values(
                actor_id=pseudonym if entry.actor_id == account_id else entry.actor_id,
                subject_id=pseudonym if entry.subject_id == account_id else entry.subject_id,
                details=_scrub(entry.details, needles, pseudonym),
            )
            .execution_options(synchronize_session=False)
        )
        changed += 1
    await session.flush()
    return changed
