"""The lifecycle's state as stored in a ``subscriptions`` row, and back. Pure.

The row holds the pure state machine's state (``billing.lifecycle.Subscription``) field by field,
so the billing run loads it, applies an event and stores the result without another source of
truth. ``next_run_on`` is derived here: the first day the run has anything to do for the row
(a charge, a retry, an end, a notice), so the daily run reads only the rows due.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from linkplus.billing.anchors import Plan
from linkplus.billing.lifecycle import (
    EndReason,
    Kind,
    PendingCharge,
    Status,
    Subscription,
    scheduled_notices,
)
from linkplus.billing.proration import Payment
from linkplus.kit.money import Money
from linkplus.models.subscriptions import SubscriptionRow


def _payments(raw: list[Any], currency: str) -> tuple[Payment, ...]:
    return tuple(
        Payment(
            period=int(period), amount=Money(int(minor), currency), paid_on=date.fromisoformat(on)
        )
        for period, minor, on in raw
    )


def state_of(row: SubscriptionRow) -> Subscription:
    charge = None
    if row.charge_period is not None:
        assert row.charge_attempt is not None
        assert row.charge_due_on is not None
        charge = PendingCharge(
            period=row.charge_period,
            attempt=row.charge_attempt,
            due_on=row.charge_due_on,
            awaiting=bool(row.charge_awaiting),
            retry_on=row.charge_retry_on,
        )
    return Subscription(
        package=row.package,
        kind=Kind(row.kind),
        plan=Plan(row.plan) if row.plan is not None else None,
        anchor=row.anchor,
        trial_months=row.trial_months,
        price=Money(row.price_minor, row.currency),
        status=Status(row.status),
        auto_renew=row.auto_renew,
        head_unit=row.head_unit,
        last_day=row.last_day,
        payments=_payments(row.payments, row.currency),
        charge=charge,
        service_ends_on=row.service_ends_on,
        end_reason=EndReason(row.end_reason) if row.end_reason is not None else None,
    )


def store(row: SubscriptionRow, state: Subscription, *, money_pending: bool = False) -> None:
    """Write ``state`` into ``row`` (the identity fields never change)."""
    row.status = state.status.value
    row.auto_renew = state.auto_renew
    row.last_day = state.last_day
    row.payments = [[p.period, p.amount.minor, p.paid_on.isoformat()] for p in state.payments]
    pending = state.charge
    row.charge_period = pending.period if pending else None
    row.charge_attempt = pending.attempt if pending else None
    row.charge_due_on = pending.due_on if pending else None
    row.charge_awaiting = pending.awaiting if pending else None
    row.charge_retry_on = pending.retry_on if pending else None
    row.service_ends_on = state.service_ends_on
    row.end_reason = state.end_reason.value if state.end_reason else None
    row.next_run_on = next_run_on(state, money_pending=money_pending)


def next_run_on(state: Subscription, *, money_pending: bool = False) -> date | None:
    """The first day the billing run has something to do for this state (None: never again).

    ``money_pending``: a charge or refund has been recorded but its result is not known yet, so
    the run has to settle it on its next pass, whatever the date.
    """
    if money_pending or (state.charge is not None and state.charge.awaiting):
        return state.last_day
    if state.status is Status.ended:
        return None
    candidates: list[date] = []
    if state.charge is not None and state.charge.retry_on is not None:
        candidates.append(state.charge.retry_on)
    elif state.status in (Status.trialing, Status.active, Status.past_due):
        due = state.next_due_on
        if due is not None:
            candidates.append(due)
    if state.status in (Status.complimentary, Status.cancelled) and state.service_ends_on:
        candidates.append(state.service_ends_on)
    for notice in scheduled_notices(state):
        if notice.send_on > state.last_day and notice.send_on < notice.about:
            candidates.append(notice.send_on)
    if not candidates:
        return None
    return max(min(candidates), state.last_day)
