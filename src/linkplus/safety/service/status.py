"""The owner's side: the car's emergency system and safety services, the history of its safety
events (never the tracking positions), and the staff switch of the safety features."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.audit import service as audit
from linkplus.connected_services import service as connected_services
from linkplus.garage.errors import VehicleNotFound
from linkplus.garage.service.access import CallerVehicle
from linkplus.models.accounts import StaffAccount
from linkplus.models.safety import EmergencySystem, SafetyCase, TrackingState
from linkplus.runtime import Runtime
from linkplus.safety import repository
from linkplus.safety.rules import case_title, light_meaning, outcome_words
from linkplus.safety.schemas import (
    FeaturesOut,
    SafetyEventOut,
    SafetyServiceOut,
    SafetyStatusOut,
    TheftStateOut,
)
from linkplus.vehicle_link.events import EmergencySystemReported
from linkplus.vehicles import service as vehicles

HISTORY_LIMIT = 100

SERVICES = (
    ("sos", "SOS emergency call", "Always active: privacy mode and consents do not switch it off."),
    (
        "automatic_collision_notification",
        "Automatic collision notification",
        "Always active: after a crash the car calls for help by itself.",
    ),
    (
        "stolen_vehicle_tracking",
        "Stolen vehicle tracking",
        "Report a theft with the police report number; the customer centre tracks the car.",
    ),
)

# The safety page's codes that the services catalogue spells differently.
CATALOGUE_CODES = {"automatic_collision_notification": "collision_notification"}


async def on_system_reported(
    session: AsyncSession, runtime: Runtime, event: EmergencySystemReported
) -> None:
    """Keep the newest light the car reported (a late report does not overwrite a newer one)."""
    system = await repository.system_of(session, event.vin, for_update=True)
    if system is None:
        await repository.add(
            session, EmergencySystem(vin=event.vin, light=event.light, light_at=event.occurred_at)
        )
        return
    if system.light_at is None or event.occurred_at >= system.light_at:
        system.light = event.light
        system.light_at = event.occurred_at


def _theft_state(case: SafetyCase | None) -> TheftStateOut | None:
    if case is None:
        return None
    if case.tracking in (TrackingState.active.value, TrackingState.paused.value):
        return TheftStateOut(
            case_id=case.id,
            state="tracking",
            message=(
                "Your car is reported stolen and is being tracked. Location and remote control "
                "are off in the app; the police keep you informed."
            ),
            can_reactivate=False,
        )
    if case.tracking == TrackingState.ended.value:
        return TheftStateOut(
            case_id=case.id,
            state="awaiting_reactivation",
            message=(
                "Tracking has ended. Once you have your car back, reactivate its location and "
                "remote services."
            ),
            can_reactivate=True,
        )
    return TheftStateOut(
        case_id=case.id,
        state="reported",
        message=(
            "Your theft report reached the customer centre. An agent checks it and starts "
            "tracking; the police keep you informed."
        ),
        can_reactivate=False,
    )


async def safety_status(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> SafetyStatusOut:
    vin = caller.vehicle.vin
    system = await repository.system_of(session, vin)
    light = system.light if system is not None else None
    meaning, see_dealer = light_meaning(light)
    switched_off = system is not None and system.switched_off_at is not None
    services = []
    for code, name, text in SERVICES:
        # The Connected Services Centre's answer, so the two pages never disagree.
        available = await connected_services.is_active(
            session, runtime, vin=vin, service=CATALOGUE_CODES.get(code, code)
        )
        services.append(
            SafetyServiceOut(code=code, name=name, active=available and not switched_off, note=text)
        )
    theft = await repository.open_theft(session, vin=vin)
    own_theft = theft if theft is not None and caller.tenure.covers(theft.opened_at) else None
    return SafetyStatusOut(
        vin=vin,
        light=light,
        light_meaning=meaning,
        see_dealer=see_dealer,
        light_reported_at=system.light_at if system is not None else None,
        features_on=not switched_off,
        switched_off_at=system.switched_off_at if system is not None else None,
        services=services,
        theft=_theft_state(own_theft),
    )


async def safety_events(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> list[SafetyEventOut]:
    """The car's safety events in the caller's time with it, newest first, without positions."""
    rows = await repository.cases_of_vehicle(
        session, vin=caller.vehicle.vin, spans=caller.tenure.spans, limit=HISTORY_LIMIT
    )
    return [
        SafetyEventOut(
            id=row.id,
            kind=row.kind,
            title=case_title(row.kind),
            opened_at=row.opened_at,
            closed_at=row.closed_at,
            attempts=row.attempts,
            outcome=outcome_words(row.outcome),
        )
        for row in rows
    ]


async def switch_features(
    session: AsyncSession,
    runtime: Runtime,
    staff: StaffAccount,
    vin: str,
    *,
    enabled: bool,
    reason: str,
) -> FeaturesOut:
    """A dealer or a customer-centre agent switches the car's safety features off or on again
    (audited); owners cannot."""
    vehicle = await vehicles.get_vehicle(session, vin.upper())
    if vehicle is None:
        raise VehicleNotFound()
    now = runtime.clock.now()
    system = await repository.system_of(session, vehicle.vin, for_update=True)
    if system is None:
        system = EmergencySystem(vin=vehicle.vin)
        await repository.add(session, system)
    if enabled:
        system.switched_off_at = None
        system.switched_off_by = None
        system.switched_off_reason = None
    elif system.switched_off_at is None:
        system.switched_off_at = now
        system.switched_off_by = staff.id
        system.switched_off_reason = reason
    await session.flush()
    await audit.record(
        session,
        now=now,
        actor_type="staff",
        actor_id=str(staff.id),
        action="safety.features_switched_on" if enabled else "safety.features_switched_off",
        subject_type="vehicle",
        subject_id=vehicle.vin,
        details={"reason": reason},
    )
    return FeaturesOut(
        vin=vehicle.vin,
        features_on=system.switched_off_at is None,
        switched_off_at=system.switched_off_at,
        reason=system.switched_off_reason,
    )
