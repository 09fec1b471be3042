"""A car's subscriptions: plans and prices, the subscribe flow, the status, cancel and renewal.

Only the car's primary account subscribes; another account that has the car is sent to the
Connected Services Centre, which offers to make it the primary one. The subscribe flow is one
form posted step by step (plan, billing address, card, summary, activate): each step carries the
earlier answers as fields of its CSRF-bound form, so nothing is stored before "Activate" and a
step left half-way leaves no trace.

The cancel page states the end date and the refund before the owner confirms. Those figures come
from the subscriptions service itself: the cancellation is run inside a savepoint and rolled
back, so the page shows exactly what confirming does, with no second copy of the refund rules.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from linkplus.billing.anchors import Plan, add_months
from linkplus.dealers import service as dealers
from linkplus.dealers.service import Dealer
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import ProblemError
from linkplus.garage import service as garage
from linkplus.garage.deps import CallerVehicle
from linkplus.payments import service as payments
from linkplus.payments.schemas import CardOut
from linkplus.runtime import Runtime
from linkplus.subscriptions import service as subscriptions
from linkplus.subscriptions.errors import SubscriptionNotFound
from linkplus.subscriptions.schemas import (
    OfferOut,
    StatusLineOut,
    SubscribeIn,
    SubscriptionUpdateIn,
)
from linkplus.web.cars import car_name, car_path, primary_car, visitor_car
from linkplus.web.forms import country_options, field_errors
from linkplus.web.i18n import N_
from linkplus.web.rendering import see_other
from linkplus.web.sessions import (
    FormDep,
    OwnerDep,
    Refused,
    Visitor,
    attempt,
    form_text,
    owner_account,
    render,
)
from linkplus.web.wallet_pages import address_from, address_model, address_values

router = APIRouter(include_in_schema=False)

PLAN_LABELS = {
    Plan.monthly: N_("Monthly"),
    Plan.yearly: N_("Yearly"),
    Plan.four_yearly: N_("Every 4 years"),
}
PER_PERIOD = {Plan.monthly: N_("month"), Plan.yearly: N_("year"), Plan.four_yearly: N_("4 years")}
STATE_LABELS = {
    "active": N_("Active"),
    "cancelled": N_("Cancelled"),
    "not_activated": N_("Not active"),
    "trial_available": N_("Free trial available"),
    "available": N_("Available"),
    "expired": N_("Expired"),
}
STATUS_LABELS = {
    "complimentary": N_("complimentary"),
    "trialing": N_("free trial"),
    "pending_payment": N_("payment under way"),
    "active": N_("paid"),
    "past_due": N_("payment failed: we try again"),
}
RUNNING = ("trialing", "pending_payment", "active", "past_due")
NOTICES = {
    "subscribed": N_("Your subscription is active."),
    "trial_started": N_("Your free trial has started. Nothing is charged until it ends."),
    "renewal_on": N_("Automatic renewal is on."),
    "renewal_off": N_("Automatic renewal is off: the subscription ends with the period paid for."),
}
CHANGE_PLAN = N_(
    "To change the plan (for example from monthly to yearly), cancel this subscription first, "
    "then subscribe again with the new plan once the service has ended."
)
STEPS = ("address", "card", "summary", "activate")


def _today(runtime: Runtime) -> date:
    return runtime.clock.now().astimezone(UTC).date()


def _subscriptions_path(vin: str, *rest: str) -> str:
    return car_path(vin, "subscriptions", *rest)


async def _car_context(session: AsyncSession, caller: CallerVehicle) -> dict[str, Any]:
    summary = await garage.vehicle_summary(session, caller)
    return {"car": summary, "name": car_name(summary.model_name, summary.nickname)}


def _subscription_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise SubscriptionNotFound() from None


# --- overview ---------------------------------------------------------------------------------


def _line_view(line: StatusLineOut, offer: OfferOut | None) -> dict[str, Any]:
    running = line.status in RUNNING
    return {
        "line": line,
        "offer": offer,
        "state_label": STATE_LABELS.get(line.state, line.state),
        "status_label": STATUS_LABELS.get(line.status or "", ""),
        "plan_label": PLAN_LABELS.get(line.plan, "") if line.plan else "",
        "can_cancel": running and line.subscription_id is not None,
        "can_toggle": running and line.plan is not None and line.subscription_id is not None,
        "renews": line.next_payment_on is not None,
    }


@router.get("/vehicle/{vin}/subscriptions")
async def subscriptions_page(
    vin: str, request: Request, visitor: OwnerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise="services")
    status = await subscriptions.status(session, runtime, caller)
    offers = {
        offer.package: offer
        for offer in (await subscriptions.offers(session, runtime, caller)).offers
    }
    lines = [_line_view(line, offers.get(line.package)) for line in status.packages]
    listed = {line.package for line in status.packages}
    others = [offer for code, offer in offers.items() if code not in listed]
    return render(
        request,
        visitor,
        "subscriptions/overview.html",
        section="vehicle",
        notice=NOTICES.get(request.query_params.get("done") or ""),
        lines=lines,
        others=others,
        change_plan=CHANGE_PLAN,
        **await _car_context(session, caller),
    )


# --- offers and the subscribe flow ------------------------------------------------------------


async def _offer(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, package: str
) -> OfferOut:
    for offer in (await subscriptions.offers(session, runtime, caller)).offers:
        if offer.package == package:
            return offer
    raise SubscriptionNotFound()


def _plans(offer: OfferOut) -> list[dict[str, Any]]:
    return [
        {
            "plan": price.plan.value,
            "label": PLAN_LABELS[price.plan],
            "per": PER_PERIOD[price.plan],
            "price": price.price.display,
            "vat": price.vat.display,
            "net": price.net.display,
        }
        for price in offer.plans
    ]


def _not_yet(offer: OfferOut) -> str | None:
    if offer.purchasable:
        return None
    if offer.available_from is not None:
        return (
            f"Not yet: {offer.message or ''} You can subscribe from {_day(offer.available_from)}."
        )
    return offer.message or "This package cannot be bought for this car."


def _day(day: date | None) -> str:
    return day.strftime("%d %b %Y") if day else ""


@router.get("/vehicle/{vin}/subscriptions/offers/{package}")
async def offer_page(
    vin: str,
    package: str,
    request: Request,
    visitor: OwnerDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise="services")
    offer = await _offer(session, runtime, caller, package)
    chosen = request.query_params.get("plan") or (offer.plans[0].plan.value if offer.plans else "")
    return render(
        request,
        visitor,
        "subscriptions/offer.html",
        section="vehicle",
        offer=offer,
        plans=_plans(offer),
        chosen=chosen,
        not_yet=_not_yet(offer),
        first_payment=add_months(_today(runtime), 1) if offer.trial else None,
        **await _car_context(session, caller),
    )


def _plan_of(offer: OfferOut, value: str) -> Plan | None:
    return next((price.plan for price in offer.plans if price.plan.value == value), None)


async def _cards(session: AsyncSession, runtime: Runtime, visitor: Visitor) -> list[CardOut]:
    return [
        card
        for card in await payments.list_cards(session, runtime, owner_account(visitor))
        if not card.expired
    ]


@router.get("/vehicle/{vin}/subscriptions/offers/{package}/checkout")
async def checkout_start(
    vin: str,
    package: str,
    request: Request,
    visitor: OwnerDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """The billing address step, prefilled from the primary card. ``step=card`` is where adding
    a card comes back to: the address typed before the provider's page is the new card's, so
    the owner goes on choosing the card without typing it again."""
    caller = await primary_car(session, owner_account(visitor), vin, otherwise="services")
    offer = await _offer(session, runtime, caller, package)
    plan = _plan_of(offer, request.query_params.get("plan", ""))
    if not offer.purchasable or plan is None:
        return see_other(_subscriptions_path(vin, "offers", package))
    cards = await payments.list_cards(session, runtime, owner_account(visitor))
    primary = next((card for card in cards if card.is_primary), None)
    values = address_values(primary, owner_account(visitor))
    step = "address"
    if request.query_params.get("step") == "card" and primary is not None:
        step = "card"
    return await _checkout_page(
        request, visitor, session, runtime, caller, offer, plan, step, values
    )


def resume_path(vin: str, package: str, plan: Plan) -> str:
    """Where adding a card during checkout comes back to: the card step of this checkout."""
    return _subscriptions_path(vin, "offers", package, "checkout") + f"?plan={plan.value}&step=card"


async def _checkout_page(
    request: Request,
    visitor: Visitor,
    session: AsyncSession,
    runtime: Runtime,
    caller: CallerVehicle,
    offer: OfferOut,
    plan: Plan,
    step: str,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    cards = await _cards(session, runtime, visitor)
    chosen_card = values.get("card_id") or next(
        (str(card.id) for card in cards if card.is_primary), str(cards[0].id) if cards else ""
    )
    card = next((c for c in cards if str(c.id) == chosen_card), None)
    price = next((p for p in offer.plans if p.plan is plan), None)
    today = _today(runtime)
    dealer = await _preferred_dealer(session, visitor)
    return render(
        request,
        visitor,
        "subscriptions/checkout.html",
        section="vehicle",
        status=status,
        step=step,
        offer=offer,
        plan=plan.value,
        plan_label=PLAN_LABELS[plan],
        per=PER_PERIOD[plan],
        price=price,
        values=values,
        errors=errors or {},
        error=error,
        countries=country_options(visitor.reader(request).language),
        cards=cards,
        chosen_card=chosen_card,
        card=card,
        trial=offer.trial,
        first_payment=add_months(today, 1) if offer.trial else today,
        dealer=dealer,
        reminders_offered=plan is not Plan.monthly,
        action=_subscriptions_path(caller.vehicle.vin, "offers", offer.package, "checkout"),
        resume=resume_path(caller.vehicle.vin, offer.package, plan),
        **await _car_context(session, caller),
    )


async def _preferred_dealer(session: AsyncSession, visitor: Visitor) -> Dealer | None:
    return await dealers.preferred(session, account_id=owner_account(visitor).id)


def _flow_values(form: FormData) -> dict[str, str]:
    values = address_from(form)
    values["card_id"] = form_text(form, "card_id")
    values["refer_dealer"] = form_text(form, "refer_dealer")
    values["payment_reminders"] = form_text(form, "payment_reminders")
    return values


@router.post("/vehicle/{vin}/subscriptions/offers/{package}/checkout")
async def checkout_step(
    vin: str,
    package: str,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise="services")
    offer = await _offer(session, runtime, caller, package)
    plan = _plan_of(offer, form_text(form, "plan"))
    if plan is None:
        return see_other(_subscriptions_path(vin, "offers", package))
    step = form_text(form, "step")
    step = step if step in STEPS else "address"
    values = _flow_values(form)

    car: CallerVehicle = caller
    chosen: Plan = plan

    async def page(at: str, **extra: Any) -> Response:
        return await _checkout_page(
            request, visitor, session, runtime, car, offer, chosen, at, values, **extra
        )

    try:
        address = address_model(values)
    except ValidationError as exc:
        return await page("address", errors=field_errors(exc), status=422)
    if step == "address":
        return await page("card")
    cards = await _cards(session, runtime, visitor)
    if not any(str(card.id) == values["card_id"] for card in cards):
        return await page("card", error=N_("Choose one of your cards."), status=422)
    if step == "card":
        return await page("summary")
    dealer = await _preferred_dealer(session, visitor)
    try:
        data = SubscribeIn.model_validate(
            {
                "package": offer.package,
                "plan": plan,
                "billing_address": address,
                "card_id": values["card_id"],
                "refer_dealer_id": dealer.id if dealer and values["refer_dealer"] else None,
                "payment_reminders": bool(values["payment_reminders"]) and plan is not Plan.monthly,
            }
        )
    except ValidationError:
        return await page(
            "summary", error=N_("Your dealer cannot be referred online yet."), status=422
        )
    answer = await attempt(
        session, visitor, subscriptions.subscribe(session, runtime, caller, data)
    )
    if isinstance(answer, Refused):
        caller = await visitor_car(session, owner_account(visitor), vin)
        offer = await _offer(session, runtime, caller, package)
        return await _checkout_page(
            request,
            visitor,
            session,
            runtime,
            caller,
            offer,
            plan,
            "summary",
            values,
            error=answer.detail,
            status=answer.status,
        )
    done = "trial_started" if answer.charged is None else "subscribed"
    return see_other(_subscriptions_path(vin), done=done)


# --- cancel and renewal -----------------------------------------------------------------------


@router.get("/vehicle/{vin}/subscriptions/{subscription_id}/cancel")
async def cancel_page(
    vin: str,
    subscription_id: str,
    request: Request,
    visitor: OwnerDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise="services")
    wanted = _subscription_id(subscription_id)
    context = await _car_context(session, caller)
    try:
        preview = await subscriptions.preview_cancel(session, runtime, caller, wanted)
    except SubscriptionNotFound:
        raise
    except ProblemError as exc:
        return render(
            request,
            visitor,
            "subscriptions/cancel.html",
            section="vehicle",
            status=exc.status,
            error=exc.detail,
            outcome=None,
            confirmed=False,
            **context,
        )
    return render(
        request,
        visitor,
        "subscriptions/cancel.html",
        section="vehicle",
        outcome=preview,
        ends=preview.service_ends_on,
        confirmed=False,
        **context,
    )


@router.post("/vehicle/{vin}/subscriptions/{subscription_id}/cancel")
async def cancel(
    vin: str,
    subscription_id: str,
    request: Request,
    visitor: OwnerDep,
    _form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise="services")
    wanted = _subscription_id(subscription_id)
    context = await _car_context(session, caller)
    outcome = await attempt(
        session,
        visitor,
        subscriptions.cancel(session, runtime, caller, wanted),
        let_through=(SubscriptionNotFound,),
    )
    if isinstance(outcome, Refused):
        return render(
            request,
            visitor,
            "subscriptions/cancel.html",
            section="vehicle",
            status=outcome.status,
            error=outcome.detail,
            outcome=None,
            confirmed=False,
            **context,
        )
    return render(
        request,
        visitor,
        "subscriptions/cancel.html",
        section="vehicle",
        outcome=outcome,
        ends=outcome.service_ends_on,
        confirmed=True,
        **context,
    )


@router.post("/vehicle/{vin}/subscriptions/{subscription_id}/renewal")
async def switch_renewal(
    vin: str,
    subscription_id: str,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise="services")
    renew = form_text(form, "auto_renew") == "on"
    outcome = await attempt(
        session,
        visitor,
        subscriptions.update(
            session,
            runtime,
            caller,
            _subscription_id(subscription_id),
            SubscriptionUpdateIn(auto_renew=renew),
        ),
        let_through=(SubscriptionNotFound,),
    )
    if isinstance(outcome, Refused):
        caller = await visitor_car(session, owner_account(visitor), vin)
        status = await subscriptions.status(session, runtime, caller)
        offers = {
            o.package: o for o in (await subscriptions.offers(session, runtime, caller)).offers
        }
        return render(
            request,
            visitor,
            "subscriptions/overview.html",
            section="vehicle",
            status=outcome.status,
            error=outcome.detail,
            lines=[_line_view(line, offers.get(line.package)) for line in status.packages],
            others=[],
            change_plan=CHANGE_PLAN,
            **await _car_context(session, caller),
        )
    return see_other(_subscriptions_path(vin), done="renewal_on" if renew else "renewal_off")
