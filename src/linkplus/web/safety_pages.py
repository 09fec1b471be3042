"""The car's safety page in the Vehicle section, and the police page of a stolen car.

The owner (the car's primary account) sees the emergency system's light and what it means, the
safety services (always active: the owner cannot switch them off), the history of the car's
safety events in their time with it (never a position), "Report stolen" with the police report
number, the banner while a theft case is open, and after the recovery the guided reactivation:
the password, then the code sent by e-mail.

The police page (``/police/{token}``) needs no sign-in: the link itself is the key, made by a
stolen-vehicle agent and valid until it expires. It shows the car and its trail; an expired or
unknown link gets a page that says so.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.deps import RuntimeDep, SessionDep
from linkplus.garage import service as garage
from linkplus.garage.deps import CallerVehicle
from linkplus.runtime import Runtime
from linkplus.safety import service as safety
from linkplus.safety.schemas import ReactivationConfirmIn, TheftReportIn, TheftStateOut
from linkplus.web.cars import car_name, car_path, primary_car
from linkplus.web.i18n import N_
from linkplus.web.rendering import see_other
from linkplus.web.safety_words import osm_link, position_words, trail_points
from linkplus.web.sessions import (
    FormDep,
    OwnerDep,
    Refused,
    Visitor,
    attempt,
    form_secret,
    form_text,
    owner_account,
    render,
    visitor_without_session,
)

router = APIRouter(include_in_schema=False)

NOTICES = {
    "theft_reported": N_(
        "Your theft report is sent. The customer centre checks it and starts "
        "tracking; the police keep you informed."
    ),
    "code_sent": N_("We sent a code to your e-mail address. Enter it below."),
    "reactivated": N_("Welcome back: location and remote control work again."),
}
POLICE_TRAIL_ROWS = 50  # the latest positions listed in words under the map


async def theft_state(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> TheftStateOut | None:
    """The banner's theft case, for the car's primary account (the car and remote pages)."""
    if not caller.is_primary:
        return None
    return (await safety.safety_status(session, runtime, caller)).theft


async def _page(
    request: Request,
    visitor: Visitor,
    session: AsyncSession,
    runtime: Runtime,
    caller: CallerVehicle,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    summary = await garage.vehicle_summary(session, caller)
    state = await safety.safety_status(session, runtime, caller)
    events = await safety.safety_events(session, runtime, caller)
    code = request.query_params.get("done")
    extra.setdefault("notice", NOTICES.get(code or ""))
    extra.setdefault("step", request.query_params.get("step"))
    return render(
        request,
        visitor,
        "safety/page.html",
        section="vehicle",
        status=status,
        car=summary,
        name=car_name(summary.model_name, summary.nickname),
        safety=state,
        theft=state.theft,
        events=events,
        email=caller.account.email,
        **extra,
    )


@router.get("/vehicle/{vin}/safety")
async def safety_page(
    vin: str, request: Request, visitor: OwnerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise="")
    if caller.vehicle.vin != vin:
        return see_other(car_path(caller.vehicle.vin, "safety"))
    return await _page(request, visitor, session, runtime, caller)


@router.post("/vehicle/{vin}/safety/theft")
async def report_theft(
    vin: str,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise=None)
    values = {"police_reference": form_text(form, "police_reference")}
    try:
        body = TheftReportIn(police_reference=values["police_reference"])
    except ValidationError:
        return await _page(
            request,
            visitor,
            session,
            runtime,
            caller,
            status=422,
            values=values,
            errors={
                "police_reference": N_(
                    "Enter the police report number as the police gave it "
                    "(4 to 40 letters, digits, / . -)."
                )
            },
        )
    outcome = await attempt(
        session,
        visitor,
        safety.report_by_owner(session, runtime, caller, police_reference=body.police_reference),
    )
    if isinstance(outcome, Refused):
        caller = await primary_car(session, owner_account(visitor), vin, otherwise=None)
        return await _page(
            request,
            visitor,
            session,
            runtime,
            caller,
            status=outcome.status,
            values=values,
            error=outcome.detail,
        )
    return see_other(car_path(caller.vehicle.vin, "safety"), done="theft_reported")


@router.post("/vehicle/{vin}/safety/reactivation")
async def start_reactivation(
    vin: str,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """Step 1: the password again; the code goes to the account's e-mail address."""
    caller = await primary_car(session, owner_account(visitor), vin, otherwise=None)
    password = form_secret(form, "password")
    if not password:
        return await _page(
            request,
            visitor,
            session,
            runtime,
            caller,
            status=422,
            errors={"password": N_("Enter your password.")},
        )
    outcome = await attempt(
        session, visitor, safety.start_reactivation(session, runtime, caller, password=password)
    )
    if isinstance(outcome, Refused):
        caller = await primary_car(session, owner_account(visitor), vin, otherwise=None)
        return await _page(
            request,
            visitor,
            session,
            runtime,
            caller,
            status=outcome.status,
            errors={"password": outcome.detail},
        )
    return see_other(car_path(caller.vehicle.vin, "safety"), step="code", done="code_sent")


@router.post("/vehicle/{vin}/safety/reactivation/confirm")
async def confirm_reactivation(
    vin: str,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """Step 2: the code from the e-mail; location and remote control come back."""
    caller = await primary_car(session, owner_account(visitor), vin, otherwise=None)
    code = "".join(form_text(form, "code").split())
    try:
        body = ReactivationConfirmIn(code=code)
    except ValidationError:
        return await _page(
            request,
            visitor,
            session,
            runtime,
            caller,
            status=422,
            step="code",
            errors={"code": N_("Enter the 6 digits of the code from the e-mail.")},
        )
    outcome = await attempt(
        session, visitor, safety.confirm_reactivation(session, runtime, caller, code=body.code)
    )
    if isinstance(outcome, Refused):
        caller = await primary_car(session, owner_account(visitor), vin, otherwise=None)
        return await _page(
            request,
            visitor,
            session,
            runtime,
            caller,
            status=outcome.status,
            step="code",
            errors={"code": outcome.detail},
        )
    return see_other(car_path(caller.vehicle.vin, "safety"), done="reactivated")


# --- the police ----------------------------------------------------------------------------------


@router.get("/police/{token}")
async def police_page(
    token: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    request.state.authenticated = True  # the link is a key: nothing of this page is cached
    visitor = visitor_without_session(request, runtime.settings)
    outcome = await attempt(session, visitor, safety.police_view(session, runtime, token))
    if isinstance(outcome, Refused):
        response = render(
            request, visitor, "police/expired.html", status=outcome.status, reason=outcome.detail
        )
    else:
        case, vehicle, trail, expires_at = outcome
        points = trail_points(trail)
        latest = trail[-1] if trail else None
        response = render(
            request,
            visitor,
            "police/view.html",
            case=case,
            plate=vehicle.registration_plate if vehicle is not None else None,
            trail=list(reversed(trail[-POLICE_TRAIL_ROWS:])),
            count=len(trail),
            latest=latest,
            expires_at=expires_at,
            points_json=json.dumps(points, separators=(",", ":")),
            osm=osm_link(latest[1], latest[2]) if latest else None,
            position_words=position_words,
        )
    response.headers["Referrer-Policy"] = "no-referrer"  # the token never leaves in a Referer
    return response
