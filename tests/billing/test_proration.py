"""Cancellation outcomes: the seed's two worked examples, withdrawal, trials (pure)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkplus.billing.anchors import Plan, add_months, nth_billing_date, period_containing
from linkplus.billing.proration import (
    CancellationRule,
    Payment,
    cancellation_outcome,
    withdrawal_deadline,
)
from linkplus.kit.money import Money


def eur(text: str) -> Money:
    return Money.of(text, "EUR")


def paid(plan: Plan, anchor: date, *amounts: str, trial: bool = True) -> list[Payment]:
    trial_months = 1 if trial else 0
    return [
        Payment(n, eur(a), nth_billing_date(anchor, plan, n, trial_months=trial_months))
        for n, a in enumerate(amounts)
    ]


# ---- the two worked examples of seed 003 -------------------------------------------------------


def test_seed_yearly_example_refunds_8_of_12_months() -> None:
    """Trial from 10 Jan, first payment 10 Feb, cancelled 30 May: 4 months used, 8 refunded."""
    outcome = cancellation_outcome(
        plan=Plan.yearly,
        activated_on=date(2024, 1, 10),
        trial=True,
        payments=paid(Plan.yearly, date(2024, 1, 10), "99.00"),
        cancelled_on=date(2024, 5, 30),
        withdrawal_right_used=False,
        currency="EUR",
    )
    assert outcome.rule is CancellationRule.pro_rata_refund
    assert outcome.months_used == 4
    assert outcome.months_refunded == 8
    assert outcome.refund == eur("66.00")  # 99.00 × 8 / 12
    assert outcome.kept == eur("33.00")
    assert outcome.refunded_period == 0
    assert outcome.service_ends_on == date(2024, 6, 10)  # the end of the 4th month paid for
    assert not outcome.ends_immediately
    assert not outcome.consumes_withdrawal_right


def test_seed_four_year_example_refunds_32_of_48_months() -> None:
    """Trial from 10/Jan/24, first payment 10/Feb/24, cancelled 30/May/25: 16 used, 32 back."""
    outcome = cancellation_outcome(
        plan=Plan.four_yearly,
        activated_on=date(2024, 1, 10),
        trial=True,
        payments=paid(Plan.four_yearly, date(2024, 1, 10), "359.00"),
        cancelled_on=date(2025, 5, 30),
        withdrawal_right_used=False,
        currency="EUR",
    )
    assert outcome.rule is CancellationRule.pro_rata_refund
    assert outcome.months_used == 16
    assert outcome.months_refunded == 32
    assert outcome.refund == eur("239.33")  # 359.00 × 32 / 48 = 239.333… → half up
    assert outcome.refund + outcome.kept == eur("359.00")
    assert outcome.service_ends_on == date(2025, 6, 10)


@pytest.mark.parametrize(
    ("cancelled_on", "used"),
    [
        (date(2024, 2, 10), 1),  # the day of the payment: the month in progress counts
        (date(2024, 3, 9), 1),
        (date(2024, 3, 10), 2),  # the second month has started
        (date(2024, 5, 9), 3),
        (date(2024, 5, 10), 4),
        (date(2025, 2, 9), 12),  # last day of the year: nothing back
    ],
)
def test_months_used_are_rounded_up_at_month_boundaries(cancelled_on: date, used: int) -> None:
    outcome = cancellation_outcome(
        plan=Plan.yearly,
        activated_on=date(2024, 1, 10),
        trial=True,
        payments=paid(Plan.yearly, date(2024, 1, 10), "120.00"),
        cancelled_on=cancelled_on,
        withdrawal_right_used=False,
        currency="EUR",
    )
    assert outcome.months_used == used
    assert outcome.refund == eur("10.00") * (12 - used)
    assert outcome.service_ends_on == add_months(date(2024, 2, 10), used)


def test_pro_rata_in_a_renewed_year_refunds_from_that_years_payment() -> None:
    anchor = date(2024, 1, 10)
    payments = paid(Plan.yearly, anchor, "99.00", "109.00")  # price went up on renewal
    outcome = cancellation_outcome(
        plan=Plan.yearly,
        activated_on=anchor,
        trial=True,
        payments=payments,
        cancelled_on=date(2025, 3, 1),  # second year started 10 Feb 2025
        withdrawal_right_used=False,
        currency="EUR",
    )
    assert outcome.refunded_period == 1
    assert outcome.months_used == 1
    assert outcome.paid == eur("109.00")
    assert outcome.refund == eur("99.92")  # 109.00 × 11 / 12 = 99.916…
    assert outcome.service_ends_on == date(2025, 3, 10)


def test_pro_rata_months_follow_the_anchor_at_month_end() -> None:
    """Activated 31 Jan 2024 without trial: months end 29 Feb, 31 Mar, 30 Apr…"""
    anchor = date(2024, 1, 31)
    outcome = cancellation_outcome(
        plan=Plan.yearly,
        activated_on=anchor,
        trial=False,
        payments=paid(Plan.yearly, anchor, "120.00", trial=False),
        cancelled_on=date(2024, 3, 30),  # in the 2nd month [29 Feb, 31 Mar)
        withdrawal_right_used=True,
        currency="EUR",
    )
    assert outcome.months_used == 2
    assert outcome.service_ends_on == date(2024, 3, 31)
    assert outcome.refund == eur("100.00")


# ---- withdrawal within 14 days -----------------------------------------------------------------


@pytest.mark.parametrize("plan", list(Plan))
def test_withdrawal_within_14_days_without_trial_refunds_everything(plan: Plan) -> None:
    anchor = date(2024, 3, 1)
    outcome = cancellation_outcome(
        plan=plan,
        activated_on=anchor,
        trial=False,
        payments=paid(plan, anchor, "59.00", trial=False),
        cancelled_on=date(2024, 3, 15),  # the 14th day after activation: still in time
        withdrawal_right_used=False,
        currency="EUR",
    )
    assert outcome.rule is CancellationRule.withdrawal_full_refund
    assert outcome.refund == eur("59.00")
    assert outcome.kept == eur("0.00")
    assert outcome.ends_immediately
    assert outcome.service_ends_on == date(2024, 3, 15)
    assert outcome.consumes_withdrawal_right


def test_withdrawal_deadline_is_activation_plus_14_days() -> None:
    assert withdrawal_deadline(date(2024, 1, 10)) == date(2024, 1, 24)
    late = cancellation_outcome(
        plan=Plan.monthly,
        activated_on=date(2024, 1, 10),
        trial=False,
        payments=paid(Plan.monthly, date(2024, 1, 10), "5.99", trial=False),
        cancelled_on=date(2024, 1, 25),
        withdrawal_right_used=False,
        currency="EUR",
    )
    assert late.rule is CancellationRule.monthly_no_refund
    assert late.refund == eur("0.00")
    assert late.service_ends_on == date(2024, 2, 10)
    assert not late.consumes_withdrawal_right


def test_withdrawal_right_is_usable_once() -> None:
    second = cancellation_outcome(
        plan=Plan.yearly,
        activated_on=date(2024, 3, 1),
        trial=False,
        payments=paid(Plan.yearly, date(2024, 3, 1), "120.00", trial=False),
        cancelled_on=date(2024, 3, 5),
        withdrawal_right_used=True,
        currency="EUR",
    )
    assert second.rule is CancellationRule.pro_rata_refund
    assert second.refund == eur("110.00")  # 11 of 12 months
    assert not second.consumes_withdrawal_right
    monthly = cancellation_outcome(
        plan=Plan.monthly,
        activated_on=date(2024, 3, 1),
        trial=False,
        payments=paid(Plan.monthly, date(2024, 3, 1), "5.99", trial=False),
        cancelled_on=date(2024, 3, 5),
        withdrawal_right_used=True,
        currency="EUR",
    )
    assert monthly.rule is CancellationRule.monthly_no_refund
    assert monthly.refund.is_zero
    assert monthly.service_ends_on == date(2024, 4, 1)


def test_no_withdrawal_after_a_trials_first_payment() -> None:
    """Seed 003: once the first payment after a trial is collected, no 14-day right."""
    outcome = cancellation_outcome(
        plan=Plan.monthly,
        activated_on=date(2024, 1, 10),
        trial=True,
        payments=paid(Plan.monthly, date(2024, 1, 10), "5.99"),
        cancelled_on=date(2024, 2, 11),  # within 14 days of the first payment, not activation
        withdrawal_right_used=False,
        currency="EUR",
    )
    assert outcome.rule is CancellationRule.monthly_no_refund
    assert outcome.refund.is_zero
    assert outcome.service_ends_on == date(2024, 3, 10)


# ---- trial and unpaid --------------------------------------------------------------------------


@pytest.mark.parametrize("plan", list(Plan))
def test_cancelling_during_trial_runs_to_its_end_and_costs_nothing(plan: Plan) -> None:
    outcome = cancellation_outcome(
        plan=plan,
        activated_on=date(2024, 1, 31),
        trial=True,
        payments=[],
        cancelled_on=date(2024, 2, 3),
        withdrawal_right_used=False,
        currency="EUR",
    )
    assert outcome.rule is CancellationRule.trial_cancelled
    assert outcome.service_ends_on == date(2024, 2, 29)
    assert outcome.refund.is_zero
    assert outcome.paid.is_zero
    assert not outcome.ends_immediately
    assert not outcome.consumes_withdrawal_right


def test_a_period_not_paid_ends_at_once_with_nothing_back() -> None:
    anchor = date(2024, 1, 10)
    outcome = cancellation_outcome(
        plan=Plan.monthly,
        activated_on=anchor,
        trial=True,
        payments=paid(Plan.monthly, anchor, "5.99"),  # March's charge is failing
        cancelled_on=date(2024, 3, 11),
        withdrawal_right_used=False,
        currency="EUR",
    )
    assert outcome.rule is CancellationRule.unpaid_period
    assert outcome.ends_immediately
    assert outcome.service_ends_on == date(2024, 3, 11)
    assert outcome.refund.is_zero


def test_inconsistent_inputs_are_refused() -> None:
    common = {"plan": Plan.monthly, "withdrawal_right_used": False, "currency": "EUR"}
    with pytest.raises(ValueError, match="before it was activated"):
        cancellation_outcome(
            activated_on=date(2024, 1, 10),
            trial=False,
            payments=[],
            cancelled_on=date(2024, 1, 9),
            **common,  # type: ignore[arg-type]
        )
    twice = [Payment(0, eur("1.00"), date(2024, 1, 10))] * 2
    with pytest.raises(ValueError, match="two payments"):
        cancellation_outcome(
            activated_on=date(2024, 1, 10),
            trial=False,
            payments=twice,
            cancelled_on=date(2024, 1, 12),
            **common,  # type: ignore[arg-type]
        )
    with pytest.raises(ValueError, match="must be in EUR"):
        cancellation_outcome(
            activated_on=date(2024, 1, 10),
            trial=False,
            payments=[Payment(0, Money(100, "GBP"), date(2024, 1, 10))],
            cancelled_on=date(2024, 1, 12),
            **common,  # type: ignore[arg-type]
        )
    with pytest.raises(ValueError, match="before the trial ended"):
        cancellation_outcome(
            activated_on=date(2024, 1, 10),
            trial=True,
            payments=[Payment(0, eur("1.00"), date(2024, 1, 10))],
            cancelled_on=date(2024, 1, 12),
            **common,  # type: ignore[arg-type]
        )


# ---- properties --------------------------------------------------------------------------------


@st.composite
def paid_up_cancellations(draw: st.DrawFn) -> dict[str, object]:
    plan = draw(st.sampled_from(list(Plan)))
    anchor = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)))
    trial = draw(st.booleans())
    trial_months = 1 if trial else 0
    offset = draw(st.integers(min_value=0, max_value=3000))
    cancelled_on = anchor + timedelta(days=offset)
    period = period_containing(anchor, plan, cancelled_on, trial_months=trial_months)
    prices = st.integers(min_value=1, max_value=10**7)
    payments = (
        []
        if period is None
        else [
            Payment(
                n,
                Money(draw(prices), "EUR"),
                nth_billing_date(anchor, plan, n, trial_months=trial_months),
            )
            for n in range(period + 1)
        ]
    )
    return {
        "plan": plan,
        "activated_on": anchor,
        "trial": trial,
        "payments": payments,
        "cancelled_on": cancelled_on,
        "withdrawal_right_used": draw(st.booleans()),
        "currency": "EUR",
    }


@given(paid_up_cancellations())
def test_refund_never_exceeds_what_was_paid_and_adds_up(case: dict[str, object]) -> None:
    outcome = cancellation_outcome(**case)  # type: ignore[arg-type]
    assert Money.zero("EUR") <= outcome.refund <= outcome.paid
    assert outcome.refund + outcome.kept == outcome.paid
    cancelled_on = case["cancelled_on"]
    assert isinstance(cancelled_on, date)
    assert outcome.service_ends_on >= cancelled_on
    if outcome.ends_immediately:
        assert outcome.service_ends_on == cancelled_on
    if outcome.consumes_withdrawal_right:
        assert not case["trial"]
        assert not case["withdrawal_right_used"]
        assert outcome.refund == outcome.paid
    if case["trial"]:
        assert outcome.rule is not CancellationRule.withdrawal_full_refund


@given(paid_up_cancellations())
def test_months_used_are_the_month_in_progress_rounded_up(case: dict[str, object]) -> None:
    outcome = cancellation_outcome(**case)  # type: ignore[arg-type]
    if outcome.rule is not CancellationRule.pro_rata_refund:
        return
    assert outcome.months_used is not None
    assert outcome.months_refunded is not None
    plan = case["plan"]
    assert isinstance(plan, Plan)
    assert 1 <= outcome.months_used <= plan.months
    assert outcome.months_used + outcome.months_refunded == plan.months
    # the service ends exactly where the months paid for and not refunded end
    cancelled_on = case["cancelled_on"]
    assert isinstance(cancelled_on, date)
    anchor = case["activated_on"]
    assert isinstance(anchor, date)
    assert outcome.refunded_period is not None
    start = (1 if case["trial"] else 0) + outcome.refunded_period * plan.months
    assert add_months(anchor, start + outcome.months_used - 1) <= cancelled_on
    assert cancelled_on < add_months(anchor, start + outcome.months_used)
    assert outcome.service_ends_on == add_months(anchor, start + outcome.months_used)
    expected = outcome.paid.scaled(outcome.months_refunded, plan.months)
    assert outcome.refund == expected


@given(
    st.sampled_from(list(Plan)),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)),
    st.integers(min_value=0, max_value=40),
    st.booleans(),
)
def test_cancelling_during_trial_never_charges(
    plan: Plan, anchor: date, offset: int, used: bool
) -> None:
    cancelled_on = anchor + timedelta(days=offset)
    if cancelled_on >= nth_billing_date(anchor, plan, 0, trial_months=1):
        return
    outcome = cancellation_outcome(
        plan=plan,
        activated_on=anchor,
        trial=True,
        payments=[],
        cancelled_on=cancelled_on,
        withdrawal_right_used=used,
        currency="EUR",
    )
    assert outcome.rule is CancellationRule.trial_cancelled
    assert outcome.paid.is_zero
    assert outcome.service_ends_on == nth_billing_date(anchor, plan, 0, trial_months=1)
