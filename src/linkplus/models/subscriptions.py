"""Subscriptions to connected-services packages, and the ledger of their charges, refunds and
notices.

A ``subscriptions`` row is the lifecycle's state (``linkplus.billing.lifecycle.Subscription``)
as the billing run stored it last, plus what the run needs to find it (``next_run_on``) and to
keep two workers off the same row (``claimed_by`` / ``claimed_until``). Rows are never deleted:
a trial and a 14-day withdrawal count as used for as long as the customer exists.

``subscription_charges`` and ``subscription_refunds`` hold one row per attempt at moving money,
written and committed *before* the payment provider is called, with the idempotency key the
provider gets: after a crash the next run finds the row without a result and asks the provider
what happened under that key. ``subscription_notices`` makes every notice go out once.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base, JSONDoc, new_uuid

_LIVE = text("status <> 'ended'")


class SubscriptionRow(Base):
    """One package on one car for one account: complimentary period, trial or paid plan."""

    __tablename__ = "subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    # No foreign key to accounts, as with invoices: the money history outlives a closed account.
    account_id: Mapped[uuid.UUID]
    vin: Mapped[str] = mapped_column(String(17))
    package: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    plan: Mapped[str | None] = mapped_column(String(16))
    market: Mapped[str] = mapped_column(String(2))
    anchor: Mapped[date]
    trial_months: Mapped[int]
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    auto_renew: Mapped[bool]
    payment_reminders: Mapped[bool]
    head_unit: Mapped[bool]
    last_day: Mapped[date]
    payments: Mapped[list[Any]] = mapped_column(JSONDoc)
    charge_period: Mapped[int | None]
    charge_attempt: Mapped[int | None]
    charge_due_on: Mapped[date | None]
    charge_awaiting: Mapped[bool | None]
    charge_retry_on: Mapped[date | None]
    service_ends_on: Mapped[date | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))
    cancel_rule: Mapped[str | None] = mapped_column(String(32))
    cancelled_on: Mapped[date | None]
    billing_name: Mapped[str | None] = mapped_column(String(200))
    billing_street: Mapped[str | None] = mapped_column(String(200))
    billing_postcode: Mapped[str | None] = mapped_column(String(20))
    billing_city: Mapped[str | None] = mapped_column(String(100))
    billing_country: Mapped[str | None] = mapped_column(String(2))
    refer_dealer_id: Mapped[str | None] = mapped_column(String(32))
    next_run_on: Mapped[date | None]
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_subscriptions_account", "account_id"),
        Index("ix_subscriptions_vin", "vin"),
        Index("ix_subscriptions_next_run_on", "next_run_on"),
        # One live subscription per package and car: two purchases racing cannot both succeed.
        Index(
            "uq_subscriptions_live_package",
            "vin",
            "package",
            unique=True,
            sqlite_where=_LIVE,
            postgresql_where=_LIVE,
        ),
    )


class SubscriptionCharge(Base):
    """One attempt at charging one billing period; ``idempotency_key`` is what the provider got."""

    __tablename__ = "subscription_charges"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscriptions.id"))
    period: Mapped[int]
    attempt: Mapped[int]
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    due_on: Mapped[date]
    card_id: Mapped[uuid.UUID | None]
    provider_token: Mapped[str | None] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16))  # pending, succeeded, failed
    provider_charge_id: Mapped[str | None] = mapped_column(String(64))
    decline_reason: Mapped[str | None] = mapped_column(String(64))
    invoice_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime]
    settled_on: Mapped[date | None]

    __table_args__ = (
        UniqueConstraint(
            "subscription_id", "period", "attempt", name="uq_subscription_charges_try"
        ),
    )


class SubscriptionRefund(Base):
    """Money going back to the payment of one period (never to another card)."""

    __tablename__ = "subscription_refunds"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscriptions.id"))
    period: Mapped[int]
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    rule: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))  # pending, succeeded
    provider_refund_id: Mapped[str | None] = mapped_column(String(64))
    credit_note_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime]
    settled_on: Mapped[date | None]


class SubscriptionNotice(Base):
    """A notice given (app and e-mail, or recorded for the car's head unit); once per key."""

    __tablename__ = "subscription_notices"

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subscriptions.id"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(16))
    about: Mapped[date]
    sent_at: Mapped[datetime]
