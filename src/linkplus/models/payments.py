"""The owner's wallet of payment cards, and the storage of the sandbox payment provider.

The platform keeps only what the provider hands back after tokenisation (token, brand, last four
digits, expiry, fingerprint): never the card number or the security code. The ``sandbox_*`` tables
belong to the sandbox provider shipped with the project, a separate system that platform code only
reaches over HTTP; on PostgreSQL they live in the platform's database, on SQLite in a file of
their own (see ``linkplus.payments.sandbox.store``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base, new_uuid

_ACTIVE = text("removed_at IS NULL")
_ACTIVE_PRIMARY = text("is_primary AND removed_at IS NULL")


class CardBrand(StrEnum):
    """The brands the platform accepts (seed 003: "only Visa and Mastercard")."""

    visa = "visa"
    mastercard = "mastercard"


class PaymentCard(Base):
    """A card in an owner's wallet, as the payment provider described it after tokenisation.

    Rows are never edited (an owner who needs another expiry date adds a new card) and never
    deleted: removal sets ``removed_at`` so past payments keep pointing at the card they used. The
    partial unique indexes hold the wallet's two invariants under concurrent requests: one primary
    card per account and one active copy of the same physical card (``fingerprint``).
    """

    __tablename__ = "payment_cards"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(32))
    provider_token: Mapped[str] = mapped_column(String(128), unique=True)
    brand: Mapped[str] = mapped_column(String(16))
    last4: Mapped[str] = mapped_column(String(4))
    exp_month: Mapped[int]
    exp_year: Mapped[int]
    fingerprint: Mapped[str] = mapped_column(String(64))
    billing_name: Mapped[str] = mapped_column(String(200))
    billing_street: Mapped[str] = mapped_column(String(200))
    billing_postcode: Mapped[str] = mapped_column(String(20))
    billing_city: Mapped[str] = mapped_column(String(100))
    billing_country: Mapped[str] = mapped_column(String(2))
    is_primary: Mapped[bool]
    three_ds_verified_at: Mapped[datetime]
    added_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]
    expiry_notice_sent_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_payment_cards_account", "account_id"),
        Index(
            "uq_payment_cards_account_fingerprint",
            "account_id",
            "fingerprint",
            unique=True,
            sqlite_where=_ACTIVE,
            postgresql_where=_ACTIVE,
        ),
        Index(
            "uq_payment_cards_one_primary",
            "account_id",
            unique=True,
            sqlite_where=_ACTIVE_PRIMARY,
            postgresql_where=_ACTIVE_PRIMARY,
        ),
    )


# --- the sandbox provider's own storage ----------------------------------------------------


class SandboxCardSession(Base):
    """A tokenisation page opened for the platform: where to send the browser back afterwards."""

    __tablename__ = "sandbox_card_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    reference: Mapped[str] = mapped_column(String(200))
    return_url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    token: Mapped[str | None] = mapped_column(String(64))


class SandboxCard(Base):
    """A tokenised card. Even the sandbox keeps no number and no security code: the behaviour of a
    test number is decided when it is typed in and stored as ``behaviour``."""

    __tablename__ = "sandbox_cards"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str] = mapped_column(String(16))
    last4: Mapped[str] = mapped_column(String(4))
    exp_month: Mapped[int]
    exp_year: Mapped[int]
    fingerprint: Mapped[str] = mapped_column(String(64))
    holder: Mapped[str] = mapped_column(String(200))
    behaviour: Mapped[str] = mapped_column(String(32))
    three_ds: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]


class SandboxChallenge(Base):
    """A 3-D Secure challenge page for one token."""

    __tablename__ = "sandbox_challenges"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token: Mapped[str] = mapped_column(
        String(64), ForeignKey("sandbox_cards.token", ondelete="CASCADE")
    )
    return_url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


class SandboxCharge(Base):
    """A charge, declined or not. ``idempotency_key`` is unique: the same key is the same charge."""

    __tablename__ = "sandbox_charges"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    token: Mapped[str] = mapped_column(String(64), ForeignKey("sandbox_cards.token"))
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(24))
    decline_reason: Mapped[str | None] = mapped_column(String(64))
    refunded_minor: Mapped[int]
    created_at: Mapped[datetime]


class SandboxRefund(Base):
    """A refund, always against the charge it repays (never to another card)."""

    __tablename__ = "sandbox_refunds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    charge_id: Mapped[str] = mapped_column(String(40), ForeignKey("sandbox_charges.id"))
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime]


class SandboxFault(Base):
    """A one-time fault already served for an idempotency key (the "flaky" test cards)."""

    __tablename__ = "sandbox_faults"

    idempotency_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    served_at: Mapped[datetime]
