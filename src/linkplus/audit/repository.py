"""All SQL of the staff access records, and the audit log's read for the owner's export."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.accounts import Account
from linkplus.models.audit import AuditEntry, StaffAccessRecord


async def existing_accounts(
    session: AsyncSession, account_ids: Collection[uuid.UUID]
) -> list[uuid.UUID]:
    if not account_ids:
        return []
    rows = await session.scalars(select(Account.id).where(Account.id.in_(list(account_ids))))
    return list(rows.all())


def add(session: AsyncSession, rows: list[StaffAccessRecord]) -> None:
    session.add_all(rows)


async def latest_given(
    session: AsyncSession,
    *,
    staff_id: uuid.UUID,
    staff_session: str,
    subject: str,
    since: datetime,
) -> StaffAccessRecord | None:
    """The newest reason the staff member gave for ``subject`` in this sign-in since ``since``."""
    stmt = (
        select(StaffAccessRecord)
        .where(
            StaffAccessRecord.staff_session == staff_session,
            StaffAccessRecord.subject == subject,
            StaffAccessRecord.staff_id == staff_id,
            StaffAccessRecord.reason_source == "given",
            StaffAccessRecord.at >= since,
        )
        .order_by(StaffAccessRecord.id.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def of_account(
    session: AsyncSession, account_id: uuid.UUID, *, before_id: int | None, limit: int | None
) -> list[StaffAccessRecord]:
    """The account's records, newest first, ``limit`` of them (None: all) older than
    ``before_id``."""
    stmt = select(StaffAccessRecord).where(StaffAccessRecord.account_id == account_id)
    if before_id is not None:
        stmt = stmt.where(StaffAccessRecord.id < before_id)
    stmt = stmt.order_by(StaffAccessRecord.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    return list((await session.scalars(stmt)).all())


async def entries_of_account(session: AsyncSession, account_id: uuid.UUID) -> list[AuditEntry]:
    """Every audit entry the account made (as owner) or that is about it, oldest first."""
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
    return list((await session.scalars(stmt)).all())
