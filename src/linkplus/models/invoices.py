"""Invoices and credit notes, their lines, and the counters that number them.

An issued document is a legal record: rows of ``invoice_documents`` and ``invoice_lines`` are
never changed or removed (the migration adds triggers that refuse UPDATE and DELETE). Seller and
buyer are copied into the document as they were on the day of issue, so a later change of
address, of the selling entity or of the account itself never rewrites an old invoice. There is
deliberately no foreign key to ``accounts``: tax law keeps invoices for years after an account
is closed, and the buyer's details travel with the document.

Numbers are gapless per series (selling country, kind, year): ``invoice_number_counters`` holds
one row per series, locked and incremented in the transaction that writes the document, so a
rolled-back issue gives its number back.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base, BigIntPK, new_uuid


class DocumentKind(StrEnum):
    invoice = "invoice"
    credit_note = "credit_note"


class InvoiceDocument(Base):
    """An invoice (for a charge) or a credit note (for a refund, correcting one invoice).

    Amounts are positive minor units of ``currency`` for both kinds; a credit note's amounts
    are what is credited. ``vat_rate`` is the exact decimal as text ("0.19").
    """

    __tablename__ = "invoice_documents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    kind: Mapped[str] = mapped_column(String(16))
    number: Mapped[str] = mapped_column(String(32), unique=True)
    series_country: Mapped[str] = mapped_column(String(2))
    series_year: Mapped[int]
    sequence: Mapped[int]
    account_id: Mapped[uuid.UUID]
    corrects_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoice_documents.id"))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    payment_reference: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(String(500))
    issued_on: Mapped[date]
    created_at: Mapped[datetime]
    currency: Mapped[str] = mapped_column(String(3))
    vat_rate: Mapped[str] = mapped_column(String(12))
    tax_name: Mapped[str] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(35))
    seller: Mapped[dict[str, Any]]
    buyer: Mapped[dict[str, Any]]
    net_minor: Mapped[int] = mapped_column(BigInteger)
    vat_minor: Mapped[int] = mapped_column(BigInteger)
    gross_minor: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint(
            "series_country", "kind", "series_year", "sequence", name="uq_invoice_documents_series"
        ),
        Index("ix_invoice_documents_account", "account_id", "created_at"),
        Index("ix_invoice_documents_corrects", "corrects_id"),
        CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind"),
        CheckConstraint("net_minor + vat_minor = gross_minor", name="totals_add_up"),
        CheckConstraint("gross_minor >= 0 AND vat_minor >= 0", name="amounts_not_negative"),
        CheckConstraint(
            "(kind = 'invoice') = (corrects_id IS NULL)", name="credit_note_corrects_an_invoice"
        ),
    )


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice_documents.id"))
    position: Mapped[int]
    description: Mapped[str] = mapped_column(String(300))
    package: Mapped[str | None] = mapped_column(String(32))
    vin: Mapped[str | None] = mapped_column(String(17))
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    net_minor: Mapped[int] = mapped_column(BigInteger)
    vat_minor: Mapped[int] = mapped_column(BigInteger)
    gross_minor: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("document_id", "position", name="uq_invoice_lines_position"),
        CheckConstraint("net_minor + vat_minor = gross_minor", name="totals_add_up"),
    )


class InvoiceNumberCounter(Base):
    """The last number given in one series; the row is the lock that keeps numbers gapless."""

    __tablename__ = "invoice_number_counters"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(BigInteger)
