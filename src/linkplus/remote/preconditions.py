"""Whether a remote command may go to the car: the documented refusals, checked before sending.

The platform checks against the car's last known state (the twin) and its own record of what is
running; the car checks again against its real state, because the twin may be minutes old. Both
sides use the same codes: a car that refuses reports one of the ``Refusal`` values as its
``reason``, and the platform shows the same message as if it had refused itself.

Pure: the caller gathers the facts (twin, catalogue, services, sleep, stolen-vehicle tracking).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from linkplus.vehicles.catalogue import Capability, Powertrain

HAZARD_SECONDS = 60
ENGINE_POWERTRAINS = frozenset({Powertrain.petrol, Powertrain.diesel, Powertrain.hev})
PLUG_IN = frozenset({Powertrain.phev, Powertrain.bev})
MIN_OUTSIDE_C_PHEV = -10.0
ADVANCED_CLIMATE_FIELDS = frozenset(
    {"temperature_c", "seat_heating", "seat_ventilation", "steering_wheel_heating", "defrost"}
)


class CommandType(StrEnum):
    """The API's names; ``wire_type`` gives the protocol's (``door-lock`` -> ``door_lock``)."""

    door_lock = "door-lock"
    door_unlock = "door-unlock"
    hazard_lights_on = "hazard-lights-on"
    engine_start = "engine-start"
    engine_stop = "engine-stop"
    climate_start = "climate-start"
    climate_renew = "climate-renew"
    climate_stop = "climate-stop"


def wire_type(command_type: CommandType) -> str:
    return command_type.value.replace("-", "_")


def from_wire(name: str) -> CommandType | None:
    try:
        return CommandType(name.replace("_", "-"))
    except ValueError:
        return None


class Subsystem(StrEnum):
    """One command at a time per subsystem: engine and climate share the engine bay."""

    doors = "doors"
    hazard = "hazard"
    climate = "climate"


SUBSYSTEM: dict[CommandType, Subsystem] = {
    CommandType.door_lock: Subsystem.doors,
    CommandType.door_unlock: Subsystem.doors,
    CommandType.hazard_lights_on: Subsystem.hazard,
    CommandType.engine_start: Subsystem.climate,
    CommandType.engine_stop: Subsystem.climate,
    CommandType.climate_start: Subsystem.climate,
    CommandType.climate_renew: Subsystem.climate,
    CommandType.climate_stop: Subsystem.climate,
}

# The connected service (services catalogue code) each command rests on.
BASIC_CLIMATE_SERVICE = "remote_climate_basic"
ADVANCED_CLIMATE_SERVICE = "remote_climate_advanced"
SERVICE: dict[CommandType, str] = {
    CommandType.door_lock: "remote_lock_unlock",
    CommandType.door_unlock: "remote_lock_unlock",
    CommandType.hazard_lights_on: "hazard_lights",
    CommandType.engine_start: "engine_start",
    CommandType.engine_stop: "engine_start",
    CommandType.climate_start: BASIC_CLIMATE_SERVICE,
    CommandType.climate_renew: BASIC_CLIMATE_SERVICE,
    CommandType.climate_stop: BASIC_CLIMATE_SERVICE,
}


class Refusal(StrEnum):
    """Stable codes of every reason a command is refused or fails (API ``code``, car ``reason``)."""

    door_open = "door_open"
    smart_key_inside = "smart_key_inside"
    alarm_set = "alarm_set"
    locked_with_physical_key = "locked_with_physical_key"
    battery_too_low = "battery_too_low"
    too_cold = "too_cold"
    climate_not_allowed_in_market = "climate_not_allowed_in_market"
    renewals_used_up = "renewals_used_up"
    climate_not_running = "climate_not_running"
    engine_not_running = "engine_not_running"
    hazard_lights_running = "hazard_lights_running"
    not_supported = "not_supported"
    service_not_active = "service_not_active"
    vehicle_asleep = "vehicle_asleep"
    stolen_vehicle_tracking = "stolen_vehicle_tracking"
    no_answer = "no_answer"
    # Only the car can find these: its own signature and state checks.
    rejected_by_car = "rejected_by_car"
    failed_in_car = "failed_in_car"


MESSAGES: dict[Refusal, str] = {
    Refusal.door_open: (
        "A door, the boot or the bonnet is open. Close it, then lock the car again."
    ),
    Refusal.smart_key_inside: (
        "The smart key is inside the car. Take it out of the car, then lock it again."
    ),
    Refusal.alarm_set: (
        "The car alarm has gone off, so the car cannot be unlocked remotely. Go to the car and "
        "unlock it with the key."
    ),
    Refusal.locked_with_physical_key: (
        "The car was locked with the physical key, so it cannot be unlocked remotely. Unlock it "
        "with the key."
    ),
    Refusal.battery_too_low: (
        "The battery charge is below the minimum remote climate needs. Charge the car, then try "
        "again."
    ),
    Refusal.too_cold: (
        "It is below -10 °C outside; remote climate does not run on a plug-in hybrid in that "
        "cold. Start the car to heat it."
    ),
    Refusal.climate_not_allowed_in_market: (
        "Remote climate starts the engine of this car, which the law of the country the car is "
        "registered in does not allow. Electric and plug-in hybrid cars are not affected."
    ),
    Refusal.renewals_used_up: (
        "Remote climate has already been renewed as often as this car allows. Let it finish, "
        "then start it again."
    ),
    Refusal.climate_not_running: ("Remote climate is not running. Start it first."),
    Refusal.engine_not_running: ("The engine is not running, so there is nothing to stop."),
    Refusal.hazard_lights_running: (
        "The hazard lights are already flashing. They can be switched on again once their 60 "
        "seconds are over."
    ),
    Refusal.not_supported: (
        "This car does not support this remote function. Ask your retailer what your car offers."
    ),
    Refusal.service_not_active: (
        "The connected service for this function is not active for this car. Activate it in "
        "the Connected Services Centre."
    ),
    Refusal.vehicle_asleep: (
        "The car has not been used for more than 9 days and has gone to sleep to protect its "
        "battery. Start the engine once to wake it up."
    ),
    Refusal.stolen_vehicle_tracking: (
        "Stolen vehicle tracking is active for this car, so remote functions are switched off. "
        "Reactivate them once the car is back in your possession."
    ),
    Refusal.no_answer: (
        "The car did not answer in time, perhaps because it has no mobile coverage. Try again "
        "when the car has signal."
    ),
    Refusal.rejected_by_car: (
        "The car refused the command as not valid for it. Try again; if it keeps happening, "
        "contact support."
    ),
    Refusal.failed_in_car: ("The car could not carry out the command. Try again later."),
}


def message(code: Refusal) -> str:
    return MESSAGES[code]


def failure_code(reason: str | None, *, rejected: bool) -> Refusal:
    """The refusal a car's ``failed``/``rejected`` answer stands for."""
    if reason is not None:
        try:
            return Refusal(reason)
        except ValueError:
            pass
        if reason == "expired":
            return Refusal.no_answer
    return Refusal.rejected_by_car if rejected else Refusal.failed_in_car


@dataclass(frozen=True)
class CarFacts:
    """What the platform knows of the car. ``None``: not reported, so not held against it."""

    powertrain: Powertrain
    capabilities: frozenset[Capability]
    """The model's capabilities in the car's market (``catalogue.market_capabilities``)."""
    model_capabilities: frozenset[Capability]
    """The model's capabilities anywhere: tells a legal restriction from a missing feature."""
    climate_renewals: int
    climate_min_battery_pct: int | None
    open_doors: tuple[str, ...] = ()
    smart_key_inside: bool | None = None
    alarm_set: bool | None = None
    locked_with_physical_key: bool | None = None
    battery_pct: float | None = None
    outside_c: float | None = None
    engine_running: bool | None = None
    asleep: bool = False
    stolen_vehicle_tracking: bool = False


@dataclass(frozen=True)
class RunningState:
    """What the platform's own records say runs now (from commands the car completed)."""

    climate_until: datetime | None = None
    climate_renewals_used: int = 0
    climate_advanced: bool = False
    """The climate run is advanced (its renewal and stop rest on the advanced service)."""
    engine_until: datetime | None = None
    hazard_until: datetime | None = None

    def climate_running(self, now: datetime) -> bool:
        return self.climate_until is not None and self.climate_until > now

    def engine_running(self, now: datetime) -> bool:
        return self.engine_until is not None and self.engine_until > now

    def hazard_running(self, now: datetime) -> bool:
        return self.hazard_until is not None and self.hazard_until > now


@dataclass(frozen=True)
class Check:
    """Refusal with the seconds until trying again makes sense (for ``Retry-After``)."""

    code: Refusal
    retry_after: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def is_advanced(command_type: CommandType, params: dict[str, Any]) -> bool:
    return command_type is CommandType.climate_start and bool(
        ADVANCED_CLIMATE_FIELDS & {k for k, v in params.items() if v is not None}
    )


CLIMATE_FOLLOW_UPS = frozenset({CommandType.climate_renew, CommandType.climate_stop})
# Any one advanced setting makes a climate start advanced: what "could advanced climate start?"
# is asked with.
ADVANCED_PROBE: dict[str, Any] = {"temperature_c": 21.0}


def required_capability(
    command_type: CommandType, params: dict[str, Any], *, advanced_run: bool = False
) -> Capability:
    """The model capability a command needs; a renewal or stop needs the one of the climate run
    it acts on (advanced or basic)."""
    match command_type:
        case CommandType.door_lock | CommandType.door_unlock:
            return Capability.remote_lock_unlock
        case CommandType.hazard_lights_on:
            return Capability.hazard_lights
        case CommandType.engine_start | CommandType.engine_stop:
            return Capability.engine_start
        case _:
            if is_advanced(command_type, params) or (
                command_type in CLIMATE_FOLLOW_UPS and advanced_run
            ):
                return Capability.remote_climate_advanced
            return Capability.remote_climate_basic


def required_service(
    command_type: CommandType, params: dict[str, Any], *, advanced_run: bool = False
) -> str:
    """The connected service a command rests on; a renewal or stop of an advanced run rests on
    the advanced climate service."""
    if is_advanced(command_type, params) or (command_type in CLIMATE_FOLLOW_UPS and advanced_run):
        return ADVANCED_CLIMATE_SERVICE
    return SERVICE[command_type]


def services_needed(command_type: CommandType, params: dict[str, Any]) -> frozenset[str]:
    """The services ``first_refusal`` may ask about for this command (the caller looks them
    up): a renewal or stop may need either climate service."""
    if command_type in CLIMATE_FOLLOW_UPS:
        return frozenset({BASIC_CLIMATE_SERVICE, ADVANCED_CLIMATE_SERVICE})
    return frozenset({required_service(command_type, params)})


def supported(
    command_type: CommandType,
    params: dict[str, Any],
    facts: CarFacts,
    *,
    advanced_run: bool | None = None,
) -> Check | None:
    """The model check alone, before anything is looked up about services or state.

    ``advanced_run``: whether the climate run a renewal or stop acts on is advanced. The car
    itself does not keep that apart (None): there, any climate capability lets them run."""
    climate = {Capability.remote_climate_basic, Capability.remote_climate_advanced}
    if command_type in CLIMATE_FOLLOW_UPS and advanced_run is None:
        if facts.capabilities & climate:
            return None
        if facts.model_capabilities & climate:
            return Check(Refusal.climate_not_allowed_in_market)
        return Check(Refusal.not_supported)
    capability = required_capability(command_type, params, advanced_run=bool(advanced_run))
    if capability in facts.capabilities:
        return None
    if capability in facts.model_capabilities:
        return Check(Refusal.climate_not_allowed_in_market)
    return Check(Refusal.not_supported)


# Refusals that mean the car cannot run the command at all, whatever its state: the app does not
# offer such a command (and says why); any other refusal depends on the moment (a door open).
NOT_OFFERED = frozenset(
    {Refusal.not_supported, Refusal.climate_not_allowed_in_market, Refusal.service_not_active}
)


def check(
    command_type: CommandType,
    params: dict[str, Any],
    facts: CarFacts,
    running: RunningState,
    *,
    service_active: bool,
    now: datetime,
    advanced_run: bool | None = None,
) -> Check | None:
    """The first refusal that applies, in the order an owner can act on them; None: go ahead.
    ``service_active``: the service ``required_service`` names is active. The platform asks
    ``first_refusal``, which picks that service and explains a renewal or stop fully."""
    if facts.stolen_vehicle_tracking:
        return Check(Refusal.stolen_vehicle_tracking)
    unsupported = supported(command_type, params, facts, advanced_run=advanced_run)
    if unsupported is not None:
        return unsupported
    if not service_active:
        return Check(Refusal.service_not_active)
    if facts.asleep:
        return Check(Refusal.vehicle_asleep)
    match command_type:
        case CommandType.door_lock:
            if facts.open_doors:
                return Check(Refusal.door_open, extra={"open": list(facts.open_doors)})
            if facts.smart_key_inside:
                return Check(Refusal.smart_key_inside)
        case CommandType.door_unlock:
            if facts.alarm_set:
                return Check(Refusal.alarm_set)
            if facts.locked_with_physical_key:
                return Check(Refusal.locked_with_physical_key)
        case CommandType.hazard_lights_on:
            if running.hazard_running(now):
                assert running.hazard_until is not None
                left = math.ceil((running.hazard_until - now).total_seconds())
                return Check(Refusal.hazard_lights_running, retry_after=max(1, left))
        case CommandType.engine_stop:
            if not running.engine_running(now) and not facts.engine_running:
                return Check(Refusal.engine_not_running)
        case CommandType.climate_start:
            return _climate_start(facts)
        case CommandType.climate_renew:
            if not running.climate_running(now):
                return Check(Refusal.climate_not_running)
            if running.climate_renewals_used >= facts.climate_renewals:
                return Check(Refusal.renewals_used_up)
            return _battery(facts)
        case CommandType.climate_stop:
            if not running.climate_running(now):
                return Check(Refusal.climate_not_running)
        case CommandType.engine_start:
            pass
    return None


def first_refusal(
    command_type: CommandType,
    params: dict[str, Any],
    facts: CarFacts,
    running: RunningState,
    *,
    active_services: frozenset[str],
    now: datetime,
) -> Check | None:
    """What the platform holds against a command: the one answer both the app's controls (what
    is offered, and why not) and the command itself (its refusal) come from.

    The service is the one the command rests on (a renewal or stop of an advanced run: the
    advanced climate service). A renewal or stop while no climate runs is refused as "not
    running", unless climate cannot run on this car at all, basic or advanced: then that cause
    is named (the market's law, the service not active, the model), never a service the owner
    could not use anyway."""
    advanced_run = running.climate_advanced and running.climate_running(now)
    service = required_service(command_type, params, advanced_run=advanced_run)
    found = check(
        command_type,
        params,
        facts,
        running,
        service_active=service in active_services,
        now=now,
        advanced_run=advanced_run,
    )
    if (
        command_type in CLIMATE_FOLLOW_UPS
        and not running.climate_running(now)
        and found is not None
        and (found.code in NOT_OFFERED or found.code is Refusal.climate_not_running)
    ):
        starts = [
            first_refusal(
                CommandType.climate_start,
                probe,
                facts,
                running,
                active_services=active_services,
                now=now,
            )
            for probe in ({}, ADVANCED_PROBE)
        ]
        basic, advanced = starts
        if (
            basic is not None
            and advanced is not None
            and basic.code in NOT_OFFERED
            and advanced.code in NOT_OFFERED
        ):
            # Basic climate's cause first (the market's law, its service), unless the model has
            # advanced climate only: then what stands in advanced climate's way.
            if basic.code is Refusal.not_supported:
                return advanced
            return basic
        return Check(Refusal.climate_not_running)
    return found


def _climate_start(facts: CarFacts) -> Check | None:
    battery = _battery(facts)
    if battery is not None:
        return battery
    if (
        facts.powertrain is Powertrain.phev
        and facts.outside_c is not None
        and facts.outside_c < MIN_OUTSIDE_C_PHEV
    ):
        return Check(Refusal.too_cold)
    return None


def _battery(facts: CarFacts) -> Check | None:
    minimum = facts.climate_min_battery_pct
    if (
        facts.powertrain in PLUG_IN
        and minimum is not None
        and facts.battery_pct is not None
        and facts.battery_pct < minimum
    ):
        return Check(Refusal.battery_too_low, extra={"minimum_pct": minimum})
    return None


def starts_engine(
    command_type: CommandType, params: dict[str, Any], powertrain: Powertrain
) -> bool:
    """Basic climate on a car that burns fuel runs the engine (and last trip's settings)."""
    if command_type is CommandType.engine_start:
        return True
    return (
        command_type is CommandType.climate_start
        and not is_advanced(command_type, params)
        and powertrain in ENGINE_POWERTRAINS
    )
