"""Billing dates, always counted from the anchor. Pure.

Every date a subscription is charged on is ``anchor + k months`` for some k, computed from the
anchor itself and never from the previous billing date: a subscription activated on 31 January
is charged on 29 February (the month has no 31st) and again on 31 March, not on 29 March. The
anchor is the activation date; with a one-month trial the first charge is one month after it
(seed 003: "the first payment will occur exactly one month after the activation date"), and the
plan's period counts on from there, still from the anchor.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from dateutil.relativedelta import relativedelta


class Plan(StrEnum):
    monthly = "monthly"
    yearly = "yearly"
    four_yearly = "four_yearly"  # "every 4 years"

    @property
    def months(self) -> int:
        return PLAN_MONTHS[self]


PLAN_MONTHS: dict[Plan, int] = {Plan.monthly: 1, Plan.yearly: 12, Plan.four_yearly: 48}


def add_months(anchor: date, months: int) -> date:
    """``anchor`` moved by ``months``; a day the month lacks becomes its last day.

    dateutil's ``relativedelta`` clamps to the month's last day exactly so; callers always add to
    the anchor itself, never to a previous result, so 31 Jan gives 29 Feb and then 31 Mar.
    """
    moved: date = anchor + relativedelta(months=months)
    return moved


def one_month_after(day: date) -> date:
    """The end of a one-month trial that starts on ``day`` (31 Jan → 28/29 Feb)."""
    return add_months(day, 1)


def months_from_anchor(anchor: date, plan: Plan, n: int, *, trial_months: int = 0) -> int:
    """How many months after the anchor the ``n``-th charge (from 0) falls."""
    if n < 0:
        raise ValueError("billing periods are counted from 0")
    if trial_months < 0:
        raise ValueError("a trial cannot be negative")
    return trial_months + n * plan.months


def nth_billing_date(anchor: date, plan: Plan, n: int, *, trial_months: int = 0) -> date:
    """The date of the ``n``-th charge, counted from 0 (the first one).

    Without a trial the first charge is on the anchor (the activation day); with a trial of
    ``trial_months`` it is that many months later. Period ``n`` runs from this date up to, not
    including, the date of charge ``n + 1``.
    """
    return add_months(anchor, months_from_anchor(anchor, plan, n, trial_months=trial_months))


def period_containing(anchor: date, plan: Plan, day: date, *, trial_months: int = 0) -> int | None:
    """The billing period ``day`` falls in, or None before the first charge."""
    if day < nth_billing_date(anchor, plan, 0, trial_months=trial_months):
        return None
    elapsed = (day.year - anchor.year) * 12 + (day.month - anchor.month) - trial_months
    n = max(0, elapsed // plan.months - 1)
    while nth_billing_date(anchor, plan, n + 1, trial_months=trial_months) <= day:
        n += 1
    return n


def next_billing_date_after(anchor: date, plan: Plan, day: date, *, trial_months: int = 0) -> date:
    """The first billing date strictly after ``day``."""
    n = period_containing(anchor, plan, day, trial_months=trial_months)
    return nth_billing_date(anchor, plan, 0 if n is None else n + 1, trial_months=trial_months)


def month_of_period(anchor: date, start_offset: int, day: date) -> int:
    """Which month (1, 2, …) of a period ``day`` is in, months also counted from the anchor.

    The period starts ``start_offset`` months after the anchor; month k covers
    ``[anchor + start_offset + k - 1 months, anchor + start_offset + k months)``.
    """
    start = add_months(anchor, start_offset)
    if day < start:
        raise ValueError(f"{day} is before the period that starts on {start}")
    elapsed = (day.year - start.year) * 12 + (day.month - start.month)
    k = max(1, elapsed)
    while add_months(anchor, start_offset + k - 1) > day:
        k -= 1
    while add_months(anchor, start_offset + k) <= day:
        k += 1
    return k
