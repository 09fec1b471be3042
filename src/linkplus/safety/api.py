"""The safety API: the owner's side under /vehicles/{vin}/safety, the agents' console under
/staff/safety (emergency and stolen-vehicle agents, supervisors; every view and action is
audited), the staff switch of a car's safety features, and the police link."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.responses import Response, StreamingResponse

from linkplus.audit.deps import AccessReasonDep
from linkplus.auth.deps import staff_with_role
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import problem_responses
from linkplus.garage.deps import PrimaryVehicle
from linkplus.kit.parsing import StrictInt
from linkplus.models.accounts import StaffAccount, StaffRole
from linkplus.safety import service
from linkplus.safety.schemas import (
    CaseOut,
    CaseSummaryOut,
    CloseIn,
    DispatchIn,
    FeaturesIn,
    FeaturesOut,
    PoliceLinkIn,
    PoliceLinkOut,
    PoliceViewOut,
    PositionOut,
    ReactivationConfirmIn,
    ReactivationStartIn,
    ReactivationStartOut,
    SafetyEventOut,
    SafetyStatusOut,
    TheftChecksIn,
    TheftOpenIn,
    TheftReportIn,
    TheftStateOut,
    TrackingStopIn,
)

router = APIRouter(tags=["safety"], responses=problem_responses(404, 409))
staff_router = APIRouter(tags=["staff", "safety"], responses=problem_responses(404, 409))

SafetyStaff = Annotated[
    StaffAccount,
    Depends(staff_with_role(StaffRole.emergency_agent, StaffRole.svt_agent, StaffRole.supervisor)),
]
DealerOrAgent = Annotated[StaffAccount, Depends(staff_with_role(StaffRole.dealer, StaffRole.agent))]
EntryNumber = Annotated[int, StrictInt(0, 2**62)]


# --- the owner ---------------------------------------------------------------------------------


@router.get("/vehicles/{vin}/safety")
async def safety_status(
    car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> SafetyStatusOut:
    """The emergency system's light and what it means, the safety services (always active), and
    a theft report in progress."""
    return await service.safety_status(session, runtime, car)


@router.get("/vehicles/{vin}/safety/events")
async def safety_events(
    car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> list[SafetyEventOut]:
    """The car's SOS calls, collision notifications and theft reports in your time with it,
    newest first (never the positions of a tracking)."""
    return await service.safety_events(session, runtime, car)


@router.post("/vehicles/{vin}/safety/theft", status_code=status.HTTP_201_CREATED)
async def report_theft(
    body: TheftReportIn, car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> TheftStateOut:
    """Report the car stolen, with the police report number."""
    await service.report_by_owner(session, runtime, car, police_reference=body.police_reference)
    state = (await service.safety_status(session, runtime, car)).theft
    assert state is not None  # just reported
    return state


@router.post("/vehicles/{vin}/safety/reactivation")
async def start_reactivation(
    body: ReactivationStartIn, car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> ReactivationStartOut:
    """After the recovery, step 1: your password; a code goes to your e-mail address."""
    sent_to, expires_at = await service.start_reactivation(
        session, runtime, car, password=body.password
    )
    return ReactivationStartOut(sent_to=sent_to, expires_at=expires_at)


@router.post("/vehicles/{vin}/safety/reactivation/confirm")
async def confirm_reactivation(
    body: ReactivationConfirmIn, car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> SafetyStatusOut:
    """Step 2: the code from the e-mail. Location and remote services come back."""
    await service.confirm_reactivation(session, runtime, car, code=body.code)
    return await service.safety_status(session, runtime, car)


# --- the agents' console -------------------------------------------------------------------------


@staff_router.get("/staff/safety/cases")
async def case_queue(
    staff: SafetyStaff,
    session: SessionDep,
    runtime: RuntimeDep,
    closed: Annotated[bool, Query()] = False,
) -> list[CaseSummaryOut]:
    """The cases of your kinds, newest first: open and taken ones, or (``closed``) the closed."""
    return await service.queue(session, runtime, staff, closed=closed)


@staff_router.get(
    "/staff/safety/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def case_stream(
    staff: SafetyStaff,
    session: SessionDep,
    request: Request,
    runtime: RuntimeDep,
    max_events: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    after: Annotated[EntryNumber | None, Query()] = None,
    last_event_id: Annotated[EntryNumber | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """Server-sent events: a new case and every change of a case of your kinds, as it happens."""
    start = after if after is not None else last_event_id
    if start is None:
        start = await service.stream_start(session)
    events = service.case_events(
        runtime, staff, after_id=start, max_events=max_events, disconnected=request.is_disconnected
    )
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@staff_router.get("/staff/safety/cases/{case_id}")
async def case_detail(
    case_id: uuid.UUID, staff: SafetyStaff, session: SessionDep, runtime: RuntimeDep
) -> CaseOut:
    """One case in full; the car and its owner's name and phone only on an open case you have
    taken. Audited."""
    return await service.case_detail(session, runtime, staff, case_id)


async def _detail(
    session: SessionDep, runtime: RuntimeDep, staff: StaffAccount, case_id: uuid.UUID
) -> CaseOut:
    return await service.case_detail(session, runtime, staff, case_id, record_view=False)


@staff_router.post("/staff/safety/cases/{case_id}/take")
async def take_case(
    case_id: uuid.UUID, staff: SafetyStaff, session: SessionDep, runtime: RuntimeDep
) -> CaseOut:
    """Take the case (answer its call); a supervisor may take over another agent's."""
    await service.take(session, runtime, staff, case_id)
    return await _detail(session, runtime, staff, case_id)


@staff_router.post("/staff/safety/cases/{case_id}/dispatch")
async def dispatch(
    case_id: uuid.UUID,
    body: DispatchIn,
    staff: SafetyStaff,
    session: SessionDep,
    runtime: RuntimeDep,
) -> CaseOut:
    """Record that police, fire or ambulance were sent to the car's position."""
    await service.dispatch(session, runtime, staff, case_id, service=body.service)
    return await _detail(session, runtime, staff, case_id)


@staff_router.post("/staff/safety/cases/{case_id}/accidental")
async def mark_accidental(
    case_id: uuid.UUID, staff: SafetyStaff, session: SessionDep, runtime: RuntimeDep
) -> CaseOut:
    """An accidental press: recorded, and the case closed without dispatch."""
    await service.mark_accidental(session, runtime, staff, case_id)
    return await _detail(session, runtime, staff, case_id)


@staff_router.post("/staff/safety/cases/{case_id}/close")
async def close_case(
    case_id: uuid.UUID,
    body: CloseIn,
    staff: SafetyStaff,
    session: SessionDep,
    runtime: RuntimeDep,
) -> CaseOut:
    """Close an SOS or collision case with its outcome."""
    await service.close(session, runtime, staff, case_id, outcome=body.outcome, text=body.note)
    return await _detail(session, runtime, staff, case_id)


@staff_router.post("/staff/safety/thefts", status_code=status.HTTP_201_CREATED)
async def open_theft(
    body: TheftOpenIn, staff: SafetyStaff, session: SessionDep, runtime: RuntimeDep
) -> CaseOut:
    """Enter a theft reported by phone: the car by VIN or plate, and the police report number."""
    case = await service.report_by_phone(session, runtime, staff, body)
    return await _detail(session, runtime, staff, case.id)


@staff_router.post("/staff/safety/cases/{case_id}/checks")
async def record_checks(
    case_id: uuid.UUID,
    body: TheftChecksIn,
    staff: SafetyStaff,
    session: SessionDep,
    runtime: RuntimeDep,
) -> CaseOut:
    """Record the checks of a theft report; the tracking service is looked up here."""
    await service.record_checks(session, runtime, staff, case_id, body)
    return await _detail(session, runtime, staff, case_id)


@staff_router.post("/staff/safety/cases/{case_id}/tracking/start")
async def start_tracking(
    case_id: uuid.UUID, staff: SafetyStaff, session: SessionDep, runtime: RuntimeDep
) -> CaseOut:
    """Start tracking with a signed command to the car."""
    await service.start_tracking(session, runtime, staff, case_id)
    return await _detail(session, runtime, staff, case_id)


@staff_router.post("/staff/safety/cases/{case_id}/tracking/stop")
async def stop_tracking(
    case_id: uuid.UUID,
    body: TrackingStopIn,
    staff: SafetyStaff,
    session: SessionDep,
    runtime: RuntimeDep,
) -> CaseOut:
    """End tracking at the request of the police or of the person who reported the theft."""
    await service.stop_tracking(session, runtime, staff, case_id, ended_by=body.ended_by)
    return await _detail(session, runtime, staff, case_id)


@staff_router.get("/staff/safety/cases/{case_id}/positions")
async def case_positions(
    case_id: uuid.UUID,
    staff: SafetyStaff,
    reason: AccessReasonDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> list[PositionOut]:
    """The position trail, oldest first (audited). The case is the reason for the agent who
    holds it; anyone else gives one (``reason``, ``reason_text``), which the owner sees."""
    trail = await service.positions(session, runtime, staff, case_id, reason=reason)
    return [
        PositionOut(ts=ts, latitude=lat, longitude=lon, heading=heading)
        for ts, lat, lon, heading in trail
    ]


@staff_router.get(
    "/staff/safety/cases/{case_id}/positions.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def export_positions(
    case_id: uuid.UUID,
    staff: SafetyStaff,
    reason: AccessReasonDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """The trail as CSV, to hand to the police (audited; a reason as for the trail)."""
    name, text = await service.export_csv(session, runtime, staff, case_id, reason=reason)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@staff_router.post(
    "/staff/safety/cases/{case_id}/police-links", status_code=status.HTTP_201_CREATED
)
async def create_police_link(
    case_id: uuid.UUID,
    body: PoliceLinkIn,
    staff: SafetyStaff,
    session: SessionDep,
    runtime: RuntimeDep,
) -> PoliceLinkOut:
    """A link for the police that shows the case's positions until it expires (shown once)."""
    token, expires_at = await service.create_police_link(
        session, runtime, staff, case_id, hours=body.hours
    )
    url = f"{runtime.settings.public_url.rstrip('/')}/police/{token}"
    return PoliceLinkOut(url=url, expires_at=expires_at)


@staff_router.put("/staff/vehicles/{vin}/safety-features")
async def switch_features(
    vin: str, body: FeaturesIn, staff: DealerOrAgent, session: SessionDep, runtime: RuntimeDep
) -> FeaturesOut:
    """Switch the car's safety features off or on again, with the reason (audited). Owners
    cannot switch them off."""
    return await service.switch_features(
        session, runtime, staff, vin, enabled=body.enabled, reason=body.reason
    )


# --- the police ----------------------------------------------------------------------------------


@router.get("/police/{token}")
async def police_view(token: str, session: SessionDep, runtime: RuntimeDep) -> PoliceViewOut:
    """What a police link shows: the car and its positions, until the link expires."""
    case, vehicle, trail, expires_at = await service.police_view(session, runtime, token)
    return PoliceViewOut(
        police_reference=case.police_reference,
        vin=case.vin,
        registration_plate=vehicle.registration_plate if vehicle is not None else None,
        model=None,
        tracking=case.tracking,
        positions=[
            PositionOut(ts=ts, latitude=lat, longitude=lon, heading=heading)
            for ts, lat, lon, heading in trail
        ],
        expires_at=expires_at,
    )
