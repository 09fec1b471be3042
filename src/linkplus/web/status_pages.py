"""The Vehicle status page of a car: what the car last reported, part by part, whether it is
online, asleep or not heard from, and where it was parked, for the car's primary account.

The page reloads itself every few seconds (static/auto-refresh.js, with a button that pauses it;
a meta refresh could not be paused, WCAG 2.2.1) so a
car that is driving shows its new state without anyone pressing anything; "Refresh" asks the car
for a fresh status (a form post with the CSRF token), which shows here once the car answers.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import ProblemError
from linkplus.garage import service as garage
from linkplus.garage.deps import CallerVehicle
from linkplus.privacy import service as privacy
from linkplus.runtime import Runtime
from linkplus.vehicle_link import service as vehicle_link
from linkplus.vehicle_link.errors import LocationNotShared, LocationUnknown
from linkplus.vehicle_link.schemas import LocationOut
from linkplus.web.cars import car_name, car_path, visitor_car
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

AUTO_REFRESH_SECONDS = 10
NOTICES = {
    "refresh_requested": N_(
        "The car has been asked for a fresh status; it shows here once the car answers."
    ),
}
POSITIONS = {
    "front_left": N_("Front left"),
    "front_right": N_("Front right"),
    "rear_left": N_("Rear left"),
    "rear_right": N_("Rear right"),
}
WARNING_LIGHTS = {
    "engine": N_("Engine"),
    "oil_pressure": N_("Oil pressure"),
    "coolant_temperature": N_("Coolant temperature"),
    "brake_system": N_("Brakes"),
    "abs": N_("ABS"),
    "airbag": N_("Airbag"),
    "battery_charge": N_("Battery charge"),
    "tire_pressure": N_("Tyre pressure"),
    "traction_battery": N_("High-voltage battery"),
    "service_due": N_("Service due"),
}


def status_path(vin: str) -> str:
    return f"/vehicle/{vin}/status"


async def _parked(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> tuple[LocationOut | None, str | None]:
    """The parked position, or why there is none to show."""
    try:
        return await vehicle_link.parked_location(session, runtime, caller), None
    except LocationNotShared:
        return None, N_("Privacy mode is on: the car does not share where it is.")
    except LocationUnknown:
        return None, N_("The car has not reported where it is parked yet.")
    except ProblemError as exc:
        return None, exc.detail


async def _page(
    request: Request,
    visitor: Visitor,
    session: AsyncSession,
    runtime: Runtime,
    caller: CallerVehicle,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    summary = await garage.vehicle_summary(session, caller)
    context: dict[str, Any] = {
        "car": summary,
        "name": car_name(summary.model_name, summary.nickname),
        "report": None,
        "unavailable": None,
        "location": None,
        "location_note": None,
        "privacy_on": False,
        "positions": POSITIONS,
        "warning_names": WARNING_LIGHTS,
        "refresh_seconds": AUTO_REFRESH_SECONDS,
        "self_path": status_path(caller.vehicle.vin),
    }
    if caller.is_primary:
        try:
            context["report"] = await vehicle_link.vehicle_status(session, runtime, caller)
        except ProblemError as exc:
            context["unavailable"] = exc.detail
        if context["report"] is not None:
            mode = await privacy.privacy_mode(
                session, vin=caller.vehicle.vin, spans=caller.tenure.spans
            )
            context["privacy_on"] = mode.privacy_mode
            context["location"], context["location_note"] = await _parked(session, runtime, caller)
    notice = NOTICES.get(request.query_params.get("done") or "")
    return render(
        request,
        visitor,
        "status/vehicle.html",
        section="vehicle",
        status=status_code,
        notice=notice,
        error=error,
        **context,
    )


@router.get("/vehicle/{vin}/status")
async def status_page(
    vin: str, request: Request, visitor: OwnerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    caller = await visitor_car(session, owner_account(visitor), vin)
    if caller.vehicle.vin != vin:
        return see_other(status_path(caller.vehicle.vin))
    return await _page(request, visitor, session, runtime, caller)


@router.post("/vehicle/{vin}/status/refresh")
async def refresh(
    vin: str,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    # The car page's Refresh sends back=car: the browser returns to the dashboard it came from.
    back = car_path(vin) if form_text(form, "back") == "car" else None
    caller = await visitor_car(session, owner_account(visitor), vin)
    if not caller.is_primary:
        return see_other(status_path(caller.vehicle.vin))
    outcome = await attempt(
        session, visitor, vehicle_link.request_refresh(session, runtime, caller)
    )
    if isinstance(outcome, Refused):
        caller = await visitor_car(session, owner_account(visitor), vin)
        return await _page(
            request,
            visitor,
            session,
            runtime,
            caller,
            status_code=outcome.status,
            error=outcome.detail,
        )
    if back is not None:
        return see_other(car_path(caller.vehicle.vin), done="refresh_requested")
    return see_other(status_path(caller.vehicle.vin), done="refresh_requested")
