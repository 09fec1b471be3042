"""How a simulated car carries out remote commands: the platform's rules, checked again here
against the car's real state, then applied to it.

The platform refuses what it can see in the car's last reported state, but that state may be
minutes old: a door opened since, a smart key left on the seat. So the car asks the very same
question (``remote.preconditions.check``) of what it knows now, and answers with the same codes:
``received`` first, then ``succeeded`` with a fresh status, or ``failed`` with the refusal's code
as the reason. The signature was checked before (``TelematicsUnit.handle``).

What a command starts, the car stops by itself in simulated time: hazard lights after 60 s,
climate after the model's 10 or 20 minutes (each renewal adds one more run), and the engine it
started for basic climate or a remote start with it. When the driver is in the car by then (the
smart key is inside), the driver has taken over and the car leaves the engine alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import structlog

from linkplus.protocol.vehicle import Command, CommandStatus
from linkplus.remote.preconditions import (
    ADVANCED_CLIMATE_FIELDS,
    HAZARD_SECONDS,
    CarFacts,
    CommandType,
    Refusal,
    RunningState,
    check,
    from_wire,
    is_advanced,
    starts_engine,
    wire_type,
)
from linkplus.sim.car import SimulatedCar
from linkplus.sim.state import RESTING_VOLTAGE, RUNNING_VOLTAGE, VehicleState
from linkplus.sim.unit import CommandHandler, TelematicsUnit
from linkplus.vehicles.catalogue import PLUG_IN

log = structlog.get_logger("linkplus.sim.commands")

CLIMATE_BATTERY_KW = 3.0  # a heat pump or air conditioner running from the traction battery
IDLE_FUEL_L_PER_H = 0.8  # an idling engine
HAZARD_RUN = timedelta(seconds=HAZARD_SECONDS)


# --- the car's view, in the platform's terms ----------------------------------------------------


def open_parts(state: VehicleState) -> tuple[str, ...]:
    """What is open, as the platform names it: doors by position, the boot and the bonnet."""
    parts = [name for name, door in state.doors.items() if door.is_open]
    if state.boot_open:
        parts.append("boot")
    if state.hood_open:
        parts.append("hood")
    return tuple(parts)


def car_facts(car: SimulatedCar) -> CarFacts:
    """The car's real state. The engine counts as running only when a remote command started it:
    a remote ``engine-stop`` must never stop the engine of a car someone is driving."""
    state, model = car.state, car.model
    return CarFacts(
        powertrain=model.powertrain,
        capabilities=model.capabilities,
        model_capabilities=model.capabilities,
        climate_renewals=model.climate_renewals,
        climate_min_battery_pct=model.climate_min_battery_pct,
        open_doors=open_parts(state),
        smart_key_inside=state.smart_key_inside,
        alarm_set=state.alarm_triggered,
        locked_with_physical_key=state.locked_with_physical_key,
        battery_pct=state.soc_pct,
        outside_c=state.outside_c,
        engine_running=state.remote.engine_until is not None,
    )


def running_state(state: VehicleState) -> RunningState:
    runs = state.remote
    return RunningState(
        climate_until=runs.climate_until,
        climate_renewals_used=runs.climate_renewals_used,
        engine_until=runs.engine_until,
        hazard_until=runs.hazard_until,
    )


def refusal(
    car: SimulatedCar, command_type: CommandType, params: Mapping[str, Any], *, now: datetime
) -> Refusal | None:
    """The platform's check against what the car knows now. Services, sleep and stolen-vehicle
    tracking are the platform's business: a command that reached the car passed those."""
    found = check(
        command_type,
        dict(params),
        car_facts(car),
        running_state(car.state),
        service_active=True,
        now=now,
    )
    return None if found is None else found.code


# --- applying a command -------------------------------------------------------------------------


def climate_settings(
    state: VehicleState, command_type: CommandType, params: Mapping[str, Any]
) -> dict[str, object]:
    """Advanced climate uses what was asked for; basic climate, the last trip's settings."""
    if not is_advanced(command_type, dict(params)):
        return dict(state.cabin_settings)
    chosen = {
        name: value
        for name, value in params.items()
        if name in ADVANCED_CLIMATE_FIELDS and value is not None
    }
    return {**state.cabin_settings, **chosen}


def apply(
    car: SimulatedCar, command_type: CommandType, params: Mapping[str, Any], *, now: datetime
) -> list[datetime]:
    """Carry out an accepted command; returns the moments the car must look at its timers."""
    state, runs = car.state, car.state.remote
    run = timedelta(minutes=car.model.climate_minutes)
    match command_type:
        case CommandType.door_lock:
            state.lock()
        case CommandType.door_unlock:
            state.unlock()
        case CommandType.hazard_lights_on:
            state.hazard_on = True
            runs.hazard_until = now + HAZARD_RUN
            return [runs.hazard_until]
        case CommandType.engine_start:
            _start_engine(state, now, until=now + run)
            return [now + run]
        case CommandType.engine_stop:
            if runs.climate_until is not None and runs.climate_until == runs.engine_until:
                _stop_climate(state, now)  # basic climate runs on the engine
            _stop_engine(state, now)
        case CommandType.climate_start:
            runs.climate_since = now
            runs.climate_until = now + run
            runs.climate_renewals_used = 0
            runs.climate_settings = climate_settings(state, command_type, params)
            if starts_engine(command_type, dict(params), car.model.powertrain):
                _start_engine(state, now, until=runs.climate_until)
            return [runs.climate_until]
        case CommandType.climate_renew:
            assert runs.climate_until is not None  # the check refuses a renewal otherwise
            runs.climate_until += run
            runs.climate_renewals_used += 1
            if runs.engine_until is not None:
                runs.engine_until = max(runs.engine_until, runs.climate_until)
            return [runs.climate_until]
        case CommandType.climate_stop:
            engine_for_climate = runs.engine_until == runs.climate_until
            _stop_climate(state, now)
            if engine_for_climate:
                _stop_engine(state, now)
    return []


def _start_engine(state: VehicleState, now: datetime, *, until: datetime) -> None:
    runs = state.remote
    if runs.engine_since is None:
        runs.engine_since = now
    runs.engine_until = until if runs.engine_until is None else max(runs.engine_until, until)
    state.engine_on = True
    state.voltage_12v = RUNNING_VOLTAGE


def _stop_engine(state: VehicleState, now: datetime) -> None:
    runs = state.remote
    if runs.engine_since is None:
        return
    hours = max(0.0, (now - runs.engine_since).total_seconds() / 3600)
    levels = state.levels
    if levels.fuel_l is not None:
        levels.fuel_l = max(0.0, levels.fuel_l - IDLE_FUEL_L_PER_H * hours)
    runs.engine_since = runs.engine_until = None
    if not state.smart_key_inside:  # nobody in the car took over: the engine goes off
        state.engine_on = False
        state.voltage_12v = RESTING_VOLTAGE


def _stop_climate(state: VehicleState, now: datetime) -> None:
    runs = state.remote
    if runs.climate_since is None:
        return
    hours = max(0.0, (now - runs.climate_since).total_seconds() / 3600)
    levels, spec = state.levels, state.spec
    if spec.powertrain in PLUG_IN and levels.battery_kwh is not None:
        levels.battery_kwh = max(0.0, levels.battery_kwh - CLIMATE_BATTERY_KW * hours)
    runs.climate_since = runs.climate_until = None
    runs.climate_renewals_used = 0
    runs.climate_settings = {}


def timer_due(state: VehicleState, moment: datetime) -> bool:
    """Switch off whatever was meant to stop at ``moment``; True when something stopped (a timer
    made obsolete by a renewal, a stop or a second start finds nothing to do)."""
    runs = state.remote
    stopped = False
    if runs.hazard_until == moment:
        state.hazard_on = False
        runs.hazard_until = None
        stopped = True
    if runs.climate_until == moment:
        _stop_climate(state, moment)
        stopped = True
    if runs.engine_until == moment:
        _stop_engine(state, moment)
        stopped = True
    return stopped


# --- the handlers the unit dispatches to ----------------------------------------------------------


def _when_due(unit: TelematicsUnit) -> Callable[[datetime], None]:
    def due(moment: datetime) -> None:
        if timer_due(unit.car.state, moment):
            unit.send_status(moment)

    return due


async def carry_out(unit: TelematicsUnit, command: Command) -> None:
    """Acknowledge, check against the real state, apply, and answer with a fresh status."""
    now = unit.clock.now()
    command_type = from_wire(command.type)
    if command_type is None:  # only registered for the remote types; kept total regardless
        unit.report(command.msg_id, CommandStatus.rejected, at=now, reason="unknown_command")
        return
    unit.report(command.msg_id, CommandStatus.received, at=now)
    refused = refusal(unit.car, command_type, command.params, now=now)
    if refused is not None:
        log.info("sim_command_refused", vin=unit.vin, type=command.type, reason=refused.value)
        unit.report(command.msg_id, CommandStatus.failed, at=now, reason=refused.value)
        return
    for moment in apply(unit.car, command_type, command.params, now=now):
        unit.at(moment, _when_due(unit))
    unit.send_status(now)
    unit.report(command.msg_id, CommandStatus.succeeded, at=now)


REMOTE_HANDLERS: dict[str, CommandHandler] = {wire_type(kind): carry_out for kind in CommandType}
"""Every remote-control command type, by its protocol name (``door_lock``, ``climate_renew``...)."""
