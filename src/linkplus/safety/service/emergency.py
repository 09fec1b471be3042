"""Emergency cases: the car's SOS calls and collision notifications, as they reach the platform
(in the gateway's transaction, so a case is on record as soon as the message is), and the
emergency agents' handling of them."""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.events import publish
from linkplus.garage import service as garage
from linkplus.models.accounts import StaffAccount
from linkplus.models.privacy import LocationPurpose
from linkplus.models.safety import CaseKind, CaseState, SafetyCase
from linkplus.privacy import service as privacy
from linkplus.runtime import Runtime
from linkplus.safety import msd, repository
from linkplus.safety.errors import (
    AlreadyDispatched,
    CaseClosed,
    CaseNotTaken,
    CaseTakenByAnother,
    WrongCaseKind,
)
from linkplus.safety.events import CaseOpened
from linkplus.safety.rules import EMERGENCY_OUTCOMES
from linkplus.safety.service._common import EMERGENCY_KINDS, note, staff_case
from linkplus.vehicle_link.events import EmergencyReported, EmergencyVoiceReported

log = structlog.get_logger("linkplus.safety")


def decoded(case: SafetyCase) -> tuple[msd.MinimumSetOfData | None, str | None]:
    """The case's data set, or why it cannot be read (the case stands either way)."""
    if case.msd is None:
        return None, None
    try:
        return msd.decode(case.msd), None
    except msd.MsdError as exc:
        return None, str(exc)


async def on_emergency(session: AsyncSession, runtime: Runtime, event: EmergencyReported) -> None:
    """One attempt of a car's emergency call: open the incident's case at its first attempt
    (whichever arrives first), record each attempt once, keep the newest data set. Never
    refuses: an emergency is on record even when its data set cannot be read."""
    now = runtime.clock.now()
    kind = CaseKind.sos if event.type == "emergency_button" else CaseKind.collision
    case = await repository.case_by_incident(session, vin=event.vin, incident_id=event.incident_id)
    opened = False
    if case is None:
        opened = await repository.insert_case_once(
            session,
            {
                "id": uuid.uuid4(),
                "vin": event.vin,
                "kind": kind.value,
                "state": CaseState.open.value,
                "trigger": event.sensor or "sos_button",
                "incident_id": event.incident_id,
                "account_id": await garage.primary_account_at(
                    session, event.vin, event.occurred_at
                ),
                "opened_at": now,
                "updated_at": now,
                "attempts": 0,
                "dispatched": [],
                "checks": {},
                "tracking": "none",
            },
        )
        case = await repository.case_by_incident(
            session, vin=event.vin, incident_id=event.incident_id
        )
        if case is None:  # pragma: no cover - inserted or found just above
            raise LookupError(f"no case for incident {event.incident_id}")
    fresh = await repository.add_attempt(
        session,
        {
            "case_id": case.id,
            "msg_id": event.msg_id,
            "attempt": event.attempt,
            "occurred_at": event.occurred_at,
            "received_at": now,
            "call_state": event.call,
        },
    )
    if opened:
        await note(
            session,
            case,
            at=now,
            actor_type="vehicle",
            actor_id=event.vin,
            action="opened",
            detail={"kind": case.kind, "trigger": case.trigger},
        )
        await privacy.hold_location(
            session,
            runtime,
            vin=event.vin,
            purpose=LocationPurpose.emergency,
            reference=str(case.id),
            at=event.occurred_at,
        )
    if not fresh:
        return
    await _take_data_set(case, event)
    case.attempts = max(case.attempts, event.attempt)
    case.call_state = event.call
    case.updated_at = now
    await note(
        session,
        case,
        at=now,
        actor_type="vehicle",
        actor_id=event.vin,
        action="attempt",
        detail={"attempt": event.attempt, "call": event.call},
    )
    if opened:
        await publish(session, CaseOpened(case_id=case.id), now=now)


async def _take_data_set(case: SafetyCase, event: EmergencyReported) -> None:
    """Keep the data set of the newest attempt; an unreadable one is kept as it came (the
    agents see that it could not be read) unless a readable one is on record."""
    try:
        raw = msd.from_text(event.msd)
    except msd.MsdError as exc:
        log.warning("emergency_data_set_unreadable", vin=event.vin, error=str(exc))
        return
    try:
        data = msd.decode(raw)
    except msd.MsdError as exc:
        log.warning("emergency_data_set_unreadable", vin=event.vin, error=str(exc))
        if case.msd is None:
            case.msd = raw  # the agents see that it came and why it cannot be read
        return
    readable_before = case.msd is not None and decoded(case)[0] is not None
    if event.attempt >= case.attempts or not readable_before:
        case.msd = raw
        if data.position is not None:  # a data set without a fix keeps the last known place
            case.latitude = data.position.latitude
            case.longitude = data.position.longitude


async def on_voice(session: AsyncSession, runtime: Runtime, event: EmergencyVoiceReported) -> None:
    """What the voice line found: the occupants answer, or nobody does."""
    case = await repository.case_by_incident(session, vin=event.vin, incident_id=event.incident_id)
    if case is None:
        log.warning("emergency_voice_without_case", vin=event.vin)
        return
    now = runtime.clock.now()
    case.occupant = event.occupant
    case.updated_at = now
    await note(
        session,
        case,
        at=now,
        actor_type="vehicle",
        actor_id=event.vin,
        action="voice",
        detail={"occupant": event.occupant},
    )


# --- the emergency agent -------------------------------------------------------------------------


def _require_emergency(case: SafetyCase) -> None:
    if case.kind not in EMERGENCY_KINDS:
        raise WrongCaseKind("This is done on SOS and collision cases only.")


def _require_mine(case: SafetyCase, staff: StaffAccount) -> None:
    if case.state == CaseState.closed.value:
        raise CaseClosed()
    if case.taken_by is None:
        raise CaseNotTaken()
    if case.taken_by != staff.id:
        raise CaseTakenByAnother()


async def take(
    session: AsyncSession, runtime: Runtime, staff: StaffAccount, case_id: uuid.UUID
) -> SafetyCase:
    """Take a case from the queue (answer its call). Taking one's own case again is harmless;
    a supervisor may take over another agent's case."""
    case = await staff_case(session, staff, case_id, for_update=True)
    if case.state == CaseState.closed.value:
        raise CaseClosed()
    if case.taken_by == staff.id:
        return case
    if case.taken_by is not None and staff.role not in ("supervisor", "admin"):
        raise CaseTakenByAnother()
    now = runtime.clock.now()
    previous = case.taken_by
    case.taken_by = staff.id
    case.taken_at = now
    case.state = CaseState.taken.value
    case.updated_at = now
    await note(
        session,
        case,
        at=now,
        actor_type="staff",
        actor_id=str(staff.id),
        action="taken",
        detail={"from": str(previous)} if previous else None,
    )
    return case


async def dispatch(
    session: AsyncSession,
    runtime: Runtime,
    staff: StaffAccount,
    case_id: uuid.UUID,
    *,
    service: str,
) -> SafetyCase:
    """Record that ``service`` (police, fire, ambulance) was sent to the car's position."""
    case = await staff_case(session, staff, case_id, for_update=True)
    _require_emergency(case)
    _require_mine(case, staff)
    now = runtime.clock.now()
    case.dispatched = [
        *case.dispatched,
        {
            "service": service,
            "at": now.isoformat(),
            "by": str(staff.id),
            "latitude": case.latitude,
            "longitude": case.longitude,
        },
    ]
    case.updated_at = now
    await note(
        session,
        case,
        at=now,
        actor_type="staff",
        actor_id=str(staff.id),
        action="dispatched",
        detail={"service": service, "occupant": case.occupant},
    )
    return case


async def mark_accidental(
    session: AsyncSession, runtime: Runtime, staff: StaffAccount, case_id: uuid.UUID
) -> SafetyCase:
    """An accidental press: recorded and closed without dispatch."""
    case = await staff_case(session, staff, case_id, for_update=True)
    _require_emergency(case)
    _require_mine(case, staff)
    if case.dispatched:
        raise AlreadyDispatched()
    return await _close(session, runtime, staff, case, outcome="accidental", text="")


async def close(
    session: AsyncSession,
    runtime: Runtime,
    staff: StaffAccount,
    case_id: uuid.UUID,
    *,
    outcome: str,
    text: str,
) -> SafetyCase:
    case = await staff_case(session, staff, case_id, for_update=True)
    _require_emergency(case)
    _require_mine(case, staff)
    if outcome not in EMERGENCY_OUTCOMES:
        raise WrongCaseKind(f"The outcome {outcome!r} is for theft cases.")
    if outcome in ("dispatched", "no_answer_dispatched") and not case.dispatched:
        raise WrongCaseKind("Record what you dispatched before you close the case with it.")
    return await _close(session, runtime, staff, case, outcome=outcome, text=text)


async def _close(
    session: AsyncSession,
    runtime: Runtime,
    staff: StaffAccount,
    case: SafetyCase,
    *,
    outcome: str,
    text: str,
) -> SafetyCase:
    now = runtime.clock.now()
    case.state = CaseState.closed.value
    case.outcome = outcome
    case.closed_at = now
    case.updated_at = now
    await note(
        session,
        case,
        at=now,
        actor_type="staff",
        actor_id=str(staff.id),
        action="closed",
        detail={"outcome": outcome, "note": text} if text else {"outcome": outcome},
    )
    await privacy.release_location(session, runtime, vin=case.vin, reference=str(case.id), at=now)
    return case
