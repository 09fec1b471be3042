"""Home charging in the owner app (``/account/chargers``): add a charger with the code on its
label (or its QR code's text), see what it reports, start and stop charging, the session
history with its CSV. The pages call ``charging.service`` only, as the API does."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from linkplus.charging import service
from linkplus.charging.errors import ChargerNotFound, SessionNotFound
from linkplus.charging.schemas import ChargerAddIn
from linkplus.deps import NowDep, RuntimeDep, SessionDep
from linkplus.models.charging import Charger
from linkplus.web.forms import field_errors
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

PAGE = "/account/chargers"
_NOTICES = {
    "start_sent": N_(
        "The charger has been asked to start. This page shows the session once it runs."
    ),
    "stop_sent": N_("The charger has been asked to stop."),
}
# The domain's refusals as the pages say them (the API's words, in the owner's language).
REFUSALS = {
    "charger_activation_refused": N_(
        "No charger has this identity and activation code. Type both exactly as printed on the "
        "charger's label, or paste its QR code's text."
    ),
    "charger_already_onboarded": N_(
        "This charger is already in an account. Ask its owner to remove it from theirs first."
    ),
    "car_not_chargeable": N_("Choose one of your plug-in hybrid or electric cars."),
    "vehicle_not_found": N_("Choose one of your plug-in hybrid or electric cars."),
    "charger_offline": N_(
        "The charger is not connected. Check that it has power and network, then try again."
    ),
    "charging_session_running": N_("A charging session is already running."),
    "charging_session_not_running": N_("This charging session has already ended."),
    "car_not_linked": N_("This car is not one this charger charges."),
}
DAY_WORDS = {
    "MONDAY": N_("Mon"),
    "TUESDAY": N_("Tue"),
    "WEDNESDAY": N_("Wed"),
    "THURSDAY": N_("Thu"),
    "FRIDAY": N_("Fri"),
    "SATURDAY": N_("Sat"),
    "SUNDAY": N_("Sun"),
}
# What chargers report (OCPP 1.6 and 2.0.1 connector states), in the owner's words.
STATUS_WORDS = {
    "Available": N_("Available"),
    "Preparing": N_("Car plugged in"),
    "Occupied": N_("Car plugged in"),
    "Charging": N_("Charging"),
    "SuspendedEV": N_("Paused by the car"),
    "SuspendedEVSE": N_("Paused by the charger"),
    "Finishing": N_("Finishing"),
    "Reserved": N_("Reserved"),
    "Unavailable": N_("Unavailable"),
    "Faulted": N_("Fault: check the charger"),
}
_FIELDS = ("identity", "activation_code", "qr", "name", "price_per_kwh")


async def _list_page(
    request: Request,
    visitor: Visitor,
    session: SessionDep,
    *,
    status: int = 200,
    values: dict[str, str] | None = None,
    chosen: list[str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    credentials: tuple[str, str] | None = None,
) -> Response:
    account = owner_account(visitor)
    settings = request.app.state.runtime.settings
    return render(
        request,
        visitor,
        "charging/chargers.html",
        section="account",
        status=status,
        chargers=await service.list_chargers(session, account),
        cars=await service.plug_in_cars(session, account),
        values=values or {"price_per_kwh": "0.30"},
        chosen=chosen or [],
        errors=errors or {},
        error=error,
        credentials=credentials,
        ocpp_url=settings.resolved_ocpp_url,
    )


@router.get(PAGE)
async def chargers_page(request: Request, visitor: OwnerDep, session: SessionDep) -> Response:
    return await _list_page(request, visitor, session)


@router.post(PAGE)
async def add_charger(
    request: Request, visitor: OwnerDep, form: FormDep, session: SessionDep, now: NowDep
) -> Response:
    values = {name: form_text(form, name)[:200] for name in _FIELDS}
    chosen = [v for v in form.getlist("vins") if isinstance(v, str)][:10]
    label = await attempt(
        session,
        visitor,
        service.read_label(values["identity"], values["activation_code"], values["qr"]),
    )
    if isinstance(label, Refused):
        return await _list_page(
            request,
            visitor,
            session,
            status=label.status,
            error=REFUSALS.get(label.code),
            values=values,
            chosen=chosen,
        )
    try:
        data = ChargerAddIn.model_validate(
            {
                "identity": label[0],
                "activation_code": label[1],
                "name": values["name"] or None,
                "vins": chosen,
                "price_per_kwh": values["price_per_kwh"].replace(",", "."),
            }
        )
    except ValidationError as exc:
        errors = field_errors(exc)
        if "vins" in errors:
            errors["vins"] = N_("Choose at least one car.")
        return await _list_page(
            request, visitor, session, status=422, errors=errors, values=values, chosen=chosen
        )
    added = await attempt(
        session, visitor, service.add_charger(session, owner_account(visitor), data, now=now)
    )
    if isinstance(added, Refused):
        return await _list_page(
            request,
            visitor,
            session,
            status=added.status,
            error=REFUSALS.get(added.code, added.detail),
            values=values,
            chosen=chosen,
        )
    charger, password = added
    return await _list_page(
        request, visitor, session, status=201, credentials=(charger.identity, password)
    )


async def _charger(session: SessionDep, visitor: Visitor, identity: str) -> Charger:
    return await service.caller_charger(session, owner_account(visitor), identity)


async def _charger_page(
    request: Request,
    visitor: Visitor,
    session: SessionDep,
    charger: Charger,
    *,
    status: int = 200,
    error: str | None = None,
) -> Response:
    account = owner_account(visitor)
    history = await service.session_history(session, account, charger)
    return render(
        request,
        visitor,
        "charging/charger.html",
        section="account",
        status=status,
        notice=_NOTICES.get(request.query_params.get("done") or ""),
        error=error,
        charger=await service.charger_out(session, charger),
        running=next((row for row in history if row.state == "active"), None),
        history=history,
        windows=await service.list_windows(session, charger),
        day_words=DAY_WORDS,
        status_words=STATUS_WORDS,
    )


@router.get(PAGE + "/{identity}")
async def charger_page(
    identity: str, request: Request, visitor: OwnerDep, session: SessionDep
) -> Response:
    return await _charger_page(
        request, visitor, session, await _charger(session, visitor, identity)
    )


@router.post(PAGE + "/{identity}/start")
async def start(
    identity: str,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    charger = await _charger(session, visitor, identity)
    vin = form_text(form, "vin") or None
    outcome = await attempt(
        session,
        visitor,
        service.start_session(session, owner_account(visitor), charger, vin=vin, now=now),
    )
    if isinstance(outcome, Refused):
        charger = await _charger(session, visitor, identity)
        return await _charger_page(
            request,
            visitor,
            session,
            charger,
            status=outcome.status,
            error=REFUSALS.get(outcome.code, outcome.detail),
        )
    return see_other(f"{PAGE}/{identity}", done="start_sent")


@router.post(PAGE + "/{identity}/sessions/{session_id}/stop")
async def stop(
    identity: str,
    session_id: uuid.UUID,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    charger = await _charger(session, visitor, identity)
    outcome = await attempt(
        session,
        visitor,
        service.stop_session(session, owner_account(visitor), charger, session_id, now=now),
        let_through=(SessionNotFound, ChargerNotFound),
    )
    if isinstance(outcome, Refused):
        charger = await _charger(session, visitor, identity)
        return await _charger_page(
            request,
            visitor,
            session,
            charger,
            status=outcome.status,
            error=REFUSALS.get(outcome.code, outcome.detail),
        )
    return see_other(f"{PAGE}/{identity}", done="stop_sent")


@router.get(PAGE + "/{identity}/sessions.csv")
async def history_csv(
    identity: str, visitor: OwnerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    charger = await _charger(session, visitor, identity)
    body = await service.history_csv(session, owner_account(visitor), charger)
    return Response(
        content=body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="charging-{charger.identity}.csv"'},
    )
