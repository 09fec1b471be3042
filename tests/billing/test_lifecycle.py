"""The subscription state machine, walked day by day (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkplus.billing.anchors import Plan
from linkplus.billing.lifecycle import (
    Action,
    CancelRequested,
    CancelSource,
    Channel,
    Charge,
    DayReached,
    EndReason,
    EndService,
    Event,
    LifecycleError,
    NoticeKind,
    OverviewState,
    PaymentFailed,
    PaymentSucceeded,
    PurchaseRefusal,
    Refund,
    RenewalToggled,
    SendNotice,
    Status,
    Subscription,
    Transition,
    apply,
    card_expiry_notice,
    overview,
    purchase_refusal,
    start_complimentary,
    start_paid,
    start_trial,
)
from linkplus.billing.proration import CancellationRule
from linkplus.kit.money import Money

PRICE = Money.of("5.99", "EUR")
YEARLY = Money.of("59.00", "EUR")


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def walk(state: Subscription, start: date, end: date) -> tuple[Subscription, list[Action]]:
    """Feed every day from ``start`` to ``end``; the provider accepts each charge at once."""
    actions: list[Action] = []
    for day in days(start, end):
        step = apply(state, DayReached(day))
        state = step.state
        actions.extend(step.actions)
        for action in step.actions:
            if isinstance(action, Charge):
                paid = apply(state, PaymentSucceeded(action.period, action.attempt, day))
                state = paid.state
    return state, actions


def charges(actions: Sequence[Action]) -> list[Charge]:
    return [a for a in actions if isinstance(a, Charge)]


def notices(actions: Sequence[Action]) -> list[tuple[NoticeKind, date]]:
    return [(a.notice.kind, a.notice.send_on) for a in actions if isinstance(a, SendNotice)]


def trial(
    plan: Plan = Plan.monthly, activated_on: date = date(2024, 1, 10), **kw: bool
) -> Subscription:
    return start_trial(
        "remote",
        plan=plan,
        price=PRICE if plan is Plan.monthly else YEARLY,
        activated_on=activated_on,
        **kw,
    ).state


# ---- trial, first charge, renewals -------------------------------------------------------------


def test_trial_then_monthly_charges_on_the_anchor_day() -> None:
    state, actions = walk(trial(), date(2024, 1, 10), date(2024, 6, 30))
    assert [(c.period, c.due_on) for c in charges(actions)] == [
        (0, date(2024, 2, 10)),
        (1, date(2024, 3, 10)),
        (2, date(2024, 4, 10)),
        (3, date(2024, 5, 10)),
        (4, date(2024, 6, 10)),
    ]
    assert all(c.amount == PRICE and c.attempt == 1 for c in charges(actions))
    assert state.status is Status.active
    assert len(state.payments) == 5
    assert state.paid_through == date(2024, 7, 10)
    # the trial's end is announced a few days before; a month before is activation day itself
    assert (NoticeKind.trial_ending_soon, date(2024, 2, 7)) in notices(actions)
    assert not any(kind is NoticeKind.trial_ending for kind, _ in notices(actions))


def test_no_charge_at_trial_activation() -> None:
    started = start_trial("remote", plan=Plan.yearly, price=YEARLY, activated_on=date(2024, 1, 10))
    assert started.actions == ()
    assert started.state.status is Status.trialing
    assert started.state.trial_ends_on == date(2024, 2, 10)
    assert started.state.paid_through is None


def test_end_of_month_anchor_across_a_leap_year() -> None:
    state, actions = walk(
        trial(activated_on=date(2024, 1, 31)), date(2024, 1, 31), date(2025, 3, 31)
    )
    due = [c.due_on for c in charges(actions)]
    assert due[:4] == [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31)]
    assert due[-2:] == [date(2025, 2, 28), date(2025, 3, 31)]
    assert len(due) == len(set(due)) == 14
    assert state.payments[-1].period == 13


def test_yearly_renews_on_the_anchor_with_an_opt_in_reminder() -> None:
    state, actions = walk(trial(Plan.yearly), date(2024, 1, 10), date(2025, 2, 10))
    assert [(c.period, c.due_on) for c in charges(actions)] == [
        (0, date(2024, 2, 10)),
        (1, date(2025, 2, 10)),
    ]
    reminders = [
        a.notice
        for a in actions
        if isinstance(a, SendNotice) and a.notice.kind is NoticeKind.upcoming_payment
    ]
    assert len(reminders) == 1
    assert reminders[0].send_on == date(2025, 1, 27)
    assert reminders[0].about == date(2025, 2, 10)
    assert reminders[0].opt_in_only
    assert reminders[0].amount == YEARLY
    assert state.paid_through == date(2026, 2, 10)


def test_monthly_plans_get_no_payment_reminder() -> None:
    _, actions = walk(trial(), date(2024, 1, 10), date(2024, 5, 10))
    assert not any(kind is NoticeKind.upcoming_payment for kind, _ in notices(actions))


def test_renewal_off_ends_at_the_end_of_the_paid_period_without_charging() -> None:
    state, _ = walk(trial(Plan.yearly), date(2024, 1, 10), date(2024, 3, 1))
    state = apply(state, RenewalToggled(date(2024, 3, 1), auto_renew=False)).state
    state, actions = walk(state, date(2024, 3, 2), date(2025, 3, 1))
    assert charges(actions) == []
    assert state.status is Status.ended
    assert state.end_reason is EndReason.renewal_off
    assert EndService(date(2025, 2, 10), EndReason.renewal_off) in actions
    assert (NoticeKind.subscription_ended, date(2025, 2, 10)) in notices(actions)


def test_a_trial_with_renewal_off_ends_without_any_charge() -> None:
    state = trial(auto_renew=False)
    state, actions = walk(state, date(2024, 1, 10), date(2024, 3, 1))
    assert charges(actions) == []
    assert state.status is Status.ended
    assert state.service_ends_on == date(2024, 2, 10)


# ---- purchase without trial --------------------------------------------------------------------


def test_purchase_without_trial_charges_at_activation() -> None:
    started = start_paid("remote", plan=Plan.monthly, price=PRICE, activated_on=date(2024, 1, 31))
    assert started.actions == (Charge(0, 1, PRICE, date(2024, 1, 31)),)
    assert started.state.status is Status.pending_payment
    state = apply(started.state, PaymentSucceeded(0, 1, date(2024, 1, 31))).state
    assert state.status is Status.active
    assert state.paid_through == date(2024, 2, 29)
    state, actions = walk(state, date(2024, 2, 1), date(2024, 3, 31))
    assert [c.due_on for c in charges(actions)] == [date(2024, 2, 29), date(2024, 3, 31)]


def test_declined_checkout_ends_at_once_without_retries() -> None:
    started = start_paid("remote", plan=Plan.monthly, price=PRICE, activated_on=date(2024, 1, 10))
    step = apply(started.state, PaymentFailed(0, 1, date(2024, 1, 10)))
    assert step.state.status is Status.ended
    assert step.state.end_reason is EndReason.purchase_declined
    later, actions = walk(step.state, date(2024, 1, 11), date(2024, 1, 20))
    assert charges(actions) == []
    assert later.status is Status.ended


def test_a_paid_plan_needs_a_price() -> None:
    with pytest.raises(LifecycleError) as error:
        start_paid("remote", plan=Plan.monthly, price=Money.zero("EUR"), activated_on=date.today())
    assert error.value.code == "invalid_price"


# ---- failed payments and retries ---------------------------------------------------------------


def _due_march(state: Subscription) -> tuple[Subscription, Charge]:
    state, _ = walk(state, date(2024, 1, 10), date(2024, 3, 9))
    step = apply(state, DayReached(date(2024, 3, 10)))
    (charge,) = charges(step.actions)
    return step.state, charge


def test_failed_payment_is_retried_next_day_then_once_more_then_cancelled() -> None:
    state, charge = _due_march(trial())
    assert (charge.period, charge.attempt, charge.due_on) == (1, 1, date(2024, 3, 10))

    step = apply(state, PaymentFailed(1, 1, date(2024, 3, 10)))
    assert step.state.status is Status.past_due
    (notice,) = [a.notice for a in step.actions if isinstance(a, SendNotice)]
    assert notice.kind is NoticeKind.payment_failed
    assert notice.about == date(2024, 3, 11)  # the next try
    assert apply(step.state, DayReached(date(2024, 3, 10))).actions == ()  # not the same day

    step = apply(step.state, DayReached(date(2024, 3, 11)))
    assert charges(step.actions) == [Charge(1, 2, PRICE, date(2024, 3, 10))]
    step = apply(step.state, PaymentFailed(1, 2, date(2024, 3, 11)))
    assert step.state.status is Status.past_due
    step = apply(step.state, DayReached(date(2024, 3, 12)))
    assert charges(step.actions) == [Charge(1, 3, PRICE, date(2024, 3, 10))]
    step = apply(step.state, PaymentFailed(1, 3, date(2024, 3, 12)))
    assert step.state.status is Status.ended
    assert step.state.end_reason is EndReason.payment_failed
    assert EndService(date(2024, 3, 12), EndReason.payment_failed) in step.actions
    assert (NoticeKind.cancelled_payment_failed, date(2024, 3, 12)) in notices(step.actions)
    after, actions = walk(step.state, date(2024, 3, 13), date(2024, 6, 1))
    assert charges(actions) == []
    assert after.status is Status.ended


def test_a_retry_that_succeeds_keeps_the_anchor() -> None:
    state, _ = _due_march(trial())
    state = apply(state, PaymentFailed(1, 1, date(2024, 3, 10))).state
    step = apply(state, DayReached(date(2024, 3, 11)))
    state = apply(step.state, PaymentSucceeded(1, 2, date(2024, 3, 11))).state
    assert state.status is Status.active
    assert state.paid_through == date(2024, 4, 10)  # not 11 April
    _, actions = walk(state, date(2024, 3, 12), date(2024, 4, 10))
    assert [(c.period, c.due_on) for c in charges(actions)] == [(2, date(2024, 4, 10))]


def test_an_unanswered_charge_is_asked_again_under_the_same_key() -> None:
    state, charge = _due_march(trial())
    again = apply(state, DayReached(date(2024, 3, 10)))
    assert charges(again.actions) == [charge]
    later = apply(again.state, DayReached(date(2024, 3, 14)))
    assert [c.key for c in charges(later.actions)] == [charge.key] == ["charge:1:1"]


def test_repeated_and_unexpected_payment_results() -> None:
    state, _ = _due_march(trial())
    paid = apply(state, PaymentSucceeded(1, 1, date(2024, 3, 10))).state
    assert apply(paid, PaymentSucceeded(1, 1, date(2024, 3, 10))).state == paid
    assert apply(paid, PaymentFailed(1, 1, date(2024, 3, 10))).state == paid
    with pytest.raises(LifecycleError) as error:
        apply(paid, PaymentSucceeded(5, 1, date(2024, 3, 10)))
    assert error.value.code == "unexpected_payment"
    failed = apply(state, PaymentFailed(1, 1, date(2024, 3, 10))).state
    assert apply(failed, PaymentFailed(1, 1, date(2024, 3, 10))).state == failed
    with pytest.raises(LifecycleError):
        apply(failed, PaymentSucceeded(1, 1, date(2024, 3, 10)))  # no attempt is under way


# ---- cancelling --------------------------------------------------------------------------------


def test_cancelling_a_trial_keeps_it_until_the_trial_end_and_never_charges() -> None:
    state = trial(Plan.yearly)
    step = apply(state, CancelRequested(date(2024, 1, 20), withdrawal_right_used=False))
    assert step.state.status is Status.cancelled
    assert step.cancellation is not None
    assert step.cancellation.rule is CancellationRule.trial_cancelled
    assert step.cancellation.service_ends_on == date(2024, 2, 10)
    assert (NoticeKind.cancellation_confirmed, date(2024, 1, 20)) in notices(step.actions)
    state, actions = walk(step.state, date(2024, 1, 21), date(2025, 3, 1))
    assert charges(actions) == []
    assert state.status is Status.ended
    assert EndService(date(2024, 2, 10), EndReason.cancelled) in actions


def test_cancelling_yearly_refunds_pro_rata_and_runs_to_the_month_end() -> None:
    state, _ = walk(trial(Plan.yearly), date(2024, 1, 10), date(2024, 5, 30))
    step = apply(state, CancelRequested(date(2024, 5, 30), withdrawal_right_used=False))
    assert step.cancellation is not None
    assert step.cancellation.months_used == 4
    refund = Money.of("39.33", "EUR")  # 59.00 × 8 / 12 = 39.333…
    assert Refund(0, refund, CancellationRule.pro_rata_refund) in step.actions
    assert step.state.status is Status.cancelled
    assert step.state.service_ends_on == date(2024, 6, 10)
    state, actions = walk(step.state, date(2024, 5, 31), date(2025, 3, 1))
    assert charges(actions) == []
    assert state.status is Status.ended


def test_withdrawal_refunds_everything_and_ends_now() -> None:
    started = start_paid("remote", plan=Plan.yearly, price=YEARLY, activated_on=date(2024, 1, 10))
    state = apply(started.state, PaymentSucceeded(0, 1, date(2024, 1, 10))).state
    step = apply(state, CancelRequested(date(2024, 1, 20), withdrawal_right_used=False))
    assert step.cancellation is not None
    assert step.cancellation.consumes_withdrawal_right
    assert Refund(0, YEARLY, CancellationRule.withdrawal_full_refund) in step.actions
    assert EndService(date(2024, 1, 20), EndReason.cancelled) in step.actions
    assert step.state.status is Status.ended


def test_cancelling_monthly_runs_to_the_end_of_the_paid_month() -> None:
    state, _ = walk(trial(), date(2024, 1, 10), date(2024, 3, 20))
    step = apply(state, CancelRequested(date(2024, 3, 20), withdrawal_right_used=False))
    assert not any(isinstance(a, Refund) for a in step.actions)
    assert step.state.service_ends_on == date(2024, 4, 10)
    _, actions = walk(step.state, date(2024, 3, 21), date(2024, 5, 1))
    assert charges(actions) == []


def test_cancelling_while_past_due_stops_the_retries() -> None:
    state, _ = _due_march(trial())
    state = apply(state, PaymentFailed(1, 1, date(2024, 3, 10))).state
    step = apply(state, CancelRequested(date(2024, 3, 10), withdrawal_right_used=False))
    assert step.cancellation is not None
    assert step.cancellation.rule is CancellationRule.unpaid_period
    assert step.state.status is Status.ended
    _, actions = walk(step.state, date(2024, 3, 11), date(2024, 3, 20))
    assert charges(actions) == []


def test_removing_the_car_cancels_with_the_same_rules() -> None:
    state, _ = walk(trial(Plan.yearly), date(2024, 1, 10), date(2024, 5, 30))
    step = apply(
        state,
        CancelRequested(date(2024, 5, 30), False, source=CancelSource.vehicle_removed),
    )
    assert step.state.end_reason is EndReason.vehicle_removed
    assert step.cancellation is not None
    assert step.cancellation.months_refunded == 8


def test_refusals_while_cancelling() -> None:
    state, _ = _due_march(trial())
    with pytest.raises(LifecycleError) as error:
        apply(state, CancelRequested(date(2024, 3, 10), False))
    assert error.value.code == "payment_in_progress"
    cancelled = apply(trial(), CancelRequested(date(2024, 1, 11), False)).state
    with pytest.raises(LifecycleError) as error:
        apply(cancelled, CancelRequested(date(2024, 1, 12), False))
    assert error.value.code == "already_cancelled"
    with pytest.raises(LifecycleError) as error:
        apply(cancelled, RenewalToggled(date(2024, 1, 12), auto_renew=True))
    assert error.value.code == "already_cancelled"
    moved = apply(trial(), DayReached(date(2024, 1, 15))).state
    with pytest.raises(LifecycleError) as error:
        apply(moved, CancelRequested(date(2024, 1, 14), False))
    assert error.value.code == "date_in_past"


# ---- complimentary periods ---------------------------------------------------------------------


def test_complimentary_period_notices_and_end_without_renewal() -> None:
    started = start_complimentary(
        "map_care",
        first_delivery=date(2022, 3, 31),
        ends_on=date(2026, 3, 31),
        today=date(2026, 1, 1),
        currency="EUR",
        head_unit=True,
    )
    state, actions = walk(started.state, date(2026, 1, 2), date(2026, 4, 30))
    sent = [a.notice for a in actions if isinstance(a, SendNotice)]
    assert [(n.kind, n.send_on, n.channel) for n in sent] == [
        (NoticeKind.complimentary_ending, date(2026, 2, 28), Channel.app_email),
        (NoticeKind.head_unit_period_ending, date(2026, 3, 1), Channel.head_unit),
        (NoticeKind.complimentary_ending_soon, date(2026, 3, 28), Channel.app_email),
    ]
    assert charges(actions) == []
    assert state.status is Status.ended
    assert state.end_reason is EndReason.complimentary_over
    assert EndService(date(2026, 3, 31), EndReason.complimentary_over) in actions


def test_second_owner_gets_what_is_left_and_no_past_notices() -> None:
    started = start_complimentary(
        "svt",
        first_delivery=date(2023, 5, 1),
        ends_on=date(2026, 5, 1),
        today=date(2026, 4, 20),
        currency="EUR",
    )
    _, actions = walk(started.state, date(2026, 4, 20), date(2026, 5, 2))
    assert notices(actions) == [(NoticeKind.complimentary_ending_soon, date(2026, 4, 28))]
    with pytest.raises(LifecycleError) as error:
        start_complimentary(
            "svt",
            first_delivery=date(2023, 5, 1),
            ends_on=date(2026, 5, 1),
            today=date(2026, 5, 1),
            currency="EUR",
        )
    assert error.value.code == "complimentary_period_over"


def test_complimentary_period_does_not_renew_and_cancels_at_once() -> None:
    state = start_complimentary(
        "standard",
        first_delivery=date(2024, 1, 1),
        ends_on=date(2028, 1, 1),
        today=date(2024, 6, 1),
        currency="EUR",
    ).state
    with pytest.raises(LifecycleError) as error:
        apply(state, RenewalToggled(date(2024, 6, 1), auto_renew=True))
    assert error.value.code == "not_renewable"
    step = apply(state, CancelRequested(date(2024, 6, 2), False))
    assert step.cancellation is not None
    assert step.cancellation.rule is CancellationRule.complimentary_cancelled
    assert step.state.status is Status.ended
    assert not any(isinstance(a, Refund | Charge) for a in step.actions)


# ---- what the owner sees -----------------------------------------------------------------------


def test_purchase_refusals() -> None:
    today = date(2024, 1, 20)
    assert purchase_refusal(None, today=today) is None
    assert purchase_refusal(trial(), today=today) is PurchaseRefusal.trial_running
    cancelled_trial = apply(trial(), CancelRequested(today, False)).state
    assert purchase_refusal(cancelled_trial, today=today) is PurchaseRefusal.trial_running
    assert purchase_refusal(cancelled_trial, today=date(2024, 2, 10)) is None
    active, _ = walk(trial(), date(2024, 1, 10), date(2024, 3, 1))
    assert purchase_refusal(active, today=date(2024, 3, 1)) is PurchaseRefusal.subscription_running
    cancelled = apply(active, CancelRequested(date(2024, 3, 1), False)).state
    refusal = purchase_refusal(cancelled, today=date(2024, 3, 1))
    assert refusal is PurchaseRefusal.cancelled_until_end
    comp = start_complimentary(
        "svt",
        first_delivery=date(2023, 1, 1),
        ends_on=date(2026, 1, 1),
        today=today,
        currency="EUR",
    ).state
    refusal = purchase_refusal(comp, today=today)
    assert refusal is PurchaseRefusal.complimentary_period_running


def test_overview_lines() -> None:
    today = date(2024, 3, 1)
    assert overview(None, trial_available=True, today=today).state is OverviewState.trial_available
    assert overview(None, trial_available=False, today=today).state is OverviewState.available
    active, _ = walk(trial(), date(2024, 1, 10), today)
    line = overview(active, trial_available=False, today=today)
    assert (line.state, line.next_payment_on, line.next_payment) == (
        OverviewState.active,
        date(2024, 3, 10),
        PRICE,
    )
    cancelled = apply(active, CancelRequested(today, False)).state
    line = overview(cancelled, trial_available=False, today=today)
    assert (line.state, line.ends_on) == (OverviewState.cancelled, date(2024, 3, 10))
    ended, _ = walk(cancelled, date(2024, 3, 2), date(2024, 3, 11))
    assert overview(ended, trial_available=False, today=date(2024, 3, 11)).state is (
        OverviewState.available
    )
    comp = start_complimentary(
        "svt",
        first_delivery=date(2021, 1, 1),
        ends_on=date(2024, 1, 1),
        today=date(2023, 12, 1),
        currency="EUR",
    ).state
    over, _ = walk(comp, date(2023, 12, 2), date(2024, 1, 2))
    assert overview(over, trial_available=False, today=date(2024, 1, 2)).state is (
        OverviewState.expired
    )
    line = overview(comp, trial_available=False, today=date(2023, 12, 2))
    assert (line.state, line.ends_on) == (OverviewState.active, date(2024, 1, 1))


def test_card_expiry_notice_a_month_before_it_stops_working() -> None:
    notice = card_expiry_notice(2, 2028)
    assert notice.kind is NoticeKind.card_expiring
    assert notice.send_on == date(2028, 2, 1)
    assert notice.about == date(2028, 3, 1)
    assert notice.key == "notice:card_expiring:2028-03-01"
    with pytest.raises(ValueError, match="1 to 12"):
        card_expiry_notice(13, 2028)


# ---- properties --------------------------------------------------------------------------------

event_kinds = st.sampled_from(
    ["day"] * 6 + ["ok"] * 3 + ["skip"] * 2 + ["fail", "cancel", "toggle"]
)


@st.composite
def lifecycles(draw: st.DrawFn) -> tuple[Transition, list[str]]:
    plan = draw(st.sampled_from(list(Plan)))
    anchor = draw(st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 12, 31)))
    with_trial = draw(st.booleans())
    price = Money(draw(st.integers(min_value=1, max_value=100_000)), "EUR")
    start = (start_trial if with_trial else start_paid)(
        "remote", plan=plan, price=price, activated_on=anchor
    )
    return start, draw(st.lists(event_kinds, max_size=120))


@settings(max_examples=300, deadline=None)
@given(lifecycles())
def test_never_two_payments_for_one_period(case: tuple[Transition, list[str]]) -> None:
    start, script = case
    state = start.state
    actions: list[Action] = list(start.actions)
    day = state.anchor
    for kind in script:
        event: Event
        pending = state.charge
        if kind == "day":
            event = DayReached(day)
        elif kind == "skip":
            day += timedelta(days=17)
            event = DayReached(day)
        elif kind in ("ok", "fail"):
            if pending is None or not pending.awaiting:
                continue
            cls = PaymentSucceeded if kind == "ok" else PaymentFailed
            event = cls(pending.period, pending.attempt, day)
        elif kind == "cancel":
            event = CancelRequested(day, withdrawal_right_used=False)
        else:
            event = RenewalToggled(day, auto_renew=not state.auto_renew)
        try:
            step = apply(state, event)
        except LifecycleError:
            continue
        state = step.state
        actions.extend(step.actions)
        day += timedelta(days=1)

    periods = [p.period for p in state.payments]
    assert periods == list(range(len(periods)))  # one payment per period, in order
    by_key: dict[str, Charge] = {}
    for charge in charges(actions):
        assert by_key.setdefault(charge.key, charge) == charge  # a key always means one charge
        assert 1 <= charge.attempt <= 3
        assert charge.amount == start.state.price
    attempts = Counter(c.period for c in by_key.values())
    assert all(n <= 3 for n in attempts.values())
    refunds = [a for a in actions if isinstance(a, Refund)]
    assert len(refunds) <= 1
    for refund in refunds:
        assert refund.amount <= start.state.price
        assert refund.period in periods
    ends = [a for a in actions if isinstance(a, EndService)]
    assert len(ends) <= 1
    if ends:
        assert state.status is Status.ended


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(list(Plan)),
    st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 12, 31)),
    st.integers(min_value=0, max_value=27),
)
def test_cancelling_during_trial_never_charges(plan: Plan, anchor: date, after: int) -> None:
    state = start_trial("smart", plan=plan, price=PRICE, activated_on=anchor).state
    state, _ = walk(state, anchor, anchor + timedelta(days=after))
    step = apply(state, CancelRequested(anchor + timedelta(days=after), False))
    state, actions = walk(step.state, anchor + timedelta(days=after + 1), anchor + timedelta(400))
    assert charges([*step.actions, *actions]) == []
    assert not any(isinstance(a, Refund) for a in [*step.actions, *actions])
    assert state.status is Status.ended
    assert state.payments == ()
