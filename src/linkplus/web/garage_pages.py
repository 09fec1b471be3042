"""The Vehicle section, My Garage: the owner's cars, adding one with proof of access, a car's
page, making this account the car's active (primary) one, removing a car, and "prepare to sell".

Adding a car or claiming it always needs proof that the person is at the car: the odometer
reading, or the text of the QR code the car's screen shows. Wrong readings are counted by the
garage service, so the page says how many tries are left and, once the check is blocked, to visit
a dealer.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from linkplus.connected_services import service as connected_services
from linkplus.connected_services.selling import SellStep
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import NotFound
from linkplus.garage import service as garage
from linkplus.garage.deps import CallerVehicle
from linkplus.garage.schemas import AddVehicleIn, GarageVehicleOut, OwnershipProof
from linkplus.models.services import SellChecklistStep
from linkplus.runtime import Runtime
from linkplus.web.cars import (
    car_name,
    car_path,
    odometer_from,
    page_notice,
    pairing_code_from,
    visitor_car,
)
from linkplus.web.dashboard import BODY_NAMES, car_dashboard, marker_json, switcher
from linkplus.web.forms import field_errors
from linkplus.web.i18n import N_
from linkplus.web.remote_pages import car_page_panel
from linkplus.web.rendering import gettext, reading, see_other
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
from linkplus.web.status_pages import NOTICES as STATUS_NOTICES
from linkplus.web.status_pages import WARNING_LIGHTS

router = APIRouter(include_in_schema=False)

# The account's check or the whole car's: both send the owner to a dealer.
BLOCKED = frozenset({"ownership_check_blocked", "vehicle_ownership_check_blocked"})
_VIN_LENGTH = 17
_SEPARATORS = re.compile(r"[\s-]+")
# The checklist's texts name the API call for each step; the page has a link instead.
_API_HINT = re.compile(r"\s*\((?:GET|POST|PUT|DELETE) /api/v1/[^)]*\)")
# The checklist steps an owner ticks, and what the service records for each.
_TICKS = {
    SellStep.delete_head_unit_profile: SellChecklistStep.head_unit_profile_deleted,
    SellStep.tell_buyer: SellChecklistStep.buyer_informed,
}


# --- the garage ------------------------------------------------------------------------------


@router.get("/vehicle")
async def garage_page(
    request: Request, visitor: OwnerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    account = owner_account(visitor)
    cars = await connected_services.garage_overview(session, runtime, account)
    welcome = await connected_services.welcome(session, runtime, account)
    return render(
        request,
        visitor,
        "garage/index.html",
        section="vehicle",
        notice=page_notice(request),
        cars=cars,
        welcome=welcome,
        car_name=car_name,
        garage_full=len(cars) >= garage.MAX_VEHICLES,
        max_vehicles=garage.MAX_VEHICLES,
    )


@router.get("/garage")
async def garage_alias(_visitor: OwnerDep) -> Response:
    """Mails and notifications link to /garage."""
    return see_other("/vehicle")


# --- adding a car ----------------------------------------------------------------------------


def _add_page(request: Request, visitor: Visitor, *, status: int = 200, **extra: Any) -> Response:
    extra.setdefault("blocked", False)
    return render(request, visitor, "garage/add.html", section="vehicle", status=status, **extra)


@router.get("/vehicle/add")
async def add_form(request: Request, visitor: OwnerDep) -> Response:
    return _add_page(request, visitor)


def _addition_from(form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    """The service's input for the form, and the field errors found before calling it."""
    nickname = form_text(form, "nickname") or None
    code = pairing_code_from(form)
    if code is not None:
        return {"pairing_code": code, "nickname": nickname}, {}
    identifier = form_text(form, "identifier")
    reading = odometer_from(form)
    errors: dict[str, str] = {}
    if not identifier:
        errors["identifier"] = N_("Enter the car's VIN or registration plate.")
    if reading is None:
        errors["odometer_km"] = N_("Enter the odometer reading shown in the instrument cluster.")
    elif isinstance(reading, str):
        errors["odometer_km"] = reading
    compact = _SEPARATORS.sub("", identifier)
    way = "vin" if len(compact) == _VIN_LENGTH else "registration_plate"
    value = compact if way == "vin" else identifier
    return {way: value, "odometer_km": reading, "nickname": nickname}, errors


def _field_errors_for_add(exc: ValidationError) -> dict[str, str]:
    renamed = {"vin": "identifier", "registration_plate": "identifier"}
    return {renamed.get(name, name): text for name, text in field_errors(exc).items()}


@router.post("/vehicle/add")
async def add_vehicle(
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    values = {name: form_text(form, name) for name in ("identifier", "odometer_km", "nickname")}
    fields, errors = _addition_from(form)
    if errors:
        return _add_page(request, visitor, status=422, values=values, errors=errors)
    try:
        data = AddVehicleIn.model_validate(fields)
    except ValidationError as exc:
        errors = _field_errors_for_add(exc)
        return _add_page(
            request, visitor, status=422, values=values, errors=errors, error=errors.get("form")
        )
    added = await attempt(
        session, visitor, garage.add_vehicle(session, runtime, owner_account(visitor), data)
    )
    if isinstance(added, Refused):
        return _add_page(
            request,
            visitor,
            status=added.status,
            values=values,
            error=added.detail,
            blocked=added.code in BLOCKED,
        )
    return see_other(car_path(added.vin), done="vehicle_added")


# --- one car ---------------------------------------------------------------------------------


async def _car_page(
    request: Request,
    visitor: Visitor,
    session: SessionDep,
    caller: CallerVehicle,
    *,
    status: int = 200,
    summary: GarageVehicleOut | None = None,
    **extra: Any,
) -> Response:
    summary = summary or await garage.vehicle_summary(session, caller)
    extra.setdefault("notice", page_notice(request))
    extra.setdefault("blocked", False)
    extra.setdefault("theft", None)
    extra.setdefault("board", None)
    extra.setdefault("garage_cars", [])
    return render(
        request,
        visitor,
        "garage/car.html",
        section="vehicle",
        status=status,
        car=summary,
        name=car_name(summary.model_name, summary.nickname),
        odometer=garage.odometer(caller) if caller.is_primary else None,
        first_delivery=caller.vehicle.first_delivery_date if caller.is_primary else None,
        **extra,
    )


@router.get("/vehicle/{vin}")
async def car_page(
    vin: str, request: Request, visitor: OwnerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The car's dashboard for its primary account (tiles, each value with its age, and the
    switcher between the account's cars); the name, model and claim form for another account."""
    account = owner_account(visitor)
    caller = await visitor_car(session, account, vin)
    if caller.vehicle.vin != vin:
        return see_other(car_path(caller.vehicle.vin))
    garage_cars = switcher(await garage.list_vehicles(session, runtime, account))
    if not caller.is_primary:
        return await _car_page(request, visitor, session, caller, garage_cars=garage_cars)
    board = await car_dashboard(session, runtime, caller)
    summary = await garage.vehicle_summary(session, caller)
    name = car_name(summary.model_name, summary.nickname)
    parked = ""
    if board.location:
        with reading(visitor.reader(request)):  # the marker's words, in the owner's language
            parked = gettext("Parked %(age)s") % {"age": board.age(board.location.parked_at)}
    notice = STATUS_NOTICES.get(request.query_params.get("done") or "")
    return await _car_page(
        request,
        visitor,
        session,
        caller,
        summary=summary,
        notice=notice or page_notice(request),
        theft=board.safety.theft if board.safety else None,
        board=board,
        garage_cars=garage_cars,
        marker=marker_json(board.location, name, parked),
        map_tiles=runtime.settings.map_tiles_url,
        body_names=BODY_NAMES,
        warning_names=WARNING_LIGHTS,
        remote=await car_page_panel(session, runtime, caller),  # the controls this car can run
    )


def proof_from(form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    """Fresh proof for claiming a car: the QR code text when given, else the odometer reading."""
    code = pairing_code_from(form)
    if code is not None:
        return {"pairing_code": code}, {}
    reading = odometer_from(form)
    if reading is None:
        return {}, {"odometer_km": N_("Enter the odometer reading, or paste the QR code text.")}
    if isinstance(reading, str):
        return {}, {"odometer_km": reading}
    return {"odometer_km": reading}, {}


async def claim_primary_from_form(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, form: FormData
) -> dict[str, str]:
    """Claim the car for the visitor; the field errors, empty when it worked.

    A refusal of the service propagates (the caller shows its detail on the form).
    """
    proof, errors = proof_from(form)
    if errors:
        return errors
    try:
        data = OwnershipProof.model_validate(proof)
    except ValidationError as exc:
        return field_errors(exc)
    await garage.claim_primary(session, runtime, caller.account, caller.vehicle.vin, data)
    return {}


@router.post("/vehicle/{vin}/primary")
async def claim_primary(
    vin: str,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    caller = await visitor_car(session, owner_account(visitor), vin)
    values = {"odometer_km": form_text(form, "odometer_km")}
    back = form_text(form, "back")
    errors = await attempt(
        session, visitor, claim_primary_from_form(session, runtime, caller, form)
    )
    if isinstance(errors, Refused):
        caller = await visitor_car(session, owner_account(visitor), vin)
        return await _car_page(
            request,
            visitor,
            session,
            caller,
            status=errors.status,
            values=values,
            error=errors.detail,
            blocked=errors.code in BLOCKED,
        )
    if errors:
        return await _car_page(
            request, visitor, session, caller, status=422, values=values, errors=errors
        )
    if back == "services":
        return see_other(car_path(caller.vehicle.vin, "services"), done="primary_claimed")
    return see_other(car_path(caller.vehicle.vin), done="primary_claimed")


# --- removing a car --------------------------------------------------------------------------


@router.get("/vehicle/{vin}/remove")
async def remove_form(
    vin: str, request: Request, visitor: OwnerDep, session: SessionDep
) -> Response:
    caller = await visitor_car(session, owner_account(visitor), vin)
    summary = await garage.vehicle_summary(session, caller)
    return render(
        request,
        visitor,
        "garage/remove.html",
        section="vehicle",
        car=summary,
        name=car_name(summary.model_name, summary.nickname),
    )


@router.post("/vehicle/{vin}/remove")
async def remove_vehicle(
    vin: str,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    caller = await visitor_car(session, owner_account(visitor), vin)
    if form_text(form, "confirm") != "remove":
        summary = await garage.vehicle_summary(session, caller)
        return render(
            request,
            visitor,
            "garage/remove.html",
            section="vehicle",
            status=422,
            car=summary,
            name=car_name(summary.model_name, summary.nickname),
            error=N_("Nothing was removed. Use the button below to confirm."),
        )
    await garage.remove_vehicle(session, runtime, caller.account, caller.vehicle.vin)
    return see_other("/vehicle", done="vehicle_removed")


# --- prepare to sell -------------------------------------------------------------------------


@router.get("/vehicle/{vin}/sell")
async def sell_checklist(
    vin: str, request: Request, visitor: OwnerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    caller = await visitor_car(session, owner_account(visitor), vin)
    checklist = await connected_services.sell_checklist(session, runtime, caller)
    summary = await garage.vehicle_summary(session, caller)
    return render(
        request,
        visitor,
        "garage/sell.html",
        section="vehicle",
        notice=page_notice(request),
        car=summary,
        name=car_name(summary.model_name, summary.nickname),
        checklist=checklist,
        is_primary=caller.is_primary,
        tickable={step.value for step in _TICKS},
        plain=lambda text: _API_HINT.sub("", text),
    )


@router.post("/vehicle/{vin}/sell/{step}")
async def tick_sell_step(
    vin: str,
    step: str,
    visitor: OwnerDep,
    _form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    caller = await visitor_car(session, owner_account(visitor), vin)
    mark = next((value for key, value in _TICKS.items() if key.value == step), None)
    if mark is None:
        raise NotFound("There is no such step to tick on this checklist.")
    await connected_services.tick_sell_step(session, runtime, caller, mark)
    return see_other(car_path(caller.vehicle.vin, "sell"), done="step_ticked")
