"""Subscriptions: offers, the subscribe flow, the status overview, renewal and cancellation.

Rules live in ``linkplus.billing`` (catalogue, lifecycle, proration); this module loads the
state, applies an event and records what it asks for (``ledger.record``). Money moves only in
``ledger.settle``, outside any long transaction.

One departure from "services flush, never commit": buying without a trial charges the card at
once. The subscription and the charge attempt are committed *before* the provider is called
(so a crash leaves a record the billing run reconciles, never an unrecorded charge), and a
declined charge is committed as ``purchase_declined`` before the 402 answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.audit import access
from linkplus.audit import service as audit
from linkplus.audit.reasons import AccessReason, ViewKind
from linkplus.billing import catalogue
from linkplus.billing.anchors import Plan
from linkplus.billing.lifecycle import (
    CancelRequested,
    CancelSource,
    DayReached,
    Kind,
    LifecycleError,
    Overview,
    OverviewState,
    PurchaseRefusal,
    RenewalToggled,
    Status,
    Subscription,
    Transition,
    apply,
    overview,
    purchase_refusal,
    start_complimentary,
    start_paid,
    start_trial,
)
from linkplus.billing.proration import CancellationOutcome, CancellationRule
from linkplus.connected_services import service as connected_services
from linkplus.connected_services.availability import VehicleFacts, package_available
from linkplus.connected_services.catalogue import service_catalogue
from linkplus.db import read_memo
from linkplus.dealers import service as dealers
from linkplus.dealers.errors import DealerNotFound
from linkplus.errors import ProblemError
from linkplus.garage.deps import CallerVehicle
from linkplus.jobs import enqueue
from linkplus.kit.money import Money
from linkplus.models.accounts import StaffAccount
from linkplus.models.subscriptions import SubscriptionRow
from linkplus.payments import service as payments
from linkplus.runtime import Runtime
from linkplus.subscriptions import ledger, notices, repository
from linkplus.subscriptions.errors import (
    LifecycleRefused,
    NoPaymentCard,
    PackageNotOffered,
    PaymentDeclined,
    PaymentPending,
    PlanChangeNeedsCancel,
    PlanNotOffered,
    PurchaseNotPossible,
    SubscriptionNotFound,
)
from linkplus.subscriptions.schemas import (
    AmountOut,
    CancelOut,
    ChargeOut,
    OfferOut,
    OffersOut,
    PlanPriceOut,
    RefundOut,
    SettleJob,
    StaffSubscriptionOut,
    StaffSubscriptionsOut,
    StatusLineOut,
    StatusOut,
    SubscribeIn,
    SubscribeOut,
    SubscriptionOut,
    SubscriptionUpdateIn,
)
from linkplus.subscriptions.state import state_of, store
from linkplus.vehicles import service as vehicles

NOT_ACTIVATED = "not_activated"


def _today(now: datetime) -> date:
    return now.astimezone(UTC).date()


def _facts(caller: CallerVehicle) -> VehicleFacts:
    return connected_services.facts_of(caller.vehicle, caller.model)


def subscription_out(row: SubscriptionRow) -> SubscriptionOut:
    state = state_of(row)
    locale = notices.locale_of(row.market)
    paid = state.kind is Kind.paid
    running = state.status in (Status.trialing, Status.active, Status.past_due)
    return SubscriptionOut(
        id=row.id,
        vin=row.vin,
        package=row.package,
        name=notices.package_name(row.package),
        kind=row.kind,
        plan=state.plan,
        status=row.status,
        auto_renew=row.auto_renew,
        payment_reminders=row.payment_reminders,
        activated_on=row.anchor,
        price=AmountOut.of(state.price, locale) if paid else None,
        trial_ends_on=state.trial_ends_on,
        next_payment_on=state.next_due_on if paid and running and state.auto_renew else None,
        service_ends_on=row.service_ends_on,
        end_reason=row.end_reason,
    )


# --- offers ----------------------------------------------------------------------------------


async def _trial_sets(
    session: AsyncSession, account_id: uuid.UUID, vin: str
) -> tuple[set[str], set[str]]:
    return (
        await repository.trial_packages(session, account_id=account_id),
        await repository.trial_packages(session, vin=vin),
    )


def _refusal_text(refusal: PurchaseRefusal, state: Subscription) -> tuple[str, date | None]:
    name = notices.package_name(state.package)
    if refusal is PurchaseRefusal.complimentary_period_running:
        end = state.service_ends_on
        return (f"{name} is complimentary for this car until {end}. Subscribe once it ends.", end)
    if refusal is PurchaseRefusal.trial_running:
        end = state.trial_ends_on
        return (
            f"The free trial of {name} runs until {end}; a subscription can be bought only "
            "after the trial has ended.",
            end,
        )
    if refusal is PurchaseRefusal.cancelled_until_end:
        end = state.service_ends_on
        return (f"{name} is cancelled and runs until {end}. Subscribe again from then.", end)
    return (
        f"{name} is already subscribed on this car. To change the plan, cancel this "
        "subscription first, then subscribe again once the service has ended.",
        None,
    )


def _shown_to(caller: CallerVehicle, row: SubscriptionRow, refusal: PurchaseRefusal) -> bool:
    """Whether the dates of ``row`` may be shown to ``caller``: its own, or the car's
    complimentary period (it comes with the car and passes to the next owner, seed 004); never
    a trial or subscription of another account (docs/garage.md, "Whose data")."""
    return refusal is PurchaseRefusal.complimentary_period_running or caller.tenure.owns(
        row.account_id, row.created_at
    )


def _held_by_another_account(package: str) -> str:
    return (
        f"{notices.package_name(package)} still runs on this car for the account that was its "
        "primary account before. It can be bought once that has ended."
    )


def _live(rows: list[SubscriptionRow], package: str) -> SubscriptionRow | None:
    return next((r for r in rows if r.package == package and r.status != Status.ended), None)


async def offers(session: AsyncSession, runtime: Runtime, caller: CallerVehicle) -> OffersOut:
    """Every sold package with its plans and prices (VAT included) for the car's market."""
    today = _today(runtime.clock.now())
    facts = _facts(caller)
    vin = caller.vehicle.vin
    customer, car = await _trial_sets(session, caller.account.id, vin)
    rows = await repository.live_of_vehicle(session, vin=vin)
    market = catalogue.price_catalogue().market(facts.market)
    locale = market.locale if market else "en_GB"
    out = []
    for found in catalogue.offers(
        facts, today=today, customer_trial_packages=customer, car_trial_packages=car
    ):
        purchasable, reason, message = found.purchasable, found.refusal, found.message
        available_from = found.complimentary_until if reason else None
        live = _live(rows, found.package)
        if purchasable and live is not None:
            refusal = purchase_refusal(state_of(live), today=today)
            if refusal is not None:
                purchasable = False
                message, available_from = _refusal_text(refusal, state_of(live))
                if not _shown_to(caller, live, refusal):
                    message, available_from = _held_by_another_account(found.package), None
                out.append(_offer_out(found, locale, False, refusal.value, message, available_from))
                continue
        out.append(
            _offer_out(
                found,
                locale,
                purchasable,
                reason.value if reason else None,
                message,
                available_from,
            )
        )
    return OffersOut(
        vin=vin,
        market=facts.market,
        currency=market.currency if market else None,
        offers=out,
    )


def _offer_out(
    found: catalogue.Offer,
    locale: str,
    purchasable: bool,
    reason: str | None,
    message: str | None,
    available_from: date | None,
) -> OfferOut:
    rate = catalogue.vat_rate(found.country)
    trial = purchasable and found.trial_months > 0
    return OfferOut(
        package=found.package,
        name=notices.package_name(found.package),
        purchasable=purchasable,
        reason=reason,
        message=message,
        available_from=available_from,
        plans=[
            PlanPriceOut(
                plan=p.plan,
                price=AmountOut.of(p.price.gross, locale),
                net=AmountOut.of(p.price.net, locale),
                vat=AmountOut.of(p.price.vat, locale),
            )
            for p in found.plans
        ],
        tax_name=found.tax_name,
        vat_rate=str(rate) if rate is not None and found.plans else None,
        trial=trial,
        first_payment_on=None,
        complimentary_until=found.complimentary_until,
    )


# --- subscribe -------------------------------------------------------------------------------


# An account about to be erased buys nothing new. The rights domain, which stands above this
# one, says so through this hook (the default, with nothing registered, blocks nothing).
PurchaseBlock = Callable[[AsyncSession, uuid.UUID], Awaitable[ProblemError | None]]
_purchase_blocks: list[PurchaseBlock] = []


def register_purchase_block(check: PurchaseBlock) -> None:
    """``check`` answers the refusal to raise when the account may not buy now, else None."""
    if check not in _purchase_blocks:
        _purchase_blocks.append(check)


async def subscribe(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, data: SubscribeIn
) -> SubscribeOut:
    """Start a trial (nothing charged) or buy with an immediate charge and its invoice."""
    now = runtime.clock.now()
    today = _today(now)
    account, vin = caller.account, caller.vehicle.vin
    for check in _purchase_blocks:
        refusal = await check(session, account.id)
        if refusal is not None:
            raise refusal
    customer, car = await _trial_sets(session, account.id, vin)
    found = catalogue.offer(
        data.package,
        _facts(caller),
        today=today,
        customer_trial_packages=customer,
        car_trial_packages=car,
    )
    if not found.purchasable:
        assert found.refusal is not None
        available = (
            found.complimentary_until
            if found.refusal is catalogue.OfferRefusal.complimentary_period_running
            else None
        )
        raise PackageNotOffered(
            found.refusal.value, found.message or "Not offered.", available_from=available
        )
    price = next((p.price.gross for p in found.plans if p.plan is data.plan), None)
    if price is None:
        raise PlanNotOffered(data.package, data.plan.value)
    if data.refer_dealer_id is not None and dealers.get_dealer(data.refer_dealer_id) is None:
        raise DealerNotFound(
            "There is no dealer with this id to refer. Search the directory (GET /api/v1/dealers) "
            "and use the id of a dealer it lists, or leave the referral out."
        )
    await _clear_the_way(session, runtime, vin, data.package, today=today, now=now)
    if data.card_id is not None:
        await payments.set_primary(session, runtime, account, data.card_id)
    if await payments.primary_card(session, account_id=account.id) is None:
        raise NoPaymentCard()
    head_unit = catalogue.shows_on_head_unit(data.package)
    if found.trial_months > 0:
        transition = start_trial(
            data.package, plan=data.plan, price=price, activated_on=today, head_unit=head_unit
        )
    else:
        transition = start_paid(
            data.package, plan=data.plan, price=price, activated_on=today, head_unit=head_unit
        )
    row = _new_row(transition.state, account.id, vin, found.country, data, now)
    store(row, transition.state)
    if not await repository.insert_subscription(session, row):
        raise PurchaseNotPossible(
            PurchaseRefusal.subscription_running.value,
            "This package was just subscribed on this car.",
            available_from=None,
        )
    await ledger.record(session, runtime, row, transition, now=now, tally=ledger.Tally())
    if found.trial_months > 0:
        first = transition.state.trial_ends_on
        return SubscribeOut(
            subscription=subscription_out(row),
            charged=None,
            invoice_id=None,
            first_payment_on=first,
            message=f"Your free trial runs until {first}; the first payment is on {first}.",
        )
    return await _checkout(session, runtime, row.id, today=today)


async def _clear_the_way(
    session: AsyncSession, runtime: Runtime, vin: str, package: str, *, today: date, now: datetime
) -> None:
    """Refuse while a subscription of the package runs; end one that is over but not yet
    processed by the billing run, so the new one can take its place."""
    for row in await repository.live_of_vehicle(session, vin=vin):
        if row.package != package:
            continue
        state = state_of(row)
        refusal = purchase_refusal(state, today=today)
        if refusal is not None:
            message, available_from = _refusal_text(refusal, state)
            raise PurchaseNotPossible(refusal.value, message, available_from=available_from)
        locked = await repository.lock(session, row.id)
        assert locked is not None
        transition = apply(state_of(locked), DayReached(max(today, locked.last_day)))
        await ledger.record(session, runtime, locked, transition, now=now, tally=ledger.Tally())


def _new_row(
    state: Subscription,
    account_id: uuid.UUID,
    vin: str,
    market: str,
    data: SubscribeIn | None,
    now: datetime,
) -> SubscriptionRow:
    address = data.billing_address if data is not None else None
    return SubscriptionRow(
        id=uuid.uuid4(),
        account_id=account_id,
        vin=vin,
        package=state.package,
        kind=state.kind.value,
        plan=state.plan.value if state.plan else None,
        market=market,
        anchor=state.anchor,
        trial_months=state.trial_months,
        price_minor=state.price.minor,
        currency=state.price.currency,
        status=state.status.value,
        auto_renew=state.auto_renew,
        payment_reminders=data.payment_reminders if data is not None else False,
        head_unit=state.head_unit,
        last_day=state.last_day,
        payments=[],
        billing_name=address.name if address else None,
        billing_street=address.street if address else None,
        billing_postcode=address.postcode if address else None,
        billing_city=address.city if address else None,
        billing_country=address.country if address else None,
        refer_dealer_id=data.refer_dealer_id if data is not None else None,
        created_at=now,
        updated_at=now,
    )


async def _checkout(
    session: AsyncSession, runtime: Runtime, subscription_id: uuid.UUID, *, today: date
) -> SubscribeOut:
    """Commit the purchase and its charge attempt, charge, and answer with the outcome."""
    await runtime.db.commit(session)  # see the module docstring: recorded before the provider
    key = ledger.charge_key(subscription_id, 0, 1)
    await ledger.settle(runtime, subscription_id, day=today, fresh=frozenset({key}))
    row = await repository.lock(session, subscription_id)
    assert row is not None
    charge = await repository.charge_by_key(session, key)
    assert charge is not None
    await session.refresh(charge)
    if row.status == Status.ended:
        raise PaymentDeclined(charge.decline_reason or "declined")
    if charge.state == repository.PENDING:
        raise PaymentPending()
    amount = Money(charge.amount_minor, charge.currency)
    return SubscribeOut(
        subscription=subscription_out(row),
        charged=AmountOut.of(amount, notices.locale_of(row.market)),
        invoice_id=charge.invoice_id,
        first_payment_on=None,
        message=f"Paid {AmountOut.of(amount, notices.locale_of(row.market)).display}; the "
        "invoice is on its way by e-mail.",
    )


# --- status ----------------------------------------------------------------------------------


async def ensure_complimentary(
    session: AsyncSession, runtime: Runtime, *, vin: str, account_id: uuid.UUID
) -> None:
    """Give the car's primary account a row for each complimentary period still running, so
    the billing run announces its end. Idempotent; the period is the car's (from its first
    delivery), so a second owner gets what is left."""
    vehicle = await vehicles.get_vehicle(session, vin)
    if vehicle is None:
        return
    now = runtime.clock.now()
    today = _today(now)
    facts = connected_services.facts_of(vehicle, vehicles.model_of(vehicle))
    live = {row.package for row in await repository.live_of_vehicle(session, vin=vin)}
    for code in service_catalogue().packages:
        if code in live:
            continue
        until = catalogue.complimentary_until(
            code, first_delivery=facts.first_delivery_date, multimedia=facts.multimedia
        )
        if until is None or until <= today:
            continue
        if not package_available(code, facts, today=today, services=service_catalogue()):
            continue
        market = catalogue.price_catalogue().market(facts.market)
        transition = start_complimentary(
            code,
            first_delivery=facts.first_delivery_date or today,
            ends_on=until,
            today=today,
            currency=market.currency if market else "EUR",
            head_unit=catalogue.shows_on_head_unit(code),
        )
        row = _new_row(transition.state, account_id, vin, facts.market, None, now)
        store(row, transition.state)
        await repository.insert_subscription(session, row)


async def status(session: AsyncSession, runtime: Runtime, caller: CallerVehicle) -> StatusOut:
    """Per package: active (end or next payment), cancelled (service end), trial available,
    available, or expired."""
    await ensure_complimentary(
        session, runtime, vin=caller.vehicle.vin, account_id=caller.account.id
    )
    today = _today(runtime.clock.now())
    facts = _facts(caller)
    vin = caller.vehicle.vin
    customer, car = await _trial_sets(session, caller.account.id, vin)
    rows = [
        row
        for row in await repository.of_vehicle(session, vin=vin, account_id=caller.account.id)
        if caller.tenure.covers(row.created_at)
    ]
    locale = notices.locale_of(facts.market)
    # Whether a package works is the Connected Services Centre's answer, never a second one.
    works = await connected_services.packages_active(session, runtime, caller)
    lines = []
    for found in catalogue.offers(
        facts, today=today, customer_trial_packages=customer, car_trial_packages=car
    ):
        mine = [r for r in rows if r.package == found.package]
        row = _live(mine, found.package) or (mine[-1] if mine else None)
        trial = catalogue.trial_available(
            found.package, customer_trial_packages=customer, car_trial_packages=car
        )
        until = found.complimentary_until
        if row is None and until is not None and until <= today:
            view = Overview(OverviewState.expired, None, until, None, None)
        elif row is None and found.refusal not in (
            None,
            catalogue.OfferRefusal.complimentary_period_running,
        ):
            continue  # the car cannot have it: the offers list says why
        else:
            view = overview(state_of(row) if row else None, trial_available=trial, today=today)
        state = view.state.value
        if view.state in (OverviewState.active, OverviewState.cancelled) and not works.get(
            found.package, False
        ):
            # A complimentary period of a package the owner switches on in the Connected
            # Services Centre (standard, stolen-vehicle tracking) that is not switched on.
            state = NOT_ACTIVATED
        lines.append(
            StatusLineOut(
                package=found.package,
                name=notices.package_name(found.package),
                state=state,
                status=view.status.value if view.status else None,
                subscription_id=row.id if row else None,
                plan=Plan(row.plan) if row and row.plan else None,
                ends_on=view.ends_on,
                next_payment_on=view.next_payment_on,
                next_payment=AmountOut.of(view.next_payment, locale) if view.next_payment else None,
                complimentary_until=until,
            )
        )
    return StatusOut(vin=vin, packages=lines)


# --- cancel and change -----------------------------------------------------------------------


async def _owned(
    session: AsyncSession, caller: CallerVehicle, subscription_id: uuid.UUID
) -> SubscriptionRow:
    row = await repository.lock(session, subscription_id)
    if (
        row is None
        or row.vin != caller.vehicle.vin
        or not caller.tenure.owns(row.account_id, row.created_at)
    ):
        raise SubscriptionNotFound()
    return row


_EXPLAINED = {
    CancellationRule.trial_cancelled: "Cancelled during the free trial: nothing was charged and "
    "the service runs until the trial ends.",
    CancellationRule.unpaid_period: "The current period was never paid: the service ends now and "
    "nothing is refunded.",
    CancellationRule.withdrawal_full_refund: "Cancelled within 14 days of purchase: the whole "
    "payment is refunded (right of withdrawal, once per customer) and the service ends now.",
    CancellationRule.monthly_no_refund: "Monthly plans are not refunded: the service runs until "
    "the end of the month paid for.",
    CancellationRule.pro_rata_refund: "Yearly and 4-year plans are refunded pro rata in whole "
    "months: the month in progress counts as used; the service runs until its end.",
    CancellationRule.complimentary_cancelled: "The complimentary period ends now.",
}


async def _cancellation(
    session: AsyncSession, runtime: Runtime, row: SubscriptionRow, *, source: CancelSource
) -> Transition:
    """What cancelling ``row`` now does, decided by the rules; nothing is written."""
    now = runtime.clock.now()
    state = state_of(row)
    withdrawal_used = await repository.withdrawal_used(session, row.account_id)
    try:
        return apply(
            state,
            CancelRequested(
                on=max(_today(now), state.last_day),
                withdrawal_right_used=withdrawal_used,
                source=source,
            ),
        )
    except LifecycleError as exc:
        raise LifecycleRefused(exc.code, str(exc)) from exc


async def cancel_row(
    session: AsyncSession,
    runtime: Runtime,
    row: SubscriptionRow,
    *,
    source: CancelSource,
    held: notices.Held | None = None,
) -> CancellationOutcome:
    """Cancel ``row`` (locked) with the refund rules; the refund is paid by the settle job.
    With ``held``, the confirmation waits there to go out with others as one message."""
    now = runtime.clock.now()
    transition = await _cancellation(session, runtime, row, source=source)
    outcome = transition.cancellation
    assert outcome is not None
    row.cancel_rule = outcome.rule.value
    row.cancelled_on = _today(now)
    await ledger.record(session, runtime, row, transition, now=now, tally=ledger.Tally(), held=held)
    if outcome.refund.is_positive:
        await enqueue(
            session,
            SettleJob(subscription_id=row.id),
            now=now,
            dedupe_key=f"settle:{row.id}:{row.cancelled_on}",
        )
    return outcome


def cancel_out(row: SubscriptionRow, outcome: CancellationOutcome) -> CancelOut:
    locale = notices.locale_of(row.market)
    return CancelOut(
        subscription=subscription_out(row),
        rule=outcome.rule.value,
        explanation=_EXPLAINED[outcome.rule],
        service_ends_on=outcome.service_ends_on,
        ends_immediately=outcome.ends_immediately,
        refund=AmountOut.of(outcome.refund, locale),
        months_used=outcome.months_used,
        months_refunded=outcome.months_refunded,
    )


def _refuse_complimentary(row: SubscriptionRow) -> None:
    if row.kind == Kind.complimentary:
        raise LifecycleRefused(
            "complimentary_not_cancellable",
            "A complimentary period is not a subscription: it ends by itself on "
            f"{row.service_ends_on}. Complimentary services are switched off in the Connected "
            "Services Centre.",
        )


async def preview_cancel(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, subscription_id: uuid.UUID
) -> CancelOut:
    """The answer ``cancel`` would give now (end date, refund, rule), without cancelling: the
    confirmation page shows it before the owner decides."""
    row = await _owned(session, caller, subscription_id)
    _refuse_complimentary(row)
    outcome = (await _cancellation(session, runtime, row, source=CancelSource.owner)).cancellation
    assert outcome is not None
    return cancel_out(row, outcome)


async def cancel(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, subscription_id: uuid.UUID
) -> CancelOut:
    row = await _owned(session, caller, subscription_id)
    _refuse_complimentary(row)
    outcome = await cancel_row(session, runtime, row, source=CancelSource.owner)
    return cancel_out(row, outcome)


async def update(
    session: AsyncSession,
    runtime: Runtime,
    caller: CallerVehicle,
    subscription_id: uuid.UUID,
    data: SubscriptionUpdateIn,
) -> SubscriptionOut:
    """Switch renewal or payment reminders; a plan cannot be changed (cancel first)."""
    row = await _owned(session, caller, subscription_id)
    if data.plan is not None:
        raise PlanChangeNeedsCancel()
    now = runtime.clock.now()
    if data.auto_renew is not None:
        state = state_of(row)
        try:
            transition = apply(
                state,
                RenewalToggled(on=max(_today(now), state.last_day), auto_renew=data.auto_renew),
            )
        except LifecycleError as exc:
            raise LifecycleRefused(exc.code, str(exc)) from exc
        await ledger.record(session, runtime, row, transition, now=now, tally=ledger.Tally())
    if data.payment_reminders is not None:
        row.payment_reminders = data.payment_reminders
        row.updated_at = now
        await session.flush()
    return subscription_out(row)


async def cancel_for_vehicle(
    session: AsyncSession,
    runtime: Runtime,
    *,
    vin: str,
    account_id: uuid.UUID,
    car_left: bool = True,
) -> int:
    """The car left the account (``car_left``) or its primary role: every subscription of the
    account on it is cancelled with the usual refund rules; complimentary periods end for that
    account. The owner gets one message that lists them all, not one per subscription."""
    cancelled = 0
    held = notices.Held()
    for row in await repository.of_vehicle(session, vin=vin, account_id=account_id):
        if row.status in (Status.ended, Status.cancelled):
            continue
        locked = await repository.lock(session, row.id)
        assert locked is not None
        await cancel_row(session, runtime, locked, source=CancelSource.vehicle_removed, held=held)
        cancelled += 1
    await notices.give_held(
        session, runtime, held, vin=vin, car_left=car_left, now=runtime.clock.now()
    )
    return cancelled


# --- hooks for other domains -----------------------------------------------------------------


async def has_active_paid_subscription(session: AsyncSession, account_id: uuid.UUID) -> bool:
    """For the wallet: the last card stays while a paid plan may still be charged."""
    return await repository.has_paid_in_service(session, account_id)


async def in_service(
    session: AsyncSession, vin: str, account_id: uuid.UUID, package: str, today: date
) -> bool:
    """For the Connected Services Centre: the package works for this account on this car today:
    a paid subscription in service, or a complimentary period of a package the services
    catalogue sells as paid (Map Care, the service pack: their free years come from the price
    catalogue). Standard and stolen-vehicle tracking keep their own activations in
    ``connected_services``."""
    key = (in_service, vin, account_id, today)
    memo = read_memo(session)  # the Centre asks for each package of one car in turn
    running = memo.get(key)
    if running is None:
        running = memo[key] = await repository.kinds_in_service(
            session, vin=vin, account_id=account_id, today=today
        )
    if (package, Kind.paid.value) in running:
        return True
    if package not in catalogue.price_catalogue().complimentary:
        return False
    return (package, Kind.complimentary.value) in running


payments.register_active_paid_subscription_check(has_active_paid_subscription)
connected_services.register_subscription_check(in_service)


# --- staff -----------------------------------------------------------------------------------


async def staff_subscriptions(
    session: AsyncSession,
    runtime: Runtime,
    staff: StaffAccount,
    *,
    account_id: uuid.UUID,
    reason: AccessReason | None,
) -> StaffSubscriptionsOut:
    """A customer's subscriptions with every charge and refund (audited); needs a reason,
    recorded for the customer ("who saw my data")."""
    given = access.require(reason)
    rows = await repository.of_account(session, account_id)
    ids = [row.id for row in rows]
    charges = await repository.charges_of(session, ids)
    refunds = await repository.refunds_of(session, ids)
    await audit.record(
        session,
        now=runtime.clock.now(),
        actor_type="staff",
        actor_id=str(staff.id),
        action="staff.subscriptions_viewed",
        subject_type="account",
        subject_id=str(account_id),
        details={"count": len(rows)},
    )
    await access.record_view(
        session,
        now=runtime.clock.now(),
        staff=staff,
        account_ids=[account_id],
        what=ViewKind.subscriptions,
        subject=f"account:{account_id}",
        reason=given,
    )
    out = []
    for row in rows:
        locale = notices.locale_of(row.market)
        base = subscription_out(row).model_dump()
        out.append(
            StaffSubscriptionOut(
                **base,
                charges=[
                    ChargeOut(
                        period=c.period,
                        attempt=c.attempt,
                        amount=AmountOut.of(Money(c.amount_minor, c.currency), locale),
                        due_on=c.due_on,
                        state=c.state,
                        decline_reason=c.decline_reason,
                        provider_charge_id=c.provider_charge_id,
                        invoice_id=c.invoice_id,
                        settled_on=c.settled_on,
                    )
                    for c in charges
                    if c.subscription_id == row.id
                ],
                refunds=[
                    RefundOut(
                        period=r.period,
                        amount=AmountOut.of(Money(r.amount_minor, r.currency), locale),
                        rule=r.rule,
                        state=r.state,
                        provider_refund_id=r.provider_refund_id,
                        credit_note_id=r.credit_note_id,
                        settled_on=r.settled_on,
                    )
                    for r in refunds
                    if r.subscription_id == row.id
                ],
            )
        )
    return StaffSubscriptionsOut(account_id=account_id, subscriptions=out)


async def staff_cancel(
    session: AsyncSession,
    runtime: Runtime,
    staff: StaffAccount,
    *,
    subscription_id: uuid.UUID,
    reason: str,
) -> CancelOut:
    """Cancel on the customer's behalf (customer centre): the same rules, audited."""
    row = await repository.lock(session, subscription_id)
    if row is None:
        raise SubscriptionNotFound()
    _refuse_complimentary(row)
    outcome = await cancel_row(session, runtime, row, source=CancelSource.customer_centre)
    await audit.record(
        session,
        now=runtime.clock.now(),
        actor_type="staff",
        actor_id=str(staff.id),
        action="staff.subscription_cancelled",
        subject_type="account",
        subject_id=str(row.account_id),
        details={
            "subscription_id": str(row.id),
            "vin": row.vin,
            "package": row.package,
            "reason": reason,
            "rule": outcome.rule.value,
            "refund_minor": outcome.refund.minor,
        },
    )
    return cancel_out(row, outcome)
