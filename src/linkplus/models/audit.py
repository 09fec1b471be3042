"""Append-only audit log (the migration adds triggers that refuse UPDATE and DELETE)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base, BigIntPK


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor_type: Mapped[str] = mapped_column(String(16))  # owner, staff, system, vehicle
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(100))
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]]

    __table_args__ = (
        Index("ix_audit_log_subject", "subject_type", "subject_id"),
        Index("ix_audit_log_actor", "actor_type", "actor_id"),
    )


class StaffAccessRecord(Base):
    """One time a staff member saw an owner's personal data, and why ("who saw my data").

    For the owner: the privacy portal lists them (role, organisation, reason, what; never the
    staff member's name or id). Rows are never changed (a trigger refuses UPDATE); they go with
    the owner's account (ON DELETE CASCADE). Separate from the audit log, which is the
    platform's own record of what staff did."""

    __tablename__ = "staff_access_records"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_accounts.id"))
    staff_role: Mapped[str] = mapped_column(String(32))
    organisation: Mapped[str] = mapped_column(String(100))
    # What was seen (audit.reasons.ViewKind) and of which thing ("vehicle:<VIN>", "case:<id>",
    # "account:<id>"): the console remembers a reason per thing within one sign-in session.
    what: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(80))
    reason_code: Mapped[str] = mapped_column(String(32))
    reason_text: Mapped[str] = mapped_column(String(200))
    # given (typed or chosen for this view), remembered (the console's, within its time), case
    # (an assigned safety case is the reason).
    reason_source: Mapped[str] = mapped_column(String(16))
    # An opaque key of the console sign-in session the reason was given in (None on the API).
    staff_session: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_staff_access_records_account", "account_id", "id"),
        Index("ix_staff_access_records_session", "staff_session", "subject"),
    )
