"""What cancelling a subscription gives back, and until when the service runs. Pure.

The rules (seed 003, "Paid subscription"; worked readings in docs/billing.md):

* cancelling during a one-month trial: the service runs to the trial's end, nothing is charged;
* within 14 days of activation, without a trial, once per customer: a full refund, service ends
  at once (the right of withdrawal; after a trial's first payment there is none);
* monthly plans: no refund, the service runs to the end of the month already paid;
* yearly and 4-year plans: a pro-rata refund in whole months of the payment for the current
  period. The month in progress on the day of cancellation counts as used (months used are
  rounded up); the service runs to the end of that month; the months after it are refunded;
* a period that has not been paid (a payment still failing): nothing to refund, ends at once.

Refunds are a share of the amount actually charged for the period (VAT included: seed 003, "you
will receive the entire refundable amount (including fees/taxes)"), rounded half up to a minor
unit, and always go back to that payment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from linkplus.billing.anchors import (
    Plan,
    add_months,
    month_of_period,
    months_from_anchor,
    nth_billing_date,
    period_containing,
)
from linkplus.kit.money import Money, Rounding

WITHDRAWAL_DAYS = 14


class CancellationRule(StrEnum):
    complimentary_cancelled = "complimentary_cancelled"  # free period switched off: ends at once
    trial_cancelled = "trial_cancelled"
    withdrawal_full_refund = "withdrawal_full_refund"
    monthly_no_refund = "monthly_no_refund"
    pro_rata_refund = "pro_rata_refund"
    unpaid_period = "unpaid_period"


@dataclass(frozen=True)
class Payment:
    """A successful charge: which billing period (from 0) it paid, and how much."""

    period: int
    amount: Money  # VAT included, as charged
    paid_on: date


@dataclass(frozen=True)
class CancellationOutcome:
    rule: CancellationRule
    service_ends_on: date  # the first day without the service
    ends_immediately: bool  # the service stops when the cancellation is made
    refund: Money
    refunded_period: int | None  # the payment the refund goes back to
    paid: Money  # the payment the rule looked at (zero when none)
    kept: Money  # paid − refund
    months_used: int | None  # pro-rata only
    months_refunded: int | None  # pro-rata only
    consumes_withdrawal_right: bool


def withdrawal_deadline(activated_on: date) -> date:
    """The last day a cancellation still counts as withdrawal (activation day + 14 days)."""
    return activated_on + timedelta(days=WITHDRAWAL_DAYS)


def cancellation_outcome(
    *,
    plan: Plan,
    activated_on: date,
    trial: bool,
    payments: Sequence[Payment],
    cancelled_on: date,
    withdrawal_right_used: bool,
    currency: str,
) -> CancellationOutcome:
    """The service end date and refund for cancelling on ``cancelled_on``.

    ``activated_on`` is the anchor of every billing date; ``trial`` says whether the
    subscription started with the one-month trial (first charge one month after activation);
    ``withdrawal_right_used`` whether this customer already had a 14-day full refund.
    """
    if cancelled_on < activated_on:
        raise ValueError("a subscription cannot be cancelled before it was activated")
    by_period = {p.period: p for p in payments}
    if len(by_period) != len(payments):
        raise ValueError("two payments for one billing period")
    if any(p.amount.currency != currency for p in payments):
        raise ValueError(f"payments must be in {currency}")
    zero = Money.zero(currency)
    trial_months = 1 if trial else 0
    period = period_containing(activated_on, plan, cancelled_on, trial_months=trial_months)

    if period is None:  # only possible during a trial: before its first charge
        if payments:
            raise ValueError("a payment before the trial ended")
        return CancellationOutcome(
            rule=CancellationRule.trial_cancelled,
            service_ends_on=nth_billing_date(activated_on, plan, 0, trial_months=trial_months),
            ends_immediately=False,
            refund=zero,
            refunded_period=None,
            paid=zero,
            kept=zero,
            months_used=None,
            months_refunded=None,
            consumes_withdrawal_right=False,
        )

    payment = by_period.get(period)
    if payment is None:
        return CancellationOutcome(
            rule=CancellationRule.unpaid_period,
            service_ends_on=cancelled_on,
            ends_immediately=True,
            refund=zero,
            refunded_period=None,
            paid=zero,
            kept=zero,
            months_used=None,
            months_refunded=None,
            consumes_withdrawal_right=False,
        )

    if (
        not trial
        and not withdrawal_right_used
        and period == 0
        and cancelled_on <= withdrawal_deadline(activated_on)
    ):
        return CancellationOutcome(
            rule=CancellationRule.withdrawal_full_refund,
            service_ends_on=cancelled_on,
            ends_immediately=True,
            refund=payment.amount,
            refunded_period=period,
            paid=payment.amount,
            kept=zero,
            months_used=None,
            months_refunded=None,
            consumes_withdrawal_right=True,
        )

    if plan is Plan.monthly:
        return CancellationOutcome(
            rule=CancellationRule.monthly_no_refund,
            service_ends_on=nth_billing_date(
                activated_on, plan, period + 1, trial_months=trial_months
            ),
            ends_immediately=False,
            refund=zero,
            refunded_period=None,
            paid=payment.amount,
            kept=payment.amount,
            months_used=None,
            months_refunded=None,
            consumes_withdrawal_right=False,
        )

    start_offset = months_from_anchor(activated_on, plan, period, trial_months=trial_months)
    used = month_of_period(activated_on, start_offset, cancelled_on)
    remaining = plan.months - used
    refund = payment.amount.scaled(remaining, plan.months, Rounding.half_up)
    return CancellationOutcome(
        rule=CancellationRule.pro_rata_refund,
        service_ends_on=add_months(activated_on, start_offset + used),
        ends_immediately=False,
        refund=refund,
        refunded_period=period,
        paid=payment.amount,
        kept=payment.amount - refund,
        months_used=used,
        months_refunded=remaining,
        consumes_withdrawal_right=False,
    )
