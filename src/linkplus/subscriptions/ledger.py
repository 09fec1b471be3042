"""Moving money for subscriptions: recording what the lifecycle asks for, then settling it.

The protocol for every charge and refund (docs/payments.md):

1. in one transaction, store the lifecycle's new state and record the attempt (a pending row
   with its idempotency key ``{subscription_id}:charge:{period}:{attempt}``); commit;
2. call the provider with that key, with no transaction open;
3. in a new transaction, lock the subscription, and if the attempt is still pending record the
   result: the invoice (credit note) in the same transaction, the lifecycle's
   ``PaymentSucceeded`` / ``PaymentFailed`` and whatever that asks for (notices, the end).

A crash between 2 and 3 leaves a pending row: the next pass asks the provider what happened
under the key (``get_charge``) before charging, and the provider answers a repeated key with the
first charge, so two workers, a retried job or a re-run never charge twice. A provider that does
not answer leaves the row pending for the next pass; only definitive results are recorded.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.billing.anchors import Plan, nth_billing_date
from linkplus.billing.lifecycle import (
    Charge,
    DayReached,
    EndService,
    LifecycleError,
    PaymentFailed,
    PaymentSucceeded,
    Refund,
    SendNotice,
    Transition,
    apply,
)
from linkplus.invoices import service as invoices
from linkplus.invoices.schemas import Buyer, InvoiceLineIn
from linkplus.kit.money import Money
from linkplus.models.subscriptions import SubscriptionCharge, SubscriptionRefund, SubscriptionRow
from linkplus.payments import service as payments
from linkplus.payments.errors import PaymentProviderError
from linkplus.runtime import Runtime
from linkplus.seams.payments import ChargeResult, PaymentProvider, RefundResult
from linkplus.subscriptions import notices, repository
from linkplus.subscriptions.state import state_of, store

log = structlog.get_logger("linkplus.subscriptions")

NO_CARD = "no_card"
PLAN_WORDS = {Plan.monthly: "monthly", Plan.yearly: "yearly", Plan.four_yearly: "every 4 years"}


@dataclass
class Tally:
    """What a pass did, for the run's report."""

    charged: int = 0
    failed: int = 0
    refunded: int = 0
    notices: int = 0
    ended: int = 0
    unsettled: int = 0
    errors: int = 0

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def charge_key(subscription_id: uuid.UUID, period: int, attempt: int) -> str:
    return f"{subscription_id}:charge:{period}:{attempt}"


def refund_key(subscription_id: uuid.UUID, period: int) -> str:
    return f"{subscription_id}:refund:{period}"


# --- step 1: record what the lifecycle asks for ----------------------------------------------


async def record(
    session: AsyncSession,
    runtime: Runtime,
    row: SubscriptionRow,
    transition: Transition,
    *,
    now: datetime,
    tally: Tally,
    held: notices.Held | None = None,
) -> None:
    """Store the transition's state in ``row`` and record each of its actions, once per key:
    ``record_many`` for one subscription. With ``held``, its notices wait there to go out as
    one message (``notices.give_held``)."""
    await record_many(session, runtime, [(row, transition)], now=now, tally=tally, held=held)


@dataclass
class _NewAttempts:
    charges: list[SubscriptionCharge] = field(default_factory=list)
    refunds: list[SubscriptionRefund] = field(default_factory=list)


async def record_many(
    session: AsyncSession,
    runtime: Runtime,
    transitions: Sequence[tuple[SubscriptionRow, Transition]],
    *,
    now: datetime,
    tally: Tally,
    deferred: bool = False,
    held: notices.Held | None = None,
) -> dict[uuid.UUID, _NewAttempts]:
    """Store each transition's state in its row and record each of its actions, once per key:
    a charge or refund attempt whose key is recorded already (asked again after a crash or a
    timeout) is not recorded twice. The attempts are looked up with one statement per kind and
    the cards once per account. Returns the attempts recorded now, per subscription.

    ``deferred``: the caller (recording a chunk's results) flushes once and stores every row
    again with its pending refunds looked up for the whole chunk, so neither is done here."""
    charge_keys = [
        charge_key(row.id, action.period, action.attempt)
        for row, transition in transitions
        for action in transition.actions
        if isinstance(action, Charge)
    ]
    refund_keys = [
        refund_key(row.id, action.period)
        for row, transition in transitions
        for action in transition.actions
        if isinstance(action, Refund)
    ]
    known_charges = set(await repository.charges_by_keys(session, charge_keys))
    known_refunds = set(await repository.refunds_by_keys(session, refund_keys))
    paying = [
        row.account_id
        for row, transition in transitions
        if any(isinstance(action, Charge) for action in transition.actions)
    ]
    # The primary cards of every paying account in one statement (not one per account).
    found = await payments.primary_cards(session, account_ids=paying) if paying else {}
    cards: dict[uuid.UUID, tuple[uuid.UUID | None, str | None]] = {
        account_id: (card.id, card.provider_token) for account_id, card in found.items()
    }
    recorded: dict[uuid.UUID, _NewAttempts] = {}
    for row, transition in transitions:
        new = recorded.setdefault(row.id, _NewAttempts())
        for action in transition.actions:
            if isinstance(action, Charge):
                key = charge_key(row.id, action.period, action.attempt)
                if key in known_charges:
                    continue  # asked again after a crash or timeout: the same attempt
                known_charges.add(key)
                card_id, token = cards.get(row.account_id, (None, None))
                charge = SubscriptionCharge(
                    subscription_id=row.id,
                    period=action.period,
                    attempt=action.attempt,
                    idempotency_key=key,
                    amount_minor=action.amount.minor,
                    currency=action.amount.currency,
                    due_on=action.due_on,
                    card_id=card_id,
                    provider_token=token,
                    state=repository.PENDING,
                    created_at=now,
                )
                session.add(charge)
                new.charges.append(charge)
            elif isinstance(action, Refund):
                key = refund_key(row.id, action.period)
                if key in known_refunds:
                    continue
                known_refunds.add(key)
                refund = SubscriptionRefund(
                    subscription_id=row.id,
                    period=action.period,
                    idempotency_key=key,
                    amount_minor=action.amount.minor,
                    currency=action.amount.currency,
                    rule=action.rule.value,
                    state=repository.PENDING,
                    created_at=now,
                )
                session.add(refund)
                new.refunds.append(refund)
                row.cancel_rule = action.rule.value
            elif isinstance(action, SendNotice):
                if await notices.give(session, runtime, row, action.notice, now=now, held=held):
                    tally.notices += 1
            elif isinstance(action, EndService):
                tally.ended += 1
    if deferred:
        for row, transition in transitions:
            store(row, transition.state)
            row.updated_at = now
        return recorded
    await session.flush()
    money_pending = await repository.with_pending_refunds(
        session, [row.id for row, _ in transitions]
    )
    for row, transition in transitions:
        store(row, transition.state, money_pending=row.id in money_pending)
        row.updated_at = now
    await session.flush()
    return recorded


async def advance_chunk(
    session: AsyncSession,
    runtime: Runtime,
    ids: list[uuid.UUID],
    *,
    day: date,
    tally: Tally,
) -> dict[uuid.UUID, Calls]:
    """Step 1 for a chunk of subscriptions in ``session``: apply ``DayReached`` to each due row
    and record what it asks for (``record_many``), with the rows locked. Returns the provider
    calls that settle each row (rows not due any more are left out): the attempts pending
    before (looked up at the provider first) and the ones recorded now."""
    locked = await repository.lock_many(session, ids)
    rows = [
        row
        for _, row in sorted(locked.items())
        if row.next_run_on is not None and row.next_run_on <= day  # else another run did it
    ]
    if not rows:
        return {}
    row_ids = [row.id for row in rows]
    pending_charges = await repository.pending_charges_of(session, row_ids)
    pending_refunds = await repository.pending_refunds_of(session, row_ids)
    transitions = []
    for row in rows:
        state = state_of(row)
        transitions.append((row, apply(state, DayReached(max(day, state.last_day)))))
    recorded = await record_many(
        session, runtime, transitions, now=runtime.clock.now(), tally=tally
    )
    out: dict[uuid.UUID, Calls] = {}
    for row in rows:
        new = recorded[row.id]
        calls = await _calls(
            session,
            row,
            charges=[*pending_charges[row.id], *new.charges],
            refunds=[*pending_refunds[row.id], *new.refunds],
            fresh=frozenset(
                [c.idempotency_key for c in new.charges] + [r.idempotency_key for r in new.refunds]
            ),
        )
        if calls:
            out[row.id] = calls
    return out


# --- step 2: the provider --------------------------------------------------------------------


@dataclass
class _ChargeCall:
    key: str
    token: str | None
    amount: Money
    description: str
    reconcile: bool
    result: ChargeResult | None = None


@dataclass
class _RefundCall:
    key: str
    charge_id: str
    amount: Money
    reconcile: bool
    result: RefundResult | None = None


@dataclass
class Calls:
    market: str = ""
    charges: list[_ChargeCall] = field(default_factory=list)
    refunds: list[_RefundCall] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.charges or self.refunds)


async def _call_charge(provider: PaymentProvider, call: _ChargeCall) -> None:
    if call.token is None:
        return  # no card in the wallet: a failed attempt, recorded without asking anyone
    try:
        if call.reconcile:
            call.result = await provider.get_charge(call.key)
        if call.result is None:
            call.result = await provider.charge(
                call.token, call.amount, idempotency_key=call.key, description=call.description
            )
    except PaymentProviderError as exc:
        # Unavailable: asked again next pass under the same key. Anything else is a bug in the
        # request (logged); the attempt stays pending rather than being guessed.
        log.warning("charge_not_settled", key=call.key, error=exc.detail, code=exc.provider_code)


async def _call_refund(provider: PaymentProvider, call: _RefundCall) -> None:
    try:
        if call.reconcile:
            call.result = await provider.get_refund(call.key)
        if call.result is None:
            call.result = await provider.refund(
                call.charge_id, call.amount, idempotency_key=call.key
            )
    except PaymentProviderError as exc:
        log.warning("refund_not_settled", key=call.key, error=exc.detail, code=exc.provider_code)


async def call_provider(provider: PaymentProvider, calls: Calls) -> None:
    for charge in calls.charges:
        await _call_charge(provider, charge)
    for refund in calls.refunds:
        await _call_refund(provider, refund)


async def call_provider_many(
    provider: PaymentProvider, pending: Sequence[Calls], *, at_once: int
) -> None:
    """``call_provider`` for several subscriptions, at most ``at_once`` of them at a time. Safe
    because every attempt was committed before (step 1) and each has its own idempotency key:
    a crash while some calls are out leaves pending rows that the next pass reconciles."""
    if at_once <= 1 or len(pending) <= 1:
        for calls in pending:
            await call_provider(provider, calls)
        return
    gate = asyncio.Semaphore(at_once)

    async def one(calls: Calls) -> None:
        async with gate:
            await call_provider(provider, calls)

    try:
        async with asyncio.TaskGroup() as group:
            for calls in pending:
                group.create_task(one(calls))
    except BaseExceptionGroup as failed:
        # A call that broke (not a provider refusal, which ``_call_charge`` keeps): the others
        # were cancelled; the first failure goes on as a single call's would.
        raise failed.exceptions[0] from None


# --- step 3: record the results --------------------------------------------------------------


async def settle(
    runtime: Runtime,
    subscription_id: uuid.UUID,
    *,
    day: date,
    fresh: frozenset[str] = frozenset(),
    provider: PaymentProvider | None = None,
) -> Tally:
    """Settle every pending charge and refund of one subscription (steps 2 and 3).

    ``fresh`` are keys recorded by the caller a moment ago and never sent: they are charged
    straight away; any other pending key is first looked up at the provider (reconciliation).
    """
    provider = provider or payments.provider(runtime)
    tally = Tally()
    for _ in range(4):  # a failed attempt never asks for another charge the same day
        calls = await _pending_calls(runtime, subscription_id, fresh)
        if not calls:
            return tally
        await call_provider(provider, calls)
        settled = await _record_results(runtime, subscription_id, calls, day=day, tally=tally)
        if not settled:  # counted as unsettled by the recording
            return tally
        fresh = frozenset()
    return tally


async def _pending_calls(
    runtime: Runtime, subscription_id: uuid.UUID, fresh: frozenset[str]
) -> Calls:
    async with runtime.db.transaction() as session:
        row = await repository.get(session, subscription_id)
        if row is None:
            return Calls()
        return await calls_for(session, row, fresh)


async def calls_for(session: AsyncSession, row: SubscriptionRow, fresh: frozenset[str]) -> Calls:
    """The provider calls that settle ``row``'s pending charges and refunds."""
    return await _calls(
        session,
        row,
        charges=await repository.pending_charges(session, row.id),
        refunds=await repository.pending_refunds(session, row.id),
        fresh=fresh,
    )


async def _calls(
    session: AsyncSession,
    row: SubscriptionRow,
    *,
    charges: Sequence[SubscriptionCharge],
    refunds: Sequence[SubscriptionRefund],
    fresh: frozenset[str],
) -> Calls:
    """The provider calls for these pending attempts, charges in period and attempt order. A key
    in ``fresh`` was recorded a moment ago and never sent: it is charged straight away; any other
    is first looked up at the provider (reconciliation)."""
    calls = Calls(market=row.market)
    for charge in sorted(charges, key=lambda c: (c.period, c.attempt)):
        calls.charges.append(
            _ChargeCall(
                key=charge.idempotency_key,
                token=charge.provider_token,
                amount=Money(charge.amount_minor, charge.currency),
                description=_description(row, charge.period),
                reconcile=charge.idempotency_key not in fresh,
            )
        )
    for refund in refunds:
        paid = await repository.paid_charge(session, row.id, refund.period)
        if paid is None or paid.provider_charge_id is None:
            log.error("refund_without_payment", key=refund.idempotency_key)
            continue
        calls.refunds.append(
            _RefundCall(
                key=refund.idempotency_key,
                charge_id=paid.provider_charge_id,
                amount=Money(refund.amount_minor, refund.currency),
                reconcile=refund.idempotency_key not in fresh,
            )
        )
    return calls


def _description(row: SubscriptionRow, period: int) -> str:
    plan = PLAN_WORDS.get(Plan(row.plan), row.plan) if row.plan else ""
    return f"{notices.package_name(row.package)}, {plan}, {row.vin}, period {period + 1}"


async def _record_results(
    runtime: Runtime, subscription_id: uuid.UUID, calls: Calls, *, day: date, tally: Tally
) -> bool:
    async with runtime.db.transaction() as session:
        return await record_results(session, runtime, subscription_id, calls, day=day, tally=tally)


async def record_results(
    session: AsyncSession,
    runtime: Runtime,
    subscription_id: uuid.UUID,
    calls: Calls,
    *,
    day: date,
    tally: Tally,
) -> bool:
    """Record every definitive result of one subscription (step 3): ``record_chunk_results``
    for a chunk of one. False when nothing could be recorded (counted as unsettled)."""
    recorded = await record_chunk_results(
        session, runtime, {subscription_id: calls}, day=day, tally=tally
    )
    return subscription_id in recorded


async def record_chunk_results(
    session: AsyncSession,
    runtime: Runtime,
    pending: dict[uuid.UUID, Calls],
    *,
    day: date,
    tally: Tally,
) -> set[uuid.UUID]:
    """Record every definitive result of a chunk of subscriptions (step 3) in one transaction:
    the chunk's rows locked and its attempts read in one statement each, each result recorded
    once (an attempt another worker recorded first is left alone), the lifecycle's answer to
    it recorded (``record_many``), and the chunk's invoices issued together
    (``invoices.issue_invoices``: one counter update per series). Returns the subscriptions
    something was recorded for; the others count as unsettled."""
    now = runtime.clock.now()
    rows = await repository.lock_many(session, list(pending))
    keys = [call.key for calls in pending.values() for call in calls.charges]
    charges = await repository.charges_by_keys(session, keys)
    to_invoice: list[tuple[SubscriptionRow, SubscriptionCharge, str]] = []
    recorded_ids: list[uuid.UUID] = []
    # Credit notes lock their series as they go: taking them in market order (then id), as
    # every chunk does, keeps concurrent chunks from deadlocking.
    for subscription_id in sorted(pending, key=lambda i: (pending[i].market, i)):
        calls = pending[subscription_id]
        row = rows.get(subscription_id)
        if row is None:
            tally.unsettled += 1
            continue
        recorded = False
        for call in calls.charges:
            if call.token is not None and call.result is None:
                continue
            charge = charges.get(call.key)
            if charge is None or charge.state != repository.PENDING:
                continue  # another worker recorded it first
            recorded = True
            await _charge_result(
                session, runtime, row, charge, call.result, day, now, tally, to_invoice
            )
        for refund_call in calls.refunds:
            if refund_call.result is None:
                continue
            refund = await repository.refund_by_key(session, refund_call.key)
            if refund is None or refund.state != repository.PENDING:
                continue
            recorded = True
            await _refund_result(session, runtime, row, refund, refund_call.result, day, tally)
        if recorded:
            recorded_ids.append(subscription_id)
        else:
            tally.unsettled += 1
    await session.flush()
    money_pending = await repository.with_pending_refunds(session, recorded_ids)
    for subscription_id in recorded_ids:
        row = rows[subscription_id]
        store(row, state_of(row), money_pending=subscription_id in money_pending)
    # Last, so the number series (shared with every other chunk) stay locked only until commit.
    if to_invoice:
        requests = [_invoice_request(row, charge, ref, day) for row, charge, ref in to_invoice]
        document_ids = await invoices.issue_invoices(session, runtime, requests)
        for (_, charge, _), document_id in zip(to_invoice, document_ids, strict=True):
            charge.invoice_id = document_id
        await session.flush()
    return set(recorded_ids)


async def _charge_result(
    session: AsyncSession,
    runtime: Runtime,
    row: SubscriptionRow,
    charge: SubscriptionCharge,
    result: ChargeResult | None,
    day: date,
    now: datetime,
    tally: Tally,
    to_invoice: list[tuple[SubscriptionRow, SubscriptionCharge, str]],
) -> None:
    """Record one attempt's result; its invoice is left to the caller, who issues the chunk's
    invoices together in this transaction (``to_invoice``)."""
    charge.settled_on = day
    if result is not None:
        charge.provider_charge_id = result.id
    if result is not None and result.succeeded:
        charge.state = repository.SUCCEEDED
        to_invoice.append((row, charge, result.id))
        event: PaymentSucceeded | PaymentFailed = PaymentSucceeded(
            charge.period, charge.attempt, day
        )
        tally.charged += 1
    else:
        charge.state = repository.FAILED
        charge.decline_reason = (
            NO_CARD if result is None else (result.decline_reason or result.status.value)
        )
        event = PaymentFailed(charge.period, charge.attempt, day)
        tally.failed += 1
    try:
        transition = apply(state_of(row), event)
    except LifecycleError as exc:
        log.error("payment_result_refused", key=charge.idempotency_key, code=exc.code)
        return
    await record_many(session, runtime, [(row, transition)], now=now, tally=tally, deferred=True)


def buyer_of(row: SubscriptionRow) -> Buyer:
    return Buyer(
        name=row.billing_name or "",
        street=row.billing_street or "",
        postcode=row.billing_postcode or "",
        city=row.billing_city or "",
        country=row.billing_country or row.market,
    )


def _invoice_request(
    row: SubscriptionRow, charge: SubscriptionCharge, reference: str, day: date
) -> invoices.InvoiceRequest:
    plan = Plan(row.plan) if row.plan else Plan.monthly
    trial = row.trial_months
    line = InvoiceLineIn(
        description=f"{notices.package_name(row.package)}, {PLAN_WORDS[plan]}",
        package=row.package,
        vin=row.vin,
        period_start=nth_billing_date(row.anchor, plan, charge.period, trial_months=trial),
        period_end=nth_billing_date(row.anchor, plan, charge.period + 1, trial_months=trial),
        gross=Money(charge.amount_minor, charge.currency),
    )
    return invoices.InvoiceRequest(
        account_id=row.account_id,
        buyer=buyer_of(row),
        lines=[line],
        charge_reference=reference,
        issued_on=day,
        idempotency_key=charge.idempotency_key,
        market=row.market,
    )


_REASONS = {
    "withdrawal_full_refund": "Cancelled within 14 days of purchase: full refund (withdrawal)",
    "pro_rata_refund": "Cancelled: pro-rata refund of the whole months not used",
}


async def _refund_result(
    session: AsyncSession,
    runtime: Runtime,
    row: SubscriptionRow,
    refund: SubscriptionRefund,
    result: RefundResult,
    day: date,
    tally: Tally,
) -> None:
    refund.state = repository.SUCCEEDED
    refund.provider_refund_id = result.id
    refund.settled_on = day
    paid = await repository.paid_charge(session, row.id, refund.period)
    if paid is not None and paid.invoice_id is not None:
        plan = Plan(row.plan) if row.plan else Plan.monthly
        end = nth_billing_date(row.anchor, plan, refund.period + 1, trial_months=row.trial_months)
        start = min(row.service_ends_on or day, end)
        note = await invoices.issue_credit_note(
            session,
            runtime,
            invoice_id=paid.invoice_id,
            lines=[
                InvoiceLineIn(
                    description=f"Refund: {notices.package_name(row.package)}",
                    package=row.package,
                    vin=row.vin,
                    period_start=start,
                    period_end=end,
                    gross=Money(refund.amount_minor, refund.currency),
                )
            ],
            refund_reference=result.id,
            issued_on=day,
            idempotency_key=refund.idempotency_key,
            reason=_REASONS.get(refund.rule, "Cancelled: refund"),
        )
        refund.credit_note_id = note.id
    tally.refunded += 1
    await session.flush()
