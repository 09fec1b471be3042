"""The audit log's part of the owner's data export: every entry the account made (as actor) or
that is about the account (as subject). Staff actors appear by id, never by name."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.audit import AuditEntry
from linkplus.models.exported import DomainExport, table_of


async def export(session: AsyncSession, account_id: uuid.UUID) -> DomainExport:
    # The audit package has no repository of its own: its two queries (record, and this read)
    # live in the package, as ``audit.service`` does.
    key = str(account_id)
    stmt = (
        select(AuditEntry)
        .where(
            or_(
                (AuditEntry.actor_type == "owner") & (AuditEntry.actor_id == key),
                (AuditEntry.subject_type == "account") & (AuditEntry.subject_id == key),
            )
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    rows = list((await session.scalars(stmt)).all())
    return DomainExport("audit", [table_of("audit_log", rows)])
