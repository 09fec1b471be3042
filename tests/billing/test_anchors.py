"""Billing dates are counted from the anchor, never from the previous date (pure)."""

from __future__ import annotations

import calendar
import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkplus.billing.anchors import (
    Plan,
    add_months,
    month_of_period,
    next_billing_date_after,
    nth_billing_date,
    one_month_after,
    period_containing,
)

anchors = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))
plans = st.sampled_from(list(Plan))
trials = st.sampled_from([0, 1])


def days_in(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def test_monthly_from_31_january_2024_returns_to_the_31st() -> None:
    anchor = date(2024, 1, 31)
    dates = [nth_billing_date(anchor, Plan.monthly, n) for n in range(7)]
    assert dates == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
        date(2024, 6, 30),
        date(2024, 7, 31),
    ]


def test_trial_then_monthly_from_31_january_of_a_common_year() -> None:
    anchor = date(2025, 1, 31)
    dates = [nth_billing_date(anchor, Plan.monthly, n, trial_months=1) for n in range(3)]
    assert dates == [date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)]


def test_seed_examples_first_payment_one_month_after_activation() -> None:
    anchor = date(2024, 1, 10)
    assert nth_billing_date(anchor, Plan.monthly, 0, trial_months=1) == date(2024, 2, 10)
    assert nth_billing_date(anchor, Plan.monthly, 1, trial_months=1) == date(2024, 3, 10)
    assert nth_billing_date(anchor, Plan.yearly, 1, trial_months=1) == date(2025, 2, 10)
    assert nth_billing_date(anchor, Plan.four_yearly, 1, trial_months=1) == date(2028, 2, 10)


def test_yearly_from_31_january_with_trial_tracks_february_end_across_leap_years() -> None:
    anchor = date(2024, 1, 31)
    dates = [nth_billing_date(anchor, Plan.yearly, n, trial_months=1) for n in range(5)]
    assert dates == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


def test_four_yearly_from_29_february() -> None:
    anchor = date(2024, 2, 29)
    assert [nth_billing_date(anchor, Plan.four_yearly, n) for n in range(4)] == [
        date(2024, 2, 29),
        date(2028, 2, 29),
        date(2032, 2, 29),
        date(2036, 2, 29),
    ]
    assert nth_billing_date(date(2096, 2, 29), Plan.four_yearly, 1) == date(2100, 2, 28)


def test_one_month_after() -> None:
    assert one_month_after(date(2024, 1, 31)) == date(2024, 2, 29)
    assert one_month_after(date(2023, 1, 31)) == date(2023, 2, 28)
    assert one_month_after(date(2024, 12, 15)) == date(2025, 1, 15)
    assert one_month_after(date(2024, 3, 31)) == date(2024, 4, 30)


def test_next_billing_date_after_is_strictly_after() -> None:
    anchor = date(2024, 1, 31)
    assert next_billing_date_after(anchor, Plan.monthly, date(2024, 2, 28)) == date(2024, 2, 29)
    assert next_billing_date_after(anchor, Plan.monthly, date(2024, 2, 29)) == date(2024, 3, 31)
    assert next_billing_date_after(anchor, Plan.monthly, date(2023, 12, 1)) == anchor
    trial_first = next_billing_date_after(anchor, Plan.yearly, anchor, trial_months=1)
    assert trial_first == date(2024, 2, 29)


def test_negative_periods_are_refused() -> None:
    with pytest.raises(ValueError, match="from 0"):
        nth_billing_date(date(2024, 1, 1), Plan.monthly, -1)
    with pytest.raises(ValueError, match="negative"):
        nth_billing_date(date(2024, 1, 1), Plan.monthly, 0, trial_months=-1)
    with pytest.raises(ValueError, match="before"):
        month_of_period(date(2024, 1, 10), 1, date(2024, 2, 1))


@given(anchors, plans, trials)
def test_billing_dates_strictly_increase(anchor: date, plan: Plan, trial: int) -> None:
    dates = [nth_billing_date(anchor, plan, n, trial_months=trial) for n in range(30)]
    assert all(a < b for a, b in itertools.pairwise(dates))


@given(anchors, plans, trials, st.integers(min_value=0, max_value=60))
def test_day_is_the_anchor_day_or_the_month_end(
    anchor: date, plan: Plan, trial: int, n: int
) -> None:
    billed = nth_billing_date(anchor, plan, n, trial_months=trial)
    assert billed.day == min(anchor.day, days_in(billed.year, billed.month))
    months = (billed.year - anchor.year) * 12 + billed.month - anchor.month
    assert months == trial + n * plan.months


@given(anchors, st.integers(min_value=0, max_value=400))
def test_never_counted_from_the_previous_date(anchor: date, n: int) -> None:
    """Chaining one_month_after drifts (31 → 28 → 28); counting from the anchor does not."""
    from_anchor = nth_billing_date(anchor, Plan.monthly, n + 1)
    assert from_anchor == add_months(anchor, n + 1)
    if anchor.day <= 28:
        assert one_month_after(nth_billing_date(anchor, Plan.monthly, n)) == from_anchor


@given(anchors, plans, trials, st.integers(min_value=-40, max_value=6000))
def test_next_billing_date_after_and_period_containing_agree(
    anchor: date, plan: Plan, trial: int, offset: int
) -> None:
    day = anchor + timedelta(days=offset)
    following = next_billing_date_after(anchor, plan, day, trial_months=trial)
    assert following > day
    n = period_containing(anchor, plan, day, trial_months=trial)
    if n is None:
        assert following == nth_billing_date(anchor, plan, 0, trial_months=trial)
    else:
        start = nth_billing_date(anchor, plan, n, trial_months=trial)
        assert start <= day < following
        assert following == nth_billing_date(anchor, plan, n + 1, trial_months=trial)


@given(anchors, st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=1500))
def test_month_of_period_brackets_the_day(anchor: date, offset: int, days: int) -> None:
    start = add_months(anchor, offset)
    day = start + timedelta(days=days)
    k = month_of_period(anchor, offset, day)
    assert k >= 1
    assert add_months(anchor, offset + k - 1) <= day < add_months(anchor, offset + k)
