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

import uuid
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
    deferred: bool = False,
) -> None:
    """Store the transition's state in ``row`` and record each of its actions, once per key.

    ``deferred``: the caller (a chunk) flushes once and stores the row again with its pending
    refunds looked up for the whole chunk, so neither is done here."""
    for action in transition.actions:
        if isinstance(action, Charge):
            await _record_charge(session, row, action, now=now)
        elif isinstance(action, Refund):
            await _record_refund(session, row, action, now=now)
        elif isinstance(action, SendNotice):
            if await notices.give(session, runtime, row, action.notice, now=now):
                tally.notices += 1
        elif isinstance(action, EndService):
            tally.ended += 1
    if deferred:
        store(row, transition.state)
        row.updated_at = now
        return
    pending_refunds = await repository.pending_refunds(session, row.id)
    store(row, transition.state, money_pending=bool(pending_refunds))
    row.updated_at = now
    await session.flush()


async def _record_charge(
    session: AsyncSession, row: SubscriptionRow, action: Charge, *, now: datetime
) -> None:
    key = charge_key(row.id, action.period, action.attempt)
    if await repository.charge_by_key(session, key) is not None:
        return  # asked again after a crash or timeout: the same attempt, the same key
    card = await payments.primary_card(session, account_id=row.account_id)
    await repository.add(
        session,
        SubscriptionCharge(
            subscription_id=row.id,
            period=action.period,
            attempt=action.attempt,
            idempotency_key=key,
            amount_minor=action.amount.minor,
            currency=action.amount.currency,
            due_on=action.due_on,
            card_id=card.id if card is not None else None,
            provider_token=card.provider_token if card is not None else None,
            state=repository.PENDING,
            created_at=now,
        ),
    )


async def _record_refund(
    session: AsyncSession, row: SubscriptionRow, action: Refund, *, now: datetime
) -> None:
    key = refund_key(row.id, action.period)
    if await repository.refund_by_key(session, key) is not None:
        return
    await repository.add(
        session,
        SubscriptionRefund(
            subscription_id=row.id,
            period=action.period,
            idempotency_key=key,
            amount_minor=action.amount.minor,
            currency=action.amount.currency,
            rule=action.rule.value,
            state=repository.PENDING,
            created_at=now,
        ),
    )
    row.cancel_rule = action.rule.value


async def advance_chunk(
    session: AsyncSession,
    runtime: Runtime,
    ids: list[uuid.UUID],
    *,
    day: date,
    tally: Tally,
) -> dict[uuid.UUID, Calls]:
    """Step 1 for a chunk of subscriptions in ``session``: apply ``DayReached`` to each due row
    and record what it asks for, exactly as ``record`` does one at a time, with the rows locked
    and their attempts read in one statement each and the new attempts written in one flush.
    Returns the provider calls that settle each row (rows not due any more are left out)."""
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
    transitions: dict[uuid.UUID, Transition] = {}
    for row in rows:
        state = state_of(row)
        transitions[row.id] = apply(state, DayReached(max(day, state.last_day)))
    charge_keys: list[str] = []
    refund_keys: list[str] = []
    for row in rows:
        for action in transitions[row.id].actions:
            if isinstance(action, Charge):
                charge_keys.append(charge_key(row.id, action.period, action.attempt))
            elif isinstance(action, Refund):
                refund_keys.append(refund_key(row.id, action.period))
    known_charges = await repository.charges_by_keys(session, charge_keys)
    known_refunds = await repository.refunds_by_keys(session, refund_keys)
    cards: dict[uuid.UUID, tuple[uuid.UUID | None, str | None]] = {}
    now = runtime.clock.now()
    out: dict[uuid.UUID, Calls] = {}
    for row in rows:
        charges = list(pending_charges[row.id])
        refunds = list(pending_refunds[row.id])
        before = {c.idempotency_key for c in charges} | {r.idempotency_key for r in refunds}
        transition = transitions[row.id]
        for action in transition.actions:
            if isinstance(action, Charge):
                key = charge_key(row.id, action.period, action.attempt)
                if key in known_charges:
                    continue  # asked again after a crash or timeout: the same attempt
                if row.account_id not in cards:
                    card = await payments.primary_card(session, account_id=row.account_id)
                    cards[row.account_id] = (
                        (card.id, card.provider_token) if card is not None else (None, None)
                    )
                card_id, token = cards[row.account_id]
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
                known_charges[key] = charge
                charges.append(charge)
            elif isinstance(action, Refund):
                key = refund_key(row.id, action.period)
                if key in known_refunds:
                    continue
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
                known_refunds[key] = refund
                refunds.append(refund)
                row.cancel_rule = action.rule.value
            elif isinstance(action, SendNotice):
                if await notices.give(session, runtime, row, action.notice, now=now):
                    tally.notices += 1
            elif isinstance(action, EndService):
                tally.ended += 1
        store(row, transition.state, money_pending=bool(refunds))
        row.updated_at = now
        charges.sort(key=lambda c: (c.period, c.attempt))
        calls = Calls(market=row.market)
        for charge in charges:
            calls.charges.append(
                _ChargeCall(
                    key=charge.idempotency_key,
                    token=charge.provider_token,
                    amount=Money(charge.amount_minor, charge.currency),
                    description=_description(row, charge.period),
                    reconcile=charge.idempotency_key in before,
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
                    reconcile=refund.idempotency_key in before,
                )
            )
        if calls:
            out[row.id] = calls
    await session.flush()
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
        if not settled:
            tally.unsettled += 1
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
    calls = Calls(market=row.market)
    for charge in await repository.pending_charges(session, row.id):
        calls.charges.append(
            _ChargeCall(
                key=charge.idempotency_key,
                token=charge.provider_token,
                amount=Money(charge.amount_minor, charge.currency),
                description=_description(row, charge.period),
                reconcile=charge.idempotency_key not in fresh,
            )
        )
    for refund in await repository.pending_refunds(session, row.id):
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
    """Record every definitive result (step 3); False when nothing could be recorded."""
    now = runtime.clock.now()
    recorded = False
    row = await repository.lock(session, subscription_id)
    if row is None:
        return False
    for call in calls.charges:
        if call.token is not None and call.result is None:
            continue
        charge = await repository.charge_by_key(session, call.key)
        if charge is None or charge.state != repository.PENDING:
            continue  # another worker recorded it first
        recorded = True
        await _charge_result(session, runtime, row, charge, call.result, day, now, tally)
    for refund_call in calls.refunds:
        if refund_call.result is None:
            continue
        refund = await repository.refund_by_key(session, refund_call.key)
        if refund is None or refund.state != repository.PENDING:
            continue
        recorded = True
        await _refund_result(session, runtime, row, refund, refund_call.result, day, tally)
    if recorded:
        pending = await repository.pending_refunds(session, row.id)
        store(row, state_of(row), money_pending=bool(pending))
    return recorded


async def record_chunk_results(
    session: AsyncSession,
    runtime: Runtime,
    pending: dict[uuid.UUID, Calls],
    *,
    day: date,
    tally: Tally,
) -> None:
    """``record_results`` for a chunk of subscriptions in one transaction, with the chunk's rows
    locked and its attempts read in one statement each and its invoices issued together
    (``invoices.issue_invoices``: one counter update per series). Same rules, row by row; a
    subscription nothing could be recorded for counts as unsettled."""
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


async def _charge_result(
    session: AsyncSession,
    runtime: Runtime,
    row: SubscriptionRow,
    charge: SubscriptionCharge,
    result: ChargeResult | None,
    day: date,
    now: datetime,
    tally: Tally,
    to_invoice: list[tuple[SubscriptionRow, SubscriptionCharge, str]] | None = None,
) -> None:
    """Record one attempt's result. With ``to_invoice`` the invoice is left to the caller (who
    issues the chunk's invoices together, in this transaction); otherwise it is issued here."""
    charge.settled_on = day
    if result is not None:
        charge.provider_charge_id = result.id
    if result is not None and result.succeeded:
        charge.state = repository.SUCCEEDED
        if to_invoice is None:
            charge.invoice_id = await _invoice(session, runtime, row, charge, result.id, day)
        else:
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
    chunk = to_invoice is not None
    if not chunk:
        await session.flush()
    try:
        transition = apply(state_of(row), event)
    except LifecycleError as exc:
        log.error("payment_result_refused", key=charge.idempotency_key, code=exc.code)
        return
    await record(session, runtime, row, transition, now=now, tally=tally, deferred=chunk)


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


async def _invoice(
    session: AsyncSession,
    runtime: Runtime,
    row: SubscriptionRow,
    charge: SubscriptionCharge,
    reference: str,
    day: date,
) -> uuid.UUID:
    request = _invoice_request(row, charge, reference, day)
    document = await invoices.issue_invoice(
        session,
        runtime,
        account_id=request.account_id,
        buyer=request.buyer,
        lines=request.lines,
        charge_reference=request.charge_reference,
        issued_on=request.issued_on,
        idempotency_key=request.idempotency_key,
        market=request.market,
    )
    return document.id


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
