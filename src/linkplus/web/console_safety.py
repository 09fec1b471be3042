"""The safety console: the emergency and stolen-vehicle agents' queue, one case, and its actions.

The same service functions as the staff API (``linkplus.safety.service``), behind the console's
own cookie (``lp_staff``). Only emergency agents, stolen-vehicle agents, supervisors (and
administrators) see these pages; any other visitor gets the same 404 as for an address that does
not exist, and a case of a kind the agent does not work on is the service's "no such case".

The queue works without JavaScript (reload it); with it, ``static/console-safety.js`` follows
the stream of case changes (server-sent events over the console cookie) and puts a new case at
the top as it comes. The case page draws the position, or a theft's trail, with Leaflet on a
plain background (``static/safety-map.js``): nothing is fetched from the internet.

Every refusal of a service comes back as a message on the case page. The police link is shown
once, on the page that answers its form, and never again.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.audit.errors import AccessReasonRequired
from linkplus.audit.reasons import AccessReason
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import NotFound
from linkplus.kit.parsing import StrictInt
from linkplus.models.accounts import StaffAccount, StaffRole
from linkplus.runtime import Runtime
from linkplus.safety import service as safety
from linkplus.safety.errors import CaseNotFound
from linkplus.safety.rules import DISPATCH_SERVICES, POLICE_LINK_HOURS_DEFAULT
from linkplus.safety.schemas import (
    CaseOut,
    CloseIn,
    DispatchIn,
    PoliceLinkIn,
    TheftByPlateIn,
    TheftByVinIn,
    TheftChecksIn,
    TheftOpenIn,
    TrackingStopIn,
)
from linkplus.web import console_access
from linkplus.web.console import ConsoleFormDep, ConsoleVisitorDep
from linkplus.web.forms import field_errors
from linkplus.web.rendering import see_other
from linkplus.web.safety_words import (
    ACTIONS,
    OUTCOME_CHOICES,
    TRACKING_WORDS,
    age_words,
    map_points,
    osm_link,
    position_words,
)
from linkplus.web.sessions import Refused, Visitor, attempt, form_text, render

router = APIRouter(prefix="/console/safety", include_in_schema=False)

SAFETY_ROLES = frozenset(
    {
        StaffRole.emergency_agent.value,
        StaffRole.svt_agent.value,
        StaffRole.supervisor.value,
        StaffRole.admin.value,
    }
)
EntryNumber = Annotated[int, StrictInt(0, 2**62)]

NOTICES = {
    "taken": "The case is yours: the car and its owner are shown below.",
    "dispatched": "The dispatch is recorded.",
    "accidental": "Recorded as an accidental press; the case is closed.",
    "closed": "The case is closed.",
    "opened": "The theft case is open and yours. Record the checks next.",
    "checked": "The checks are recorded.",
    "tracking_started": "Tracking is on: the start went to the car as a signed command.",
    "tracking_stopped": "Tracking is off; the car's owner can now reactivate its services.",
}


async def _safety_staff(visitor: ConsoleVisitorDep) -> Visitor:
    if visitor.staff is None or visitor.staff.role not in SAFETY_ROLES:
        raise NotFound("There is nothing at this address.")
    return visitor


SafetyDep = Annotated[Visitor, Depends(_safety_staff)]


def _staff(visitor: Visitor) -> StaffAccount:
    assert visitor.staff is not None  # SafetyDep let only safety staff through
    return visitor.staff


def _case_id(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def _case_path(case_id: uuid.UUID | str, *rest: str) -> str:
    return "/".join(("/console/safety/cases", str(case_id), *rest))


def works_on(staff: StaffAccount) -> dict[str, bool]:
    """Which parts of the console the agent's role has."""
    role = staff.role
    return {
        "emergencies": role != StaffRole.svt_agent.value,
        "thefts": role != StaffRole.emergency_agent.value,
    }


# --- the queue ---------------------------------------------------------------------------------


async def _queue_page(
    request: Request,
    visitor: Visitor,
    session: AsyncSession,
    runtime: Runtime,
    *,
    closed: bool = False,
    status: int = 200,
    **extra: Any,
) -> Response:
    staff = _staff(visitor)
    cases = await safety.queue(session, runtime, staff, closed=closed)
    start = await safety.stream_start(session)
    extra.setdefault("values", {})
    return render(
        request,
        visitor,
        "console/safety/queue.html",
        status=status,
        staff=staff,
        parts=works_on(staff),
        emergencies=[c for c in cases if c.kind != "theft"],
        thefts=[c for c in cases if c.kind == "theft"],
        closed=closed,
        stream=f"/console/safety/stream?after={start}",
        position_words=position_words,
        tracking_words=TRACKING_WORDS,
        age_words=age_words,
        **extra,
    )


@router.get("")
async def queue_page(
    request: Request,
    visitor: SafetyDep,
    session: SessionDep,
    runtime: RuntimeDep,
    closed: bool = False,
) -> Response:
    return await _queue_page(request, visitor, session, runtime, closed=closed)


@router.get("/stream")
async def case_stream(
    request: Request,
    visitor: SafetyDep,
    runtime: RuntimeDep,
    after: Annotated[EntryNumber | None, Query()] = None,
    last_event_id: Annotated[EntryNumber | None, Header(alias="Last-Event-ID")] = None,
    max_events: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> StreamingResponse:
    """The case changes of the agent's kinds as server-sent events, for ``console-safety.js``
    (``EventSource`` sends the console cookie; ``Last-Event-ID`` resumes a dropped stream)."""
    start = last_event_id if last_event_id is not None else after
    if start is None:
        async with runtime.db.read() as session:
            start = await safety.stream_start(session)
    events = safety.case_events(
        runtime,
        _staff(visitor),
        after_id=start,
        max_events=max_events,
        disconnected=request.is_disconnected,
    )
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post("/thefts")
async def open_theft(
    request: Request,
    visitor: SafetyDep,
    form: ConsoleFormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """A theft reported by phone: the car by VIN or plate, and the police report number."""
    car = form_text(form, "car").upper()
    values = {"car": car, "police_reference": form_text(form, "police_reference")}
    by_vin = len(car) == 17 and car.isalnum()
    try:
        body: TheftOpenIn = (
            TheftByVinIn(vin=car, police_reference=values["police_reference"])
            if by_vin
            else TheftByPlateIn(plate=car, police_reference=values["police_reference"])
        )
    except ValidationError as exc:
        errors = field_errors(exc)
        if "vin" in errors or "plate" in errors or "form" in errors:
            errors["car"] = "Enter the car's VIN (17 characters) or its registration plate."
        if "police_reference" in errors:
            errors["police_reference"] = (
                "Enter the police report number as the caller reads it (4 to 40 letters, "
                "digits, / . -)."
            )
        return await _queue_page(
            request,
            visitor,
            session,
            runtime,
            status=422,
            values=values,
            errors=errors,
            error="The theft case is not opened: check the fields below.",
        )
    outcome = await attempt(
        session, visitor, safety.report_by_phone(session, runtime, _staff(visitor), body)
    )
    if isinstance(outcome, Refused):
        return await _queue_page(
            request,
            visitor,
            session,
            runtime,
            status=outcome.status,
            values=values,
            error=outcome.detail,
        )
    return see_other(_case_path(outcome.id), done="opened")


# --- one case ----------------------------------------------------------------------------------


async def _case_page(
    request: Request,
    visitor: Visitor,
    session: AsyncSession,
    runtime: Runtime,
    case_id: uuid.UUID | None,
    *,
    status: int = 200,
    reason: AccessReason | None = None,
    **extra: Any,
) -> Response:
    staff = _staff(visitor)
    if case_id is None:
        found: CaseOut | Refused = Refused(CaseNotFound())
    else:
        found = await attempt(
            session, visitor, safety.case_detail(session, runtime, staff, case_id)
        )
    if isinstance(found, Refused):
        return render(
            request,
            visitor,
            "console/safety/missing.html",
            status=found.status,
            staff=staff,
            error=found.detail,
        )
    trail: list[tuple[Any, float, float, float | None]] = []
    if found.kind == "theft":
        # The trail is the owner's car's positions: the case is the reason for the agent who
        # holds it; anyone else says why first (remembered for the case, console_access).
        subject = safety.case_subject(found.id)
        if reason is None:
            reason = await console_access.remembered(session, runtime, visitor, subject)
        seen = await attempt(
            session, visitor, safety.positions(session, runtime, staff, found.id, reason=reason)
        )
        if isinstance(seen, Refused):
            if isinstance(seen.problem, AccessReasonRequired):
                return _ask(request, visitor, found.id)
            return render(
                request,
                visitor,
                "console/safety/missing.html",
                status=seen.status,
                staff=staff,
                error=seen.detail,
            )
        trail = seen
    points = map_points(found, trail)
    code = request.query_params.get("done")
    extra.setdefault("notice", NOTICES.get(code or ""))
    extra.setdefault("police_link", None)
    extra.setdefault("values", {})
    return render(
        request,
        visitor,
        "console/safety/case.html",
        status=status,
        staff=staff,
        case=found,
        trail=trail,
        points_json=json.dumps(points, separators=(",", ":")),
        osm=osm_link(points[-1]["lat"], points[-1]["lon"]) if points else None,
        position_words=position_words,
        age_words=age_words,
        services=DISPATCH_SERVICES,
        outcomes=OUTCOME_CHOICES,
        actions=ACTIONS,
        tracking_words=TRACKING_WORDS,
        link_hours=POLICE_LINK_HOURS_DEFAULT,
        **extra,
    )


@router.get("/cases/{case_id}")
async def case_page(
    case_id: str, request: Request, visitor: SafetyDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    return await _case_page(request, visitor, session, runtime, _case_id(case_id))


def _ask(
    request: Request,
    visitor: Visitor,
    case_id: uuid.UUID,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    return console_access.ask(
        request,
        visitor,
        action=_case_path(case_id, "access-reason"),
        back="/console/safety",
        opening="This case's position trail (a case you do not hold)",
        values=values,
        errors=errors,
    )


@router.post("/cases/{case_id}/access-reason")
async def give_reason(
    case_id: str,
    request: Request,
    visitor: SafetyDep,
    form: ConsoleFormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """The reason form's answer: the case page, its trail recorded with it (and remembered)."""
    wanted = _case_id(case_id)
    reason = console_access.from_form(visitor, form)
    if wanted is not None and isinstance(reason, dict):
        given = console_access.form_values(form)
        return _ask(request, visitor, wanted, values=given, errors=reason)
    given_reason = reason if isinstance(reason, AccessReason) else None
    return await _case_page(request, visitor, session, runtime, wanted, reason=given_reason)


async def _act(
    request: Request,
    visitor: Visitor,
    session: AsyncSession,
    runtime: Runtime,
    case_id: uuid.UUID | None,
    call: Any,
    done: str,
) -> Response:
    """Run a case action; a refusal shows the case page again with its message."""
    if case_id is None:
        return await _case_page(request, visitor, session, runtime, None)
    outcome = await attempt(session, visitor, call)
    if isinstance(outcome, Refused):
        return await _case_page(
            request, visitor, session, runtime, case_id, status=outcome.status, error=outcome.detail
        )
    return see_other(_case_path(case_id), done=done)


async def _refuse_input(
    request: Request,
    visitor: Visitor,
    session: AsyncSession,
    runtime: Runtime,
    case_id: uuid.UUID | None,
    message: str,
) -> Response:
    return await _case_page(request, visitor, session, runtime, case_id, status=422, error=message)


@router.post("/cases/{case_id}/take")
async def take(
    case_id: str,
    request: Request,
    visitor: SafetyDep,
    _form: ConsoleFormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    wanted = _case_id(case_id)
    call = safety.take(session, runtime, _staff(visitor), wanted) if wanted else None
    return await _act(request, visitor, session, runtime, wanted, call, "taken")


@router.post("/cases/{case_id}/dispatch")
async def dispatch(
    case_id: str,
    request: Request,
    visitor: SafetyDep,
    form: ConsoleFormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    wanted = _case_id(case_id)
    try:
        body = DispatchIn.model_validate({"service": form_text(form, "service")})
    except ValidationError:
        return await _refuse_input(
            request, visitor, session, runtime, wanted, "Choose police, fire or ambulance."
        )
    call = (
        safety.dispatch(session, runtime, _staff(visitor), wanted, service=body.service)
        if wanted
        else None
    )
    return await _act(request, visitor, session, runtime, wanted, call, "dispatched")


@router.post("/cases/{case_id}/accidental")
async def accidental(
    case_id: str,
    request: Request,
    visitor: SafetyDep,
    _form: ConsoleFormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    wanted = _case_id(case_id)
    call = safety.mark_accidental(session, runtime, _staff(visitor), wanted) if wanted else None
    return await _act(request, visitor, session, runtime, wanted, call, "accidental")


@router.post("/cases/{case_id}/close")
async def close(
    case_id: str,
    request: Request,
    visitor: SafetyDep,
    form: ConsoleFormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    wanted = _case_id(case_id)
    try:
        body = CloseIn.model_validate(
            {"outcome": form_text(form, "outcome"), "note": form_text(form, "note")}
        )
    except ValidationError as exc:
        errors = field_errors(exc)
        message = (
            "Choose the outcome of the case."
            if "outcome" in errors
            else f"The note cannot be saved: {errors.get('note', 'check it')}"
        )
        return await _refuse_input(request, visitor, session, runtime, wanted, message)
    call = (
        safety.close(
            session, runtime, _staff(visitor), wanted, outcome=body.outcome, text=body.note
        )
        if wanted
        else None
    )
    return await _act(request, visitor, session, runtime, wanted, call, "closed")


@router.post("/cases/{case_id}/checks")
async def checks(
    case_id: str,
    request: Request,
    visitor: SafetyDep,
    form: ConsoleFormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    wanted = _case_id(case_id)
    body = TheftChecksIn(
        police_reference_confirmed=form.get("police_reference_confirmed") == "yes",
        identity_confirmed=form.get("identity_confirmed") == "yes",
    )
    call = safety.record_checks(session, runtime, _staff(visitor), wanted, body) if wanted else None
    return await _act(request, visitor, session, runtime, wanted, call, "checked")


@router.post("/cases/{case_id}/tracking/start")
async def start_tracking(
    case_id: str,
    request: Request,
    visitor: SafetyDep,
    _form: ConsoleFormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    wanted = _case_id(case_id)
    call = safety.start_tracking(session, runtime, _staff(visitor), wanted) if wanted else None
    return await _act(request, visitor, session, runtime, wanted, call, "tracking_started")


@router.post("/cases/{case_id}/tracking/stop")
async def stop_tracking(
    case_id: str,
    request: Request,
    visitor: SafetyDep,
    form: ConsoleFormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    wanted = _case_id(case_id)
    try:
        body = TrackingStopIn.model_validate({"ended_by": form_text(form, "ended_by")})
    except ValidationError:
        return await _refuse_input(
            request,
            visitor,
            session,
            runtime,
            wanted,
            "Say who asked to end tracking: the police or the person who reported the theft.",
        )
    call = (
        safety.stop_tracking(session, runtime, _staff(visitor), wanted, ended_by=body.ended_by)
        if wanted
        else None
    )
    return await _act(request, visitor, session, runtime, wanted, call, "tracking_stopped")


@router.post("/cases/{case_id}/police-links")
async def police_link(
    case_id: str,
    request: Request,
    visitor: SafetyDep,
    form: ConsoleFormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """The link is shown once, on this answer (not after a redirect: it is never stored)."""
    wanted = _case_id(case_id)
    try:
        body = PoliceLinkIn.model_validate({"hours": form_text(form, "hours")})
    except ValidationError:
        return await _refuse_input(
            request,
            visitor,
            session,
            runtime,
            wanted,
            "Give the link's lifetime in whole hours, from 1 to 168 (7 days).",
        )
    if wanted is None:
        return await _case_page(request, visitor, session, runtime, None)
    outcome = await attempt(
        session,
        visitor,
        safety.create_police_link(session, runtime, _staff(visitor), wanted, hours=body.hours),
    )
    if isinstance(outcome, Refused):
        return await _case_page(
            request, visitor, session, runtime, wanted, status=outcome.status, error=outcome.detail
        )
    token, expires_at = outcome
    url = f"{runtime.settings.public_url.rstrip('/')}/police/{token}"
    return await _case_page(
        request,
        visitor,
        session,
        runtime,
        wanted,
        police_link={"url": url, "expires_at": expires_at},
        notice="The police link is made. Copy it now: it is shown only this once.",
    )


@router.get("/cases/{case_id}/positions.csv")
async def positions_csv(
    case_id: str, request: Request, visitor: SafetyDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    wanted = _case_id(case_id)
    if wanted is None:
        return await _case_page(request, visitor, session, runtime, None)
    reason = await console_access.remembered(session, runtime, visitor, safety.case_subject(wanted))
    outcome = await attempt(
        session,
        visitor,
        safety.export_csv(session, runtime, _staff(visitor), wanted, reason=reason),
    )
    if isinstance(outcome, Refused):
        return await _case_page(
            request, visitor, session, runtime, wanted, status=outcome.status, error=outcome.detail
        )
    name, text = outcome
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
