"""An owner's request to erase the account (GDPR art. 17): the grace period and the job's
progress. After the erasure the row keeps no personal data: the account id is cleared and only
the pseudonym that replaced it in the kept records stays (docs/privacy-rights.md, "Erasure")."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base, new_uuid


class ErasureState(StrEnum):
    pending = "pending"  # in the grace period: the owner can still cancel
    cancelled = "cancelled"
    erasing = "erasing"  # the job has begun: no way back
    done = "done"


class ErasureRequest(Base):
    __tablename__ = "erasure_requests"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    # No foreign key: the account row is deleted at the end, and this row then forgets it.
    account_id: Mapped[uuid.UUID | None]
    # What replaces the account id in the records that must be kept (invoices, audit log).
    pseudonym: Mapped[uuid.UUID] = mapped_column(default=new_uuid)
    state: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime]
    erase_after: Mapped[datetime]
    remind_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_erasure_requests_account", "account_id"),
        Index("ix_erasure_requests_state_due", "state", "erase_after"),
    )
