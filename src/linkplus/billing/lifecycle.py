"""A subscription's life as a pure state machine: state + event → new state + actions.

Nothing here reads a clock, a database or a payment provider. The billing run feeds events (a day
reached, a payment's result, a cancellation, a renewal switch) and executes the actions it gets
back (charge, refund, send a notice, end the service). Every action carries a key that is stable
for what it does (``charge:3:2`` is the second attempt at period 3), so the run can store the new
state and its actions in one transaction and execute each action idempotently by its key: a
crash, a retried request or two workers at once never charge twice for one period.

Two kinds of free period (the documents disagree; docs/billing.md):

* the complimentary period, anchored at the car's first delivery (warranty start) and passed on
  to the next owner with whatever is left; it never turns into a paid plan by itself;
* the one-month trial, anchored at activation, for packages without a complimentary period; it
  becomes the chosen paid plan at its end unless cancelled or renewal is switched off.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum

from linkplus.billing.anchors import Plan, add_months, nth_billing_date
from linkplus.billing.proration import (
    CancellationOutcome,
    CancellationRule,
    Payment,
    cancellation_outcome,
)
from linkplus.kit.money import Money

MAX_ATTEMPTS = 3  # the charge, a retry the next day, a final try the day after
NOTICE_DAYS_BEFORE_END = 3  # "a few days beforehand" (seed 004)
HEAD_UNIT_DAYS_BEFORE_END = 30  # on the car's screen, multimedia services (seed 003)
UPCOMING_PAYMENT_DAYS = 14  # before each yearly or 4-year charge, if the owner opted in


class LifecycleError(ValueError):
    """An event the subscription cannot take in its state; ``code`` is stable for the API."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Kind(StrEnum):
    complimentary = "complimentary"
    paid = "paid"  # with or without the one-month trial


class Status(StrEnum):
    complimentary = "complimentary"  # free period from first delivery; never charged
    trialing = "trialing"  # one-month trial; the first charge is due at its end
    pending_payment = "pending_payment"  # bought without trial: the first charge is under way
    active = "active"  # paid up (a renewal charge may be under way)
    past_due = "past_due"  # a charge failed; retries pending; the service keeps running
    cancelled = "cancelled"  # cancelled; the service runs until service_ends_on
    ended = "ended"


class EndReason(StrEnum):
    complimentary_over = "complimentary_over"
    renewal_off = "renewal_off"  # auto-renewal switched off, or a trial not continued
    cancelled = "cancelled"
    vehicle_removed = "vehicle_removed"
    payment_failed = "payment_failed"  # three attempts failed
    purchase_declined = "purchase_declined"  # the charge at checkout failed


class CancelSource(StrEnum):
    owner = "owner"
    customer_centre = "customer_centre"  # an agent on the owner's behalf
    vehicle_removed = "vehicle_removed"  # the car left the account: all its subscriptions go


class NoticeKind(StrEnum):
    complimentary_ending = "complimentary_ending"  # one month before
    complimentary_ending_soon = "complimentary_ending_soon"  # a few days before
    trial_ending = "trial_ending"
    trial_ending_soon = "trial_ending_soon"
    head_unit_period_ending = "head_unit_period_ending"  # 30 days before, on the car's screen
    upcoming_payment = "upcoming_payment"  # before a yearly or 4-year charge; opt-in
    payment_failed = "payment_failed"
    cancelled_payment_failed = "cancelled_payment_failed"
    cancellation_confirmed = "cancellation_confirmed"
    subscription_ended = "subscription_ended"  # ran out without renewal
    card_expiring = "card_expiring"


class Channel(StrEnum):
    app_email = "app_email"  # inbox, e-mail and push, by the account's preferences
    head_unit = "head_unit"  # the car's multimedia screen


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    send_on: date
    about: date  # the day the announced thing happens (end, charge, next try, card expiry)
    channel: Channel = Channel.app_email
    opt_in_only: bool = False  # send only if the owner asked for payment reminders
    amount: Money | None = None  # the charge announced, or the refund confirmed

    @property
    def key(self) -> str:
        return f"notice:{self.kind}:{self.about.isoformat()}"


@dataclass(frozen=True)
class Charge:
    period: int
    attempt: int
    amount: Money
    due_on: date

    @property
    def key(self) -> str:
        return f"charge:{self.period}:{self.attempt}"


@dataclass(frozen=True)
class Refund:
    period: int  # the payment the money goes back to
    amount: Money
    rule: CancellationRule

    @property
    def key(self) -> str:
        return f"refund:{self.period}"


@dataclass(frozen=True)
class SendNotice:
    notice: Notice

    @property
    def key(self) -> str:
        return self.notice.key


@dataclass(frozen=True)
class EndService:
    on: date
    reason: EndReason

    @property
    def key(self) -> str:
        return "end"


Action = Charge | Refund | SendNotice | EndService


@dataclass(frozen=True)
class PendingCharge:
    period: int
    attempt: int
    due_on: date
    awaiting: bool  # sent; its result has not come back
    retry_on: date | None = None  # after a failure: the day of the next attempt


@dataclass(frozen=True)
class DayReached:
    day: date


@dataclass(frozen=True)
class PaymentSucceeded:
    period: int
    attempt: int
    on: date


@dataclass(frozen=True)
class PaymentFailed:
    period: int
    attempt: int
    on: date


@dataclass(frozen=True)
class CancelRequested:
    on: date
    withdrawal_right_used: bool  # this customer already had a 14-day full refund
    source: CancelSource = CancelSource.owner


@dataclass(frozen=True)
class RenewalToggled:
    on: date
    auto_renew: bool


Event = DayReached | PaymentSucceeded | PaymentFailed | CancelRequested | RenewalToggled


@dataclass(frozen=True)
class Subscription:
    package: str
    kind: Kind
    plan: Plan | None  # None for a complimentary period
    anchor: date  # activation day (paid), first delivery (complimentary)
    trial_months: int
    price: Money  # per period, VAT included, fixed at purchase; zero when complimentary
    status: Status
    auto_renew: bool
    head_unit: bool  # multimedia package: its end is also announced on the car's screen
    last_day: date  # the latest day processed; notices up to it have been given
    payments: tuple[Payment, ...] = ()  # one per period, in order
    charge: PendingCharge | None = None
    service_ends_on: date | None = None  # known end (complimentary, cancelled, ended)
    end_reason: EndReason | None = None

    @property
    def trial_ends_on(self) -> date | None:
        if self.trial_months == 0 or self.plan is None:
            return None
        return nth_billing_date(self.anchor, self.plan, 0, trial_months=self.trial_months)

    @property
    def next_due_on(self) -> date | None:
        """The day the next unpaid period starts, i.e. its charge is due."""
        if self.plan is None:
            return None
        n = len(self.payments)
        return nth_billing_date(self.anchor, self.plan, n, trial_months=self.trial_months)

    @property
    def paid_through(self) -> date | None:
        """The first day no payment covers (None before the first payment)."""
        return self.next_due_on if self.payments else None


@dataclass(frozen=True)
class Transition:
    state: Subscription
    actions: tuple[Action, ...] = ()
    cancellation: CancellationOutcome | None = None  # what the API states after a cancel


@dataclass
class _Draft:
    state: Subscription
    actions: list[Action] = field(default_factory=list)

    def set(self, **changes: object) -> None:
        self.state = replace(self.state, **changes)  # type: ignore[arg-type]

    def done(self, cancellation: CancellationOutcome | None = None) -> Transition:
        return Transition(self.state, tuple(self.actions), cancellation)


# ---- starting ----------------------------------------------------------------------------------


def start_complimentary(
    package: str,
    *,
    first_delivery: date,
    ends_on: date,
    today: date,
    currency: str,
    head_unit: bool = False,
) -> Transition:
    """The free period of a car's package, for whoever owns the car now (what is left of it)."""
    if ends_on <= today:
        raise LifecycleError("complimentary_period_over", "The complimentary period has ended.")
    state = Subscription(
        package=package,
        kind=Kind.complimentary,
        plan=None,
        anchor=first_delivery,
        trial_months=0,
        price=Money.zero(currency),
        status=Status.complimentary,
        auto_renew=False,
        head_unit=head_unit,
        last_day=today,
        service_ends_on=ends_on,
    )
    return Transition(state)


def start_trial(
    package: str,
    *,
    plan: Plan,
    price: Money,
    activated_on: date,
    head_unit: bool = False,
    auto_renew: bool = True,
) -> Transition:
    """A one-month trial: nothing charged now; the first charge one month after activation."""
    _check_price(price)
    state = Subscription(
        package=package,
        kind=Kind.paid,
        plan=plan,
        anchor=activated_on,
        trial_months=1,
        price=price,
        status=Status.trialing,
        auto_renew=auto_renew,
        head_unit=head_unit,
        last_day=activated_on,
    )
    return Transition(state)


def start_paid(
    package: str,
    *,
    plan: Plan,
    price: Money,
    activated_on: date,
    head_unit: bool = False,
    auto_renew: bool = True,
) -> Transition:
    """A purchase without trial: the first period is charged (and invoiced) at activation."""
    _check_price(price)
    charge = PendingCharge(period=0, attempt=1, due_on=activated_on, awaiting=True)
    state = Subscription(
        package=package,
        kind=Kind.paid,
        plan=plan,
        anchor=activated_on,
        trial_months=0,
        price=price,
        status=Status.pending_payment,
        auto_renew=auto_renew,
        head_unit=head_unit,
        last_day=activated_on,
        charge=charge,
    )
    return Transition(state, (Charge(0, 1, price, activated_on),))


def _check_price(price: Money) -> None:
    if not price.is_positive:
        raise LifecycleError("invalid_price", "A paid plan needs a price above zero.")


# ---- events ------------------------------------------------------------------------------------


def apply(state: Subscription, event: Event) -> Transition:
    """The state after ``event`` and what the billing run has to do for it."""
    if isinstance(event, DayReached):
        return _day_reached(state, event.day)
    if isinstance(event, PaymentSucceeded):
        return _payment_succeeded(state, event)
    if isinstance(event, PaymentFailed):
        return _payment_failed(state, event)
    if isinstance(event, CancelRequested):
        return _cancel(state, event)
    return _toggle_renewal(state, event)


def _charge_action(state: Subscription, pending: PendingCharge) -> Charge:
    return Charge(pending.period, pending.attempt, state.price, pending.due_on)


def _issue_charge(draft: _Draft, due_on: date, status: Status) -> None:
    period = len(draft.state.payments)
    pending = PendingCharge(period=period, attempt=1, due_on=due_on, awaiting=True)
    draft.set(charge=pending, status=status)
    draft.actions.append(_charge_action(draft.state, pending))


def _end(draft: _Draft, on: date, reason: EndReason) -> None:
    draft.set(status=Status.ended, service_ends_on=on, end_reason=reason, charge=None)
    draft.actions.append(EndService(on, reason))


def _day_reached(state: Subscription, day: date) -> Transition:
    draft = _Draft(state)
    pending = state.charge
    if pending is not None and pending.awaiting:
        # the result never came back (crash, timeout): ask again under the same key
        draft.actions.append(_charge_action(state, pending))
    for notice in scheduled_notices(state):
        if state.last_day < notice.send_on <= day < notice.about:
            draft.actions.append(SendNotice(notice))
    _advance(draft, day)
    if day > draft.state.last_day:
        draft.set(last_day=day)
    return draft.done()


def _advance(draft: _Draft, day: date) -> None:
    state = draft.state
    if state.status is Status.complimentary:
        if state.service_ends_on is not None and day >= state.service_ends_on:
            _end(draft, state.service_ends_on, EndReason.complimentary_over)
        return
    if state.status is Status.cancelled:
        if state.service_ends_on is not None and day >= state.service_ends_on:
            _end(draft, state.service_ends_on, state.end_reason or EndReason.cancelled)
        return
    if state.status not in (Status.trialing, Status.active, Status.past_due):
        return
    pending = state.charge
    if pending is not None:
        if not pending.awaiting and pending.retry_on is not None and day >= pending.retry_on:
            retry = replace(pending, attempt=pending.attempt + 1, awaiting=True, retry_on=None)
            draft.set(charge=retry)
            draft.actions.append(_charge_action(state, retry))
        return
    due = state.next_due_on
    if due is None or day < due:
        return
    if state.auto_renew:
        _issue_charge(draft, due, Status.active)
    else:
        _end(draft, due, EndReason.renewal_off)
        draft.actions.append(
            SendNotice(Notice(NoticeKind.subscription_ended, send_on=max(day, due), about=due))
        )


def _matches(pending: PendingCharge | None, period: int, attempt: int) -> bool:
    return (
        pending is not None
        and pending.awaiting
        and pending.period == period
        and pending.attempt == attempt
    )


def _payment_succeeded(state: Subscription, event: PaymentSucceeded) -> Transition:
    if not _matches(state.charge, event.period, event.attempt):
        if any(p.period == event.period for p in state.payments):
            return Transition(state)  # the same success reported again
        raise LifecycleError(
            "unexpected_payment",
            f"No charge for period {event.period}, attempt {event.attempt} is awaited.",
        )
    payment = Payment(period=event.period, amount=state.price, paid_on=event.on)
    draft = _Draft(state)
    draft.set(payments=(*state.payments, payment), charge=None, status=Status.active)
    return draft.done()


def _payment_failed(state: Subscription, event: PaymentFailed) -> Transition:
    pending = state.charge
    if not _matches(pending, event.period, event.attempt):
        already = any(p.period == event.period for p in state.payments) or (
            pending is not None
            and pending.period == event.period
            and (pending.attempt > event.attempt or not pending.awaiting)
        )
        if already or state.status is Status.ended:
            return Transition(state)  # a late or repeated report of a failure already handled
        raise LifecycleError(
            "unexpected_payment",
            f"No charge for period {event.period}, attempt {event.attempt} is awaited.",
        )
    assert pending is not None
    draft = _Draft(state)
    if state.status is Status.pending_payment:
        # checkout: the owner is told at once and can try another card; no retries
        _end(draft, event.on, EndReason.purchase_declined)
        return draft.done()
    if event.attempt >= MAX_ATTEMPTS:
        _end(draft, event.on, EndReason.payment_failed)
        notice = Notice(NoticeKind.cancelled_payment_failed, event.on, event.on)
        draft.actions.append(SendNotice(notice))
        return draft.done()
    retry_on = event.on + timedelta(days=1)
    draft.set(charge=replace(pending, awaiting=False, retry_on=retry_on), status=Status.past_due)
    notice = Notice(NoticeKind.payment_failed, event.on, retry_on, amount=state.price)
    draft.actions.append(SendNotice(notice))
    return draft.done()


_END_REASON = {
    CancelSource.owner: EndReason.cancelled,
    CancelSource.customer_centre: EndReason.cancelled,
    CancelSource.vehicle_removed: EndReason.vehicle_removed,
}


def _cancel(state: Subscription, event: CancelRequested) -> Transition:
    if state.status in (Status.cancelled, Status.ended):
        raise LifecycleError("already_cancelled", "This subscription is already cancelled.")
    if state.charge is not None and state.charge.awaiting:
        raise LifecycleError(
            "payment_in_progress",
            "A payment for this subscription is being processed. Please try again in a minute.",
        )
    if event.on < state.last_day:
        raise LifecycleError("date_in_past", "A cancellation cannot be dated before today.")
    reason = _END_REASON[event.source]
    draft = _Draft(state)
    if state.kind is Kind.complimentary or state.plan is None:
        zero = Money.zero(state.price.currency)
        outcome = CancellationOutcome(
            rule=CancellationRule.complimentary_cancelled,
            service_ends_on=event.on,
            ends_immediately=True,
            refund=zero,
            refunded_period=None,
            paid=zero,
            kept=zero,
            months_used=None,
            months_refunded=None,
            consumes_withdrawal_right=False,
        )
    else:
        outcome = cancellation_outcome(
            plan=state.plan,
            activated_on=state.anchor,
            trial=state.trial_months > 0,
            payments=state.payments,
            cancelled_on=event.on,
            withdrawal_right_used=event.withdrawal_right_used,
            currency=state.price.currency,
        )
    if outcome.refund.is_positive and outcome.refunded_period is not None:
        draft.actions.append(Refund(outcome.refunded_period, outcome.refund, outcome.rule))
    if outcome.ends_immediately:
        _end(draft, event.on, reason)
    else:
        draft.set(
            status=Status.cancelled,
            service_ends_on=outcome.service_ends_on,
            end_reason=reason,
            charge=None,
        )
    confirmation = Notice(
        NoticeKind.cancellation_confirmed, event.on, outcome.service_ends_on, amount=outcome.refund
    )
    draft.actions.append(SendNotice(confirmation))
    return draft.done(outcome)


def _toggle_renewal(state: Subscription, event: RenewalToggled) -> Transition:
    if state.kind is Kind.complimentary:
        raise LifecycleError(
            "not_renewable",
            "A complimentary period does not renew into a paid plan. Subscribe once it ends.",
        )
    if state.status in (Status.cancelled, Status.ended):
        raise LifecycleError("already_cancelled", "This subscription is already cancelled.")
    return Transition(replace(state, auto_renew=event.auto_renew))


# ---- notices -----------------------------------------------------------------------------------


def _ending_notices(end: date, *, trial: bool, head_unit: bool) -> list[Notice]:
    month, soon = (
        (NoticeKind.trial_ending, NoticeKind.trial_ending_soon)
        if trial
        else (NoticeKind.complimentary_ending, NoticeKind.complimentary_ending_soon)
    )
    notices = [
        Notice(month, add_months(end, -1), end),
        Notice(soon, end - timedelta(days=NOTICE_DAYS_BEFORE_END), end),
    ]
    if head_unit:
        before = end - timedelta(days=HEAD_UNIT_DAYS_BEFORE_END)
        notices.append(Notice(NoticeKind.head_unit_period_ending, before, end, Channel.head_unit))
    return notices


def scheduled_notices(state: Subscription) -> list[Notice]:
    """The notices this state announces ahead of time, whether due yet or not.

    A notice goes out once, on the first day processed on or after ``send_on`` and before the
    thing it announces; notices dated on or before the day the state began are never sent (a
    second owner is not told about a month that is already past).
    """
    if state.status is Status.complimentary and state.service_ends_on is not None:
        return _ending_notices(state.service_ends_on, trial=False, head_unit=state.head_unit)
    trial_end = state.trial_ends_on
    if state.status is Status.trialing and trial_end is not None:
        return _ending_notices(trial_end, trial=True, head_unit=state.head_unit)
    if (
        state.status is Status.active
        and state.charge is None
        and state.auto_renew
        and state.plan in (Plan.yearly, Plan.four_yearly)
        and state.next_due_on is not None
    ):
        due = state.next_due_on
        send_on = due - timedelta(days=UPCOMING_PAYMENT_DAYS)
        return [
            Notice(NoticeKind.upcoming_payment, send_on, due, opt_in_only=True, amount=state.price)
        ]
    return []


def card_expiry_notice(expiry_month: int, expiry_year: int) -> Notice:
    """The warning a month before a card stops working (it is valid through its expiry month)."""
    if not 1 <= expiry_month <= 12:
        raise ValueError("expiry month is 1 to 12")
    first_of_expiry_month = date(expiry_year, expiry_month, 1)
    no_longer_valid = add_months(first_of_expiry_month, 1)
    return Notice(NoticeKind.card_expiring, first_of_expiry_month, no_longer_valid)


# ---- what the owner sees -----------------------------------------------------------------------


class PurchaseRefusal(StrEnum):
    complimentary_period_running = "complimentary_period_running"
    trial_running = "trial_running"
    subscription_running = "subscription_running"  # plan change: cancel first
    cancelled_until_end = "cancelled_until_end"  # can buy again once the service has ended


def purchase_refusal(existing: Subscription | None, *, today: date) -> PurchaseRefusal | None:
    """Why a new subscription of the same package on the same car cannot start today."""
    if existing is None or existing.status is Status.ended:
        return None
    if existing.service_ends_on is not None and today >= existing.service_ends_on:
        return None  # over, only not processed by the billing run yet
    if existing.status is Status.complimentary:
        return PurchaseRefusal.complimentary_period_running
    if existing.status is Status.trialing:
        return PurchaseRefusal.trial_running
    if existing.status is Status.cancelled:
        trial_end = existing.trial_ends_on
        if trial_end is not None and not existing.payments:
            return PurchaseRefusal.trial_running
        return PurchaseRefusal.cancelled_until_end
    return PurchaseRefusal.subscription_running


class OverviewState(StrEnum):
    active = "active"
    cancelled = "cancelled"
    trial_available = "trial_available"
    available = "available"
    expired = "expired"


@dataclass(frozen=True)
class Overview:
    state: OverviewState
    status: Status | None
    ends_on: date | None  # when the service stops (free period end, cancelled end, no renewal)
    next_payment_on: date | None
    next_payment: Money | None


def overview(existing: Subscription | None, *, trial_available: bool, today: date) -> Overview:
    """The Connected Services Centre's line for one package of one car."""
    if existing is None:
        state = OverviewState.trial_available if trial_available else OverviewState.available
        return Overview(state, None, None, None, None)
    status = existing.status
    over = existing.service_ends_on is not None and today >= existing.service_ends_on
    if status is Status.ended or over:
        if existing.end_reason in (EndReason.complimentary_over, EndReason.renewal_off) or (
            status is Status.complimentary
        ):
            return Overview(OverviewState.expired, status, existing.service_ends_on, None, None)
        state = OverviewState.trial_available if trial_available else OverviewState.available
        return Overview(state, status, existing.service_ends_on, None, None)
    if status is Status.cancelled:
        return Overview(OverviewState.cancelled, status, existing.service_ends_on, None, None)
    if status is Status.complimentary:
        return Overview(OverviewState.active, status, existing.service_ends_on, None, None)
    due = existing.next_due_on
    if existing.auto_renew:
        return Overview(OverviewState.active, status, None, due, existing.price)
    return Overview(OverviewState.active, status, due, None, None)
