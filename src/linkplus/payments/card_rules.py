"""The wallet's rules, as pure functions of values (no database, no clock reads)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

ACCEPTED_BRANDS = frozenset({"visa", "mastercard"})
EXPIRY_NOTICE_DAYS = 30


def is_accepted_brand(brand: str) -> bool:
    """Seed 003: "only Visa and Mastercard credit cards are accepted"."""
    return brand in ACCEPTED_BRANDS


def valid_until(exp_month: int, exp_year: int) -> datetime:
    """The first moment the card no longer works: it is valid to the end of its expiry month."""
    if exp_month == 12:
        return datetime(exp_year + 1, 1, 1, tzinfo=UTC)
    return datetime(exp_year, exp_month + 1, 1, tzinfo=UTC)


def is_expired(exp_month: int, exp_year: int, now: datetime) -> bool:
    return now >= valid_until(exp_month, exp_year)


def expires_soon(exp_month: int, exp_year: int, now: datetime) -> bool:
    """Within the notice window before the card stops working (and not expired yet)."""
    end = valid_until(exp_month, exp_year)
    return end - timedelta(days=EXPIRY_NOTICE_DAYS) <= now < end


def can_remove(*, cards_in_wallet: int, has_active_paid_subscription: bool) -> bool:
    """Any card may go, except the last one while a paid subscription is active (seed 003:
    "If you have an active paid subscription, you must have at least one payment method")."""
    return cards_in_wallet > 1 or not has_active_paid_subscription
