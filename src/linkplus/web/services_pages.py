"""A car's Connected Services Centre and its privacy mode.

Activating needs the current Terms of Use and Privacy Notice: when they are not accepted yet, the
activation form shows both as links with a tick box each, and the services accept them in the same
transaction as the activation, so a refused activation leaves no acceptance behind. Only the car's
primary account sees this page's services; another account that has the car is offered to become
the active one here, with fresh proof of access.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from linkplus.connected_services import service as connected_services
from linkplus.connected_services.catalogue import PackageKind
from linkplus.connected_services.schemas import (
    Acceptance,
    ActivationIn,
    DeactivationIn,
    ServicesCentreOut,
    ServiceStateOut,
)
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.garage import service as garage
from linkplus.garage.deps import CallerVehicle
from linkplus.models.privacy import ConsentChannel
from linkplus.privacy import service as privacy
from linkplus.privacy.schemas import PrivacyModeIn
from linkplus.subscriptions import service as subscriptions
from linkplus.subscriptions.schemas import OfferOut, StatusLineOut
from linkplus.web.cars import car_name, car_path, page_notice, primary_car, visitor_car
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

router = APIRouter(include_in_schema=False)

HISTORY_SHOWN = 20
_TERMS_REFUSED = "terms_not_accepted"
_STATE_LABELS = {
    "active": N_("Active"),
    "inactive": N_("Not active"),
    "not_available": N_("Not available"),
    "expired": N_("Period ended"),
    "paid_package": N_("Paid package"),
}


def _packages(
    services: list[ServiceStateOut],
    offers: dict[str, OfferOut],
    lines: dict[str, StatusLineOut],
) -> list[dict[str, Any]]:
    """The services grouped by package, in catalogue order, with what the owner can do to each.

    Whether a package runs is the services' own state (the one every page and the API show);
    "Subscribe" is offered only where the subscriptions service says it can be bought now, and
    a running package says until when instead."""
    groups: dict[str, dict[str, Any]] = {}
    for state in services:
        group = groups.setdefault(
            state.package,
            {
                "code": state.package,
                "name": state.package_name,
                "kind": state.package_kind.value,
                "services": [],
                "can_activate": False,
                "can_deactivate": False,
                "active": False,
                "until": state.complimentary_until,
                "started_at": None,
                "ends_at": None,
            },
        )
        group["services"].append(state)
        if state.state == "active":
            group["active"] = True
        if state.switchable and state.state == "inactive":
            group["can_activate"] = True
        if state.switchable and state.state == "active":
            group["can_deactivate"] = True
            group["started_at"] = group["started_at"] or state.started_at
            group["ends_at"] = group["ends_at"] or state.ends_at
    for group in groups.values():
        group["is_paid"] = group["kind"] == PackageKind.paid.value
        offer = offers.get(group["code"])
        group["can_subscribe"] = offer is not None and offer.purchasable
        group["running"] = _running_words(group, lines.get(group["code"]))
    return list(groups.values())


Running = tuple[str, date | None]  # a sentence marked for the catalogue, and its day


def _running_words(group: dict[str, Any], line: StatusLineOut | None) -> Running | None:
    """What a running package says instead of "Subscribe": until when it runs, or when it
    renews (a paid plan renewing itself). The page translates the sentence and writes the day
    in the reader's locale (``%(day)s``)."""
    if not group["active"] or group["kind"] == PackageKind.always_on.value:
        return None
    if line is not None and line.state in ("active", "cancelled"):
        trial_end = line.ends_on or line.next_payment_on
        if line.status == "trialing" and trial_end is not None:
            if line.next_payment_on is not None:
                return N_("Active until %(day)s (free trial); then it renews."), trial_end
            return N_("Active until %(day)s (free trial)."), trial_end
        if line.next_payment_on is not None:
            return N_("Active; renews on %(day)s."), line.next_payment_on
        if line.ends_on is not None:
            return N_("Active until %(day)s."), line.ends_on
    ends_at = group["ends_at"]
    until = ends_at.astimezone(UTC).date() if isinstance(ends_at, datetime) else group["until"]
    return (N_("Active until %(day)s."), until) if until is not None else (N_("Active."), None)


async def _centre_page(
    request: Request,
    visitor: Visitor,
    session: SessionDep,
    runtime: RuntimeDep,
    caller: CallerVehicle,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    summary = await garage.vehicle_summary(session, caller)
    extra.setdefault("notice", page_notice(request))
    extra.setdefault("blocked", False)
    context: dict[str, Any] = {
        "car": summary,
        "name": car_name(summary.model_name, summary.nickname),
        "centre": None,
        "packages": [],
        "documents": [],
        "state_labels": _STATE_LABELS,
    }
    if caller.is_primary:
        centre: ServicesCentreOut = await connected_services.centre(session, runtime, caller)
        offers = (await subscriptions.offers(session, runtime, caller)).offers
        lines = (await subscriptions.status(session, runtime, caller)).packages
        context["centre"] = centre
        context["packages"] = _packages(
            centre.services,
            {offer.package: offer for offer in offers},
            {line.package: line for line in lines},
        )
        context["documents"] = await privacy.documents_for(session, caller.account)
    return render(
        request,
        visitor,
        "services/centre.html",
        section="vehicle",
        status=status,
        **context,
        **extra,
    )


@router.get("/vehicle/{vin}/services")
async def centre_page(
    vin: str, request: Request, visitor: OwnerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    caller = await visitor_car(session, owner_account(visitor), vin)
    return await _centre_page(request, visitor, session, runtime, caller)


def _activation_from(form: FormData) -> ActivationIn:
    accepted = {
        name: form_text(form, f"accept_{name}") or None
        for name in ("terms_of_use", "privacy_notice")
    }
    given = {name: version for name, version in accepted.items() if version}
    return ActivationIn.model_validate(
        {
            "packages": [p for p in form.getlist("packages") if isinstance(p, str)],
            "accept": Acceptance.model_validate(given) if given else None,
            "channel": ConsentChannel.app,
        }
    )


@router.post("/vehicle/{vin}/services/activate")
async def activate(
    vin: str,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise="services")
    try:
        data = _activation_from(form)
    except ValidationError:
        return await _centre_page(
            request,
            visitor,
            session,
            runtime,
            caller,
            status=422,
            error=N_("Choose at least one package to activate."),
        )
    outcome = await attempt(
        session, visitor, connected_services.activate(session, runtime, caller, data)
    )
    if isinstance(outcome, Refused):  # the rollback expired the car: load it again
        caller = await visitor_car(session, owner_account(visitor), vin)
        message = outcome.detail
        if outcome.code == _TERMS_REFUSED:
            message = N_(
                "Nothing was activated. Connected services need the current Terms of Use and "
                "Privacy Notice: read them, tick both boxes and activate again."
            )
        return await _centre_page(
            request, visitor, session, runtime, caller, status=outcome.status, error=message
        )
    return see_other(car_path(caller.vehicle.vin, "services"), done="services_activated")


@router.post("/vehicle/{vin}/services/deactivate")
async def deactivate(
    vin: str,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise="services")
    try:
        data = DeactivationIn.model_validate({"packages": [form_text(form, "package")]})
    except ValidationError:
        return await _centre_page(
            request,
            visitor,
            session,
            runtime,
            caller,
            status=422,
            error=N_("Choose a package to stop."),
        )
    outcome = await attempt(
        session, visitor, connected_services.deactivate(session, runtime, caller, data)
    )
    if isinstance(outcome, Refused):  # the rollback expired the car: load it again
        caller = await visitor_car(session, owner_account(visitor), vin)
        return await _centre_page(
            request, visitor, session, runtime, caller, status=outcome.status, error=outcome.detail
        )
    return see_other(car_path(caller.vehicle.vin, "services"), done="services_deactivated")


# --- privacy mode ----------------------------------------------------------------------------


@router.get("/vehicle/{vin}/privacy-mode")
async def privacy_mode_page(
    vin: str, request: Request, visitor: OwnerDep, session: SessionDep
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise="")
    summary = await garage.vehicle_summary(session, caller)
    mode = await privacy.privacy_mode(session, vin=caller.vehicle.vin, spans=caller.tenure.spans)
    history = await privacy.privacy_mode_history(
        session, vin=caller.vehicle.vin, spans=caller.tenure.spans, limit=HISTORY_SHOWN
    )
    return render(
        request,
        visitor,
        "services/privacy_mode.html",
        section="vehicle",
        notice=page_notice(request),
        car=summary,
        name=car_name(summary.model_name, summary.nickname),
        mode=mode,
        history=history,
    )


@router.post("/vehicle/{vin}/privacy-mode")
async def switch_privacy_mode(
    vin: str,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise="")
    privacy_on = form_text(form, "privacy_mode") == "on"
    await privacy.change_privacy_mode(
        session,
        runtime,
        vin=caller.vehicle.vin,
        account_id=caller.account.id,
        data=PrivacyModeIn(location_sharing=not privacy_on),
    )
    done = "privacy_mode_on" if privacy_on else "privacy_mode_off"
    return see_other(car_path(caller.vehicle.vin, "privacy-mode"), done=done)
