"""Stolen-vehicle tracking: the theft report (by the owner in the app, or by phone through an
agent), the agent's checks, tracking on and off with signed commands to the car, the position
trail and what the police may see, and the owner's reactivation after the recovery.

While a theft case is open (from the start of tracking until the owner reactivates), the car's
location is held for the case (privacy's location hold: positions are kept whatever the
privacy mode and reach only the case's agents and the police) and remote control is off."""

from __future__ import annotations

import csv
import io
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.accounts import service as accounts
from linkplus.connected_services import service as connected_services
from linkplus.events import publish
from linkplus.garage import service as garage
from linkplus.garage.service.access import CallerVehicle
from linkplus.kit.secrets import new_token, same, token_hash
from linkplus.models.accounts import StaffAccount
from linkplus.models.notifications import Category
from linkplus.models.privacy import LocationPurpose
from linkplus.models.safety import (
    CaseKind,
    CaseState,
    PoliceLink,
    Reactivation,
    SafetyCase,
    TrackingState,
)
from linkplus.models.vehicles import Vehicle
from linkplus.notifications import service as notifications
from linkplus.privacy import service as privacy
from linkplus.remote import service as remote
from linkplus.runtime import Runtime
from linkplus.safety import repository
from linkplus.safety.errors import (
    CarUnreachable,
    CaseClosed,
    CaseNotTaken,
    CaseTakenByAnother,
    NothingToReactivate,
    PoliceLinkNotFound,
    SafetySwitchedOff,
    StillTracking,
    TheftAlreadyReported,
    TheftCheckFailed,
    TrackingNotActive,
    TrackingUnavailable,
    WrongCaseKind,
    WrongCode,
)
from linkplus.safety.events import CaseOpened, TrackingChanged
from linkplus.safety.rules import (
    POLICE_LINK_HOURS_MAX,
    REACTIVATION_CODE_LIFETIME,
    REACTIVATION_CODE_TRIES,
    TRACKING_COMMAND_LIFETIME,
    TRACKING_INTERVAL_SECONDS,
)
from linkplus.safety.schemas import TheftByVinIn, TheftChecksIn, TheftOpenIn
from linkplus.safety.service._common import note, staff_case
from linkplus.seams.commands import PublishFailed
from linkplus.vehicle_link.events import HeldPosition, TrackingReported
from linkplus.vehicles import service as vehicles

TRACKING_SERVICE = "stolen_vehicle_tracking"
TRACKING_START = "tracking_start"
TRACKING_STOP = "tracking_stop"

POSITIONS_MAX = 5000


async def _command(
    session: AsyncSession, runtime: Runtime, case: SafetyCase, wire_name: str, **params: str | int
) -> uuid.UUID:
    """Send a signed tracking command; ``CarUnreachable`` when the broker cannot take it. Called
    before the case changes: the counter (and the agent's look at the case, audited) is
    committed before the publish, the case's changes after it, so a refusal leaves the case as
    it was (``remote.send_system_command``)."""
    try:
        return await remote.send_system_command(
            session,
            runtime,
            vin=case.vin,
            wire_name=wire_name,
            params={"case": str(case.id), **params},
            lifetime=TRACKING_COMMAND_LIFETIME,
        )
    except (remote.NoBroker, PublishFailed, TimeoutError) as exc:
        raise CarUnreachable() from exc


async def _switched_off(session: AsyncSession, vin: str) -> bool:
    system = await repository.system_of(session, vin)
    return system is not None and system.switched_off_at is not None


# --- reports -------------------------------------------------------------------------------------


async def report_by_owner(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, *, police_reference: str
) -> SafetyCase:
    """The owner reports the car stolen in the app, with the police report number. The stolen-
    vehicle agents check it and start tracking."""
    vin = caller.vehicle.vin
    if await repository.open_theft(session, vin=vin, for_update=True) is not None:
        raise TheftAlreadyReported()
    now = runtime.clock.now()
    case = SafetyCase(
        id=uuid.uuid4(),
        vin=vin,
        kind=CaseKind.theft.value,
        state=CaseState.open.value,
        trigger="owner_report",
        incident_id=None,
        account_id=caller.account.id,
        opened_at=now,
        updated_at=now,
        attempts=0,
        dispatched=[],
        police_reference=police_reference.strip(),
        reported_via="app",
        checks={},
        tracking=TrackingState.none.value,
    )
    await repository.add(session, case)
    await note(
        session,
        case,
        at=now,
        actor_type="owner",
        actor_id=str(caller.account.id),
        action="reported",
        detail={"police_reference": case.police_reference, "via": "app"},
    )
    await publish(session, CaseOpened(case_id=case.id), now=now)
    return case


async def report_by_phone(
    session: AsyncSession, runtime: Runtime, staff: StaffAccount, body: TheftOpenIn
) -> SafetyCase:
    """The agent enters a theft reported by phone: the car by VIN or plate, and the police
    report number. The case is the agent's at once."""
    vehicle: Vehicle | None
    if isinstance(body, TheftByVinIn):
        vehicle = await vehicles.get_vehicle(session, body.vin.upper())
    else:
        vehicle = await vehicles.find_by_plate(session, body.plate)
    if vehicle is None:
        raise TheftCheckFailed(
            "No car has this VIN or registration plate. Read it back to the caller and check it."
        )
    if await repository.open_theft(session, vin=vehicle.vin, for_update=True) is not None:
        raise TheftAlreadyReported()
    now = runtime.clock.now()
    case = SafetyCase(
        id=uuid.uuid4(),
        vin=vehicle.vin,
        kind=CaseKind.theft.value,
        state=CaseState.taken.value,
        trigger="phone_report",
        incident_id=None,
        account_id=await garage.primary_account_id(session, vehicle.vin),
        opened_at=now,
        updated_at=now,
        attempts=0,
        dispatched=[],
        taken_by=staff.id,
        taken_at=now,
        police_reference=body.police_reference.strip(),
        reported_via="phone",
        checks={"car_found_by": "vin" if isinstance(body, TheftByVinIn) else "plate"},
        tracking=TrackingState.none.value,
    )
    await repository.add(session, case)
    await note(
        session,
        case,
        at=now,
        actor_type="staff",
        actor_id=str(staff.id),
        action="reported",
        detail={"police_reference": case.police_reference, "via": "phone"},
    )
    await publish(session, CaseOpened(case_id=case.id), now=now)
    return case


def _require_theft(case: SafetyCase) -> None:
    if case.kind != CaseKind.theft.value:
        raise WrongCaseKind("This is done on theft cases only.")


def _require_mine(case: SafetyCase, staff: StaffAccount) -> None:
    if case.state == CaseState.closed.value:
        raise CaseClosed()
    if case.taken_by is None:
        raise CaseNotTaken()
    if case.taken_by != staff.id:
        raise CaseTakenByAnother()


async def record_checks(
    session: AsyncSession,
    runtime: Runtime,
    staff: StaffAccount,
    case_id: uuid.UUID,
    body: TheftChecksIn,
) -> SafetyCase:
    """The agent's checks: the police report number and the caller's identity, confirmed by
    the agent; whether the tracking service runs for the car, looked up here."""
    case = await staff_case(session, staff, case_id, for_update=True)
    _require_theft(case)
    _require_mine(case, staff)
    now = runtime.clock.now()
    active = await connected_services.is_active(
        session, runtime, vin=case.vin, service=TRACKING_SERVICE
    )
    case.checks = {
        **case.checks,
        "police_reference_confirmed": body.police_reference_confirmed,
        "identity_confirmed": body.identity_confirmed,
        "service_active": active,
        "checked_at": now.isoformat(),
    }
    case.updated_at = now
    await note(
        session,
        case,
        at=now,
        actor_type="staff",
        actor_id=str(staff.id),
        action="checked",
        detail={k: v for k, v in case.checks.items() if k != "checked_at"},
    )
    return case


async def start_tracking(
    session: AsyncSession, runtime: Runtime, staff: StaffAccount, case_id: uuid.UUID
) -> SafetyCase:
    """Send the signed start to the car, hold its location for the case and turn remote
    control off. Needs the checks passed and the tracking service running."""
    case = await staff_case(session, staff, case_id, for_update=True)
    _require_theft(case)
    _require_mine(case, staff)
    if case.tracking in (TrackingState.active.value, TrackingState.paused.value):
        return case
    if case.tracking == TrackingState.ended.value:
        raise TrackingUnavailable("Tracking of this case has ended. Open a new case if needed.")
    checks = case.checks
    if not (checks.get("police_reference_confirmed") and checks.get("identity_confirmed")):
        raise TrackingUnavailable(
            "Confirm the police report number and the caller's identity first (record the checks)."
        )
    if not await connected_services.is_active(
        session, runtime, vin=case.vin, service=TRACKING_SERVICE
    ):
        raise TrackingUnavailable(
            "The stolen-vehicle tracking service does not run for this car (its complimentary "
            "period ended without a subscription). Tell the caller; tracking cannot start."
        )
    if await _switched_off(session, case.vin):
        raise SafetySwitchedOff()
    now = runtime.clock.now()
    # The hold is in place before the start leaves (it commits with the command's counter):
    # the car's first tracking position can reach the gateway before this request commits,
    # and it must already find the case's hold, or it would be handled as an ordinary position.
    await privacy.hold_location(
        session,
        runtime,
        vin=case.vin,
        purpose=LocationPurpose.theft,
        reference=str(case.id),
        at=now,
    )
    try:
        command_id = await _command(
            session, runtime, case, TRACKING_START, interval_s=TRACKING_INTERVAL_SECONDS
        )
    except CarUnreachable:
        # The car never got the start: the hold ends where it began, so it covers nothing.
        await privacy.release_location(
            session, runtime, vin=case.vin, reference=str(case.id), at=now
        )
        await runtime.db.commit(session)
        raise
    await remote.set_stolen_vehicle_tracking(
        session, vin=case.vin, active=True, now=now, reference=str(case.id)
    )
    case.tracking = TrackingState.active.value
    case.tracking_started_at = now
    case.updated_at = now
    await note(
        session,
        case,
        at=now,
        actor_type="staff",
        actor_id=str(staff.id),
        action="tracking_started",
        detail={"command_id": str(command_id)},
    )
    await publish(session, TrackingChanged(case_id=case.id, tracking=case.tracking), now=now)
    return case


async def stop_tracking(
    session: AsyncSession,
    runtime: Runtime,
    staff: StaffAccount,
    case_id: uuid.UUID,
    *,
    ended_by: str,
) -> SafetyCase:
    """Tracking ends at the request of the police or of the person who reported the theft;
    the agent records which. Remote control stays off until the owner reactivates."""
    case = await staff_case(session, staff, case_id, for_update=True)
    _require_theft(case)
    _require_mine(case, staff)
    if case.tracking not in (TrackingState.active.value, TrackingState.paused.value):
        raise TrackingNotActive()
    now = runtime.clock.now()
    command_id = await _command(session, runtime, case, TRACKING_STOP)
    case.tracking = TrackingState.ended.value
    case.tracking_ended_at = now
    case.tracking_ended_by = ended_by
    case.updated_at = now
    await note(
        session,
        case,
        at=now,
        actor_type="staff",
        actor_id=str(staff.id),
        action="tracking_stopped",
        detail={"ended_by": ended_by, "command_id": str(command_id)},
    )
    await publish(session, TrackingChanged(case_id=case.id, tracking=case.tracking), now=now)
    return case


async def on_tracking_reported(
    session: AsyncSession, runtime: Runtime, event: TrackingReported
) -> None:
    """The car paused tracking (flat or disconnected battery) or resumed it (power back, the
    case still open)."""
    case = await repository.open_theft(session, vin=event.vin, for_update=True)
    if case is None or case.tracking not in (
        TrackingState.active.value,
        TrackingState.paused.value,
    ):
        return
    wanted = {"paused": TrackingState.paused.value, "active": TrackingState.active.value}.get(
        event.phase
    )
    if wanted is None or wanted == case.tracking:
        return
    now = runtime.clock.now()
    case.tracking = wanted
    case.updated_at = now
    await note(
        session,
        case,
        at=now,
        actor_type="vehicle",
        actor_id=event.vin,
        action=f"tracking_{event.phase}",
        detail={"reason": event.reason} if event.reason else None,
    )
    await publish(session, TrackingChanged(case_id=case.id, tracking=case.tracking), now=now)


async def on_held_position(session: AsyncSession, runtime: Runtime, event: HeldPosition) -> None:
    """A position the car sent while a case held its location: the case's trail."""
    try:
        case_id = uuid.UUID(event.reference)
    except ValueError:
        return
    case = await repository.get_case(session, case_id)
    if case is None or case.vin != event.vin:
        return
    await repository.add_position(
        session,
        {
            "case_id": case.id,
            "ts": event.ts,
            "latitude": event.latitude,
            "longitude": event.longitude,
            "heading": event.heading,
        },
    )


# --- the trail and the police -----------------------------------------------------------------


async def positions(
    session: AsyncSession, runtime: Runtime, staff: StaffAccount, case_id: uuid.UUID
) -> list[tuple[datetime, float, float, float | None]]:
    """The case's position trail, oldest first (audited: who looked, when)."""
    case = await staff_case(session, staff, case_id)
    now = runtime.clock.now()
    await note(
        session,
        case,
        at=now,
        actor_type="staff",
        actor_id=str(staff.id),
        action="positions_viewed",
    )
    rows = await repository.positions_of(session, case.id, limit=POSITIONS_MAX)
    return [(r.ts, r.latitude, r.longitude, r.heading) for r in rows]


async def export_csv(
    session: AsyncSession, runtime: Runtime, staff: StaffAccount, case_id: uuid.UUID
) -> tuple[str, str]:
    """The trail as CSV for the police (audited); the file name and its text."""
    case = await staff_case(session, staff, case_id)
    _require_theft(case)
    now = runtime.clock.now()
    await note(session, case, at=now, actor_type="staff", actor_id=str(staff.id), action="exported")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time_utc", "latitude", "longitude", "heading"])
    for row in await repository.positions_of(session, case.id, limit=POSITIONS_MAX):
        writer.writerow(
            [
                row.ts.isoformat(),
                f"{row.latitude:.6f}",
                f"{row.longitude:.6f}",
                "" if row.heading is None else f"{row.heading:.0f}",
            ]
        )
    return f"theft-{case.police_reference or case.id}.csv".replace("/", "-"), out.getvalue()


async def create_police_link(
    session: AsyncSession,
    runtime: Runtime,
    staff: StaffAccount,
    case_id: uuid.UUID,
    *,
    hours: int,
) -> tuple[str, datetime]:
    """A link that shows this case's positions to the police until it expires; the token is
    shown once here and stored only as a hash."""
    case = await staff_case(session, staff, case_id)
    _require_theft(case)
    _require_mine(case, staff)
    now = runtime.clock.now()
    token = new_token()
    expires_at = now + timedelta(hours=min(hours, POLICE_LINK_HOURS_MAX))
    await repository.add(
        session,
        PoliceLink(
            case_id=case.id,
            token_hash=token_hash(token),
            created_at=now,
            created_by=staff.id,
            expires_at=expires_at,
        ),
    )
    await note(
        session,
        case,
        at=now,
        actor_type="staff",
        actor_id=str(staff.id),
        action="police_link_created",
        detail={"expires_at": expires_at.isoformat()},
    )
    return token, expires_at


async def police_view(
    session: AsyncSession, runtime: Runtime, token: str
) -> tuple[SafetyCase, Vehicle | None, list[tuple[datetime, float, float, float | None]], datetime]:
    """What a police link shows (each look is on the case's timeline)."""
    link = await repository.police_link(session, token_hash(token)) if token else None
    now = runtime.clock.now()
    if link is None or link.revoked_at is not None or link.expires_at <= now:
        raise PoliceLinkNotFound()
    case = await repository.get_case(session, link.case_id)
    if case is None:
        raise PoliceLinkNotFound()
    await note(
        session, case, at=now, actor_type="police", actor_id=str(link.id), action="police_viewed"
    )
    rows = await repository.positions_of(session, case.id, limit=POSITIONS_MAX)
    trail = [(r.ts, r.latitude, r.longitude, r.heading) for r in rows]
    return case, await vehicles.get_vehicle(session, case.vin), trail, link.expires_at


# --- the owner's reactivation ---------------------------------------------------------------------


async def start_reactivation(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, *, password: str
) -> tuple[str, datetime]:
    """Step 1: the password again; then a 6-digit code goes to the account's e-mail address."""
    case = await repository.open_theft(session, vin=caller.vehicle.vin, for_update=True)
    if case is None:
        raise NothingToReactivate()
    if case.tracking in (TrackingState.active.value, TrackingState.paused.value):
        raise StillTracking()
    await accounts.confirm_password(session, runtime, caller.account, password=password)
    now = runtime.clock.now()
    code = f"{secrets.randbelow(1_000_000):06d}"
    expires_at = now + REACTIVATION_CODE_LIFETIME
    await repository.add(
        session,
        Reactivation(
            case_id=case.id,
            account_id=caller.account.id,
            code_hash=token_hash(f"{case.id}:{code}"),
            created_at=now,
            expires_at=expires_at,
            tries=0,
        ),
    )
    await notifications.queue_email(
        session,
        now=now,
        to=caller.account.email,
        subject="Your code to reactivate your car's services",
        text=(
            f"Hello {caller.account.first_name},\n\n"
            f"Your code is {code}. Enter it in the app within "
            f"{int(REACTIVATION_CODE_LIFETIME.total_seconds() // 60)} minutes to reactivate "
            "the location and remote services of your car.\n\n"
            "If you did not ask for this, change your password now."
        ),
        account_id=caller.account.id,
        category=Category.account,
    )
    await note(
        session,
        case,
        at=now,
        actor_type="owner",
        actor_id=str(caller.account.id),
        action="reactivation_started",
    )
    return caller.account.email, expires_at


async def confirm_reactivation(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, *, code: str
) -> SafetyCase:
    """Step 2: the code from the e-mail. Location and remote services come back; the case is
    closed as recovered."""
    case = await repository.open_theft(session, vin=caller.vehicle.vin, for_update=True)
    if case is None:
        raise NothingToReactivate()
    if case.tracking in (TrackingState.active.value, TrackingState.paused.value):
        raise StillTracking()
    pending = await repository.latest_reactivation(
        session, case_id=case.id, account_id=caller.account.id
    )
    now = runtime.clock.now()
    if (
        pending is None
        or pending.confirmed_at is not None
        or pending.expires_at <= now
        or pending.tries >= REACTIVATION_CODE_TRIES
    ):
        raise WrongCode()
    if not same(pending.code_hash, token_hash(f"{case.id}:{code}")):
        pending.tries += 1
        await runtime.db.commit(session)  # the wrong try counts even though the request fails
        raise WrongCode()
    pending.confirmed_at = now
    await remote.set_stolen_vehicle_tracking(session, vin=case.vin, active=False, now=now)
    await privacy.release_location(session, runtime, vin=case.vin, reference=str(case.id), at=now)
    case.state = CaseState.closed.value
    case.outcome = "recovered"
    case.closed_at = now
    case.reactivated_at = now
    case.updated_at = now
    await note(
        session,
        case,
        at=now,
        actor_type="owner",
        actor_id=str(caller.account.id),
        action="reactivated",
    )
    return case


async def theft_of(session: AsyncSession, vin: str) -> SafetyCase | None:
    return await repository.open_theft(session, vin=vin)
