"""The car's Health page: warning lights and trouble codes in the owner's words, tyres, 12 V
battery, oil and odometer, the next service (by time and distance), the monthly PDF, and the
service history with a form for the owner's own records. For the car's primary account (the
health report rests on the vehicle-status service); the history is every garage account's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import ProblemError
from linkplus.garage import service as garage
from linkplus.garage.deps import CallerVehicle
from linkplus.maintenance import service as maintenance
from linkplus.maintenance.schemas import OwnerServiceRecordIn
from linkplus.runtime import Runtime
from linkplus.web.cars import car_name, odometer_from, visitor_car
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
from linkplus.web.status_pages import POSITIONS

router = APIRouter(include_in_schema=False)

NOTICES = {"record_added": N_("Your record is in the service history.")}
SEVERITY = {
    "stop": N_("Stop safely"),
    "soon": N_("Have it checked soon"),
    "info": N_("Nothing urgent"),
}
STAGES = {
    "none": N_("Not due yet"),
    "first": N_("Coming up"),
    "second": N_("Due soon"),
    "overdue": N_("Overdue"),
}
JUDGEMENTS = {"ok": N_("OK"), "low": N_("Low"), "high": N_("High"), "flat": N_("Flat")}


def health_path(vin: str) -> str:
    return f"/vehicle/{vin}/health"


async def _page(
    request: Request,
    visitor: Visitor,
    session: AsyncSession,
    runtime: Runtime,
    caller: CallerVehicle,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    summary = await garage.vehicle_summary(session, caller)
    context: dict[str, Any] = {
        "car": summary,
        "name": car_name(summary.model_name, summary.nickname),
        "report": None,
        "unavailable": None,
        "due": None,
        "history": await maintenance.service_history(session, caller),
        "month": runtime.clock.now().strftime("%Y-%m"),
        "today": runtime.clock.now().date().isoformat(),
        "positions": POSITIONS,
        "severity_words": SEVERITY,
        "stage_words": STAGES,
        "judgements": JUDGEMENTS,
    }
    if caller.is_primary:
        context["due"] = await maintenance.service_due(session, runtime, caller)
        try:
            context["report"] = await maintenance.health_report(session, runtime, caller)
        except ProblemError as exc:
            context["unavailable"] = exc.detail
    notice = NOTICES.get(request.query_params.get("done") or "")
    return render(
        request,
        visitor,
        "maintenance/health.html",
        section="vehicle",
        status=status_code,
        notice=notice,
        errors=errors or {},
        values=values or {},
        **context,
    )


@router.get("/vehicle/{vin}/health")
async def health_page(
    vin: str, request: Request, visitor: OwnerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    caller = await visitor_car(session, owner_account(visitor), vin)
    if caller.vehicle.vin != vin:
        return see_other(health_path(caller.vehicle.vin))
    return await _page(request, visitor, session, runtime, caller)


@router.post("/vehicle/{vin}/health/records")
async def add_record(
    vin: str,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    caller = await visitor_car(session, owner_account(visitor), vin)
    values = {
        name: form_text(form, name) for name in ("serviced_on", "odometer_km", "work", "kind")
    }
    odometer = odometer_from(form)
    if isinstance(odometer, str):
        return await _page(
            request, visitor, session, runtime, caller, status_code=422,
            errors={"odometer_km": odometer}, values=values,
        )  # fmt: skip
    try:
        body = OwnerServiceRecordIn.model_validate(
            {
                "serviced_on": values["serviced_on"] or None,
                "odometer_km": odometer,
                "work": values["work"],
                "is_service": values["kind"] == "service",
            }
        )
    except ValidationError as exc:
        return await _page(
            request, visitor, session, runtime, caller,
            status_code=422, errors=field_errors(exc), values=values,
        )  # fmt: skip
    outcome = await attempt(
        session, visitor, maintenance.add_owner_record(session, runtime, caller, body)
    )
    if isinstance(outcome, Refused):
        caller = await visitor_car(session, owner_account(visitor), vin)
        return await _page(
            request, visitor, session, runtime, caller, status_code=outcome.status,
            errors={"form": outcome.detail}, values=values,
        )  # fmt: skip
    return see_other(health_path(caller.vehicle.vin), done="record_added")
