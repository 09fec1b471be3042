"""What the use-case modules of the remote-control service share.

The car a command goes to (``Target``) and the facts about it the precondition checks read
(``car_facts``, ``running_state``, the stolen-vehicle-tracking flag), the owner's names for the
commands (``TITLES``), the command as the API and the stream show it (``command_out``), the
dedupe keys of a command's send and expiry jobs, and recording a state change (``_move``). The
leading underscores stay: those names are not for callers outside the package.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.connected_services import service as connected_services
from linkplus.garage.deps import CallerVehicle
from linkplus.models.remote import RemoteCommand, RemoteVehicleState, SvtActive
from linkplus.models.vehicles import Vehicle
from linkplus.remote import repository
from linkplus.remote.lifecycle import State
from linkplus.remote.preconditions import CarFacts, CommandType, Refusal, RunningState, message
from linkplus.remote.schemas import CommandOut
from linkplus.runtime import Runtime
from linkplus.vehicle_link import service as vehicle_link
from linkplus.vehicles.catalogue import VehicleModel, market_capabilities


def send_key(command_id: uuid.UUID) -> str:
    return f"remote-send:{command_id}"


def expire_key(command_id: uuid.UUID) -> str:
    return f"remote-expire:{command_id}"


# What each command is called wherever the owner sees it: the app's progress and history, the
# API's ``title``, the live stream (``static/remote.js`` shows the title the stream carries) and
# notifications. The one place these names live.
TITLES: dict[CommandType, str] = {
    CommandType.door_lock: "Lock",
    CommandType.door_unlock: "Unlock",
    CommandType.hazard_lights_on: "Hazard lights",
    CommandType.engine_start: "Engine start",
    CommandType.engine_stop: "Engine stop",
    CommandType.climate_start: "Climate",
    CommandType.climate_renew: "Climate renewal",
    CommandType.climate_stop: "Climate stop",
}


@dataclass(frozen=True)
class Target:
    """The car a command goes to and who sends it (an owner, or a schedule of the owner's)."""

    vehicle: Vehicle
    model: VehicleModel
    account_id: uuid.UUID
    schedule_id: uuid.UUID | None = None


def target_of(caller: CallerVehicle) -> Target:
    return Target(caller.vehicle, caller.model, caller.account.id)


# --- reading the car -----------------------------------------------------------------------------


async def stolen_vehicle_tracking_active(session: AsyncSession, *, vin: str) -> bool:
    """The hook the stolen-vehicle-tracking feature drives: remote control is off while set."""
    return await repository.svt_flag(session, vin) is not None


async def set_stolen_vehicle_tracking(
    session: AsyncSession, *, vin: str, active: bool, now: datetime, reference: str | None = None
) -> None:
    if active:
        if await repository.svt_flag(session, vin) is None:
            await repository.set_svt(session, SvtActive(vin=vin, since=now, reference=reference))
    else:
        await repository.clear_svt(session, vin)


async def car_facts(
    session: AsyncSession,
    runtime: Runtime,
    target: Target,
    *,
    stolen_vehicle_tracking: bool | None = None,
) -> CarFacts:
    """The facts the checks read; ``stolen_vehicle_tracking`` when the caller has read it."""
    vin = target.vehicle.vin
    if stolen_vehicle_tracking is None:
        stolen_vehicle_tracking = await stolen_vehicle_tracking_active(session, vin=vin)
    state = await vehicle_link.car_state_of(session, vin=vin)
    return CarFacts(
        powertrain=target.model.powertrain,
        capabilities=market_capabilities(target.model, target.vehicle.market),
        model_capabilities=target.model.capabilities,
        climate_renewals=target.model.climate_renewals,
        climate_min_battery_pct=target.model.climate_min_battery_pct,
        open_doors=state.open_doors,
        smart_key_inside=state.smart_key_inside,
        alarm_set=state.alarm_set,
        locked_with_physical_key=state.locked_with_physical_key,
        battery_pct=state.battery_pct,
        outside_c=state.outside_c,
        engine_running=state.engine_running,
        asleep=await vehicle_link.is_asleep(session, runtime, vin=vin),
        stolen_vehicle_tracking=stolen_vehicle_tracking,
    )


async def active_services(
    session: AsyncSession, runtime: Runtime, *, vin: str, services: Iterable[str]
) -> frozenset[str]:
    """Which of ``services`` are active for the car (what ``preconditions.first_refusal`` reads)."""
    return frozenset(
        [
            service
            for service in sorted(set(services))
            if await connected_services.is_active(session, runtime, vin=vin, service=service)
        ]
    )


def running_state(row: RemoteVehicleState | None) -> RunningState:
    if row is None:
        return RunningState()
    return RunningState(
        climate_until=row.climate_until,
        climate_renewals_used=row.climate_renewals_used,
        climate_advanced=row.climate_advanced,
        engine_until=row.engine_until,
        hazard_until=row.hazard_until,
    )


# --- presenting ----------------------------------------------------------------------------------


def _seconds_left(until: datetime | None, now: datetime) -> int:
    if until is None:
        return 0
    return max(0, math.ceil((until - now).total_seconds()))


def _title(type_name: str) -> str:
    try:
        return TITLES[CommandType(type_name)]
    except ValueError:
        return type_name


def command_out(row: RemoteCommand, *, now: datetime) -> CommandOut:
    code = row.reason
    text = message(Refusal(code)) if code is not None and code in Refusal.__members__ else None
    return CommandOut(
        id=row.id,
        vin=row.vin,
        type=row.type,
        title=_title(row.type),
        subsystem=row.subsystem,
        state=State(row.state).value,
        code=code,
        message=text,
        params=row.params,
        created_at=row.created_at,
        expires_at=row.expires_at,
        sent_at=row.sent_at,
        acknowledged_at=row.acknowledged_at,
        finished_at=row.finished_at,
        runs_until=row.runs_until,
        seconds_left=_seconds_left(row.runs_until, now) if row.runs_until is not None else None,
        from_schedule=row.schedule_id,
    )


async def _move(session: AsyncSession, row: RemoteCommand, state: State, *, now: datetime) -> None:
    row.state = state.value
    row.updated_at = now
    await repository.add_change(session, vin=row.vin, command_id=row.id, state=state.value, at=now)
