"""Support cases: an owner's "Contact us" request, its message thread with the customer
centre, and its state."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base, BigIntPK, new_uuid


class SupportCaseState(StrEnum):
    open = "open"  # waiting for the customer centre
    answered = "answered"  # the customer centre answered; waiting for the owner
    closed = "closed"


class Author(StrEnum):
    owner = "owner"
    agent = "agent"


class SupportCase(Base):
    __tablename__ = "support_cases"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(120))
    vin: Mapped[str | None] = mapped_column(String(17))  # the car a case is about
    invoice_number: Mapped[str | None] = mapped_column(String(40))  # a payment case's invoice
    state: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_support_cases_account", "account_id", "opened_at"),
        Index("ix_support_cases_state", "state", "updated_at"),
    )


class SupportMessage(Base):
    """One message of a case's thread; the numbering gives the thread's order."""

    __tablename__ = "support_messages"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("support_cases.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(8))
    staff_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
