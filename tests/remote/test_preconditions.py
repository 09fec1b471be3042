"""Every refusal of the remote preconditions, with its stable code and a message to act on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from linkplus.remote.preconditions import (
    MESSAGES,
    CarFacts,
    CommandType,
    Refusal,
    RunningState,
    check,
    failure_code,
    from_wire,
    required_service,
    starts_engine,
    wire_type,
)
from linkplus.vehicles.catalogue import Capability, Powertrain

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
ALL = frozenset(Capability)
BASIC_ONLY = ALL - {Capability.remote_climate_advanced, Capability.engine_start}


def facts(**changes: Any) -> CarFacts:
    base = CarFacts(
        powertrain=Powertrain.phev,
        capabilities=ALL,
        model_capabilities=ALL,
        climate_renewals=2,
        climate_min_battery_pct=30,
        battery_pct=80.0,
        outside_c=5.0,
    )
    return replace(base, **changes)


def refused(
    command_type: CommandType,
    car: CarFacts | None = None,
    running: RunningState | None = None,
    *,
    params: dict[str, Any] | None = None,
    active: bool = True,
) -> Refusal | None:
    found = check(
        command_type,
        params or {},
        car or facts(),
        running or RunningState(),
        service_active=active,
        now=NOW,
    )
    return None if found is None else found.code


def test_every_code_has_a_message_that_says_what_to_do() -> None:
    assert set(MESSAGES) == set(Refusal)
    assert all(len(text) > 30 and text.endswith(".") for text in MESSAGES.values())


def test_a_car_in_good_state_may_do_everything() -> None:
    for command_type in (
        CommandType.door_lock,
        CommandType.door_unlock,
        CommandType.hazard_lights_on,
        CommandType.engine_start,
        CommandType.climate_start,
    ):
        assert refused(command_type) is None


def test_lock_refused_with_an_open_door() -> None:
    found = check(
        CommandType.door_lock,
        {},
        facts(open_doors=("boot",)),
        RunningState(),
        service_active=True,
        now=NOW,
    )
    assert found is not None
    assert found.code is Refusal.door_open
    assert found.extra == {"open": ["boot"]}


def test_lock_refused_with_the_smart_key_inside() -> None:
    assert refused(CommandType.door_lock, facts(smart_key_inside=True)) is Refusal.smart_key_inside


def test_unlock_refused_when_the_alarm_is_set() -> None:
    assert refused(CommandType.door_unlock, facts(alarm_set=True)) is Refusal.alarm_set


def test_unlock_refused_after_locking_with_the_physical_key() -> None:
    car = facts(locked_with_physical_key=True)
    assert refused(CommandType.door_unlock, car) is Refusal.locked_with_physical_key


def test_unknown_state_is_not_held_against_the_car() -> None:
    car = facts(smart_key_inside=None, alarm_set=None, battery_pct=None, outside_c=None)
    assert refused(CommandType.door_lock, car) is None
    assert refused(CommandType.door_unlock, car) is None
    assert refused(CommandType.climate_start, car) is None


@pytest.mark.parametrize(("powertrain", "minimum"), [(Powertrain.phev, 30), (Powertrain.bev, 20)])
def test_climate_refused_below_the_models_battery_minimum(
    powertrain: Powertrain, minimum: int
) -> None:
    low = facts(powertrain=powertrain, climate_min_battery_pct=minimum, battery_pct=minimum - 1)
    assert refused(CommandType.climate_start, low) is Refusal.battery_too_low
    enough = replace(low, battery_pct=float(minimum))
    assert refused(CommandType.climate_start, enough) is None


def test_climate_refused_below_minus_ten_on_a_plug_in_hybrid_only() -> None:
    cold = facts(outside_c=-10.5)
    assert refused(CommandType.climate_start, cold) is Refusal.too_cold
    assert refused(CommandType.climate_start, facts(outside_c=-10.0)) is None
    bev = replace(cold, powertrain=Powertrain.bev, climate_min_battery_pct=20)
    assert refused(CommandType.climate_start, bev) is None


def test_basic_climate_restricted_by_market_law() -> None:
    # market_capabilities drops basic climate for engine cars in AT and DE.
    car = facts(
        powertrain=Powertrain.hev,
        climate_min_battery_pct=None,
        capabilities=ALL - {Capability.remote_climate_basic},
    )
    assert refused(CommandType.climate_start, car) is Refusal.climate_not_allowed_in_market
    advanced = {"temperature_c": 21.0}
    assert refused(CommandType.climate_start, car, params=advanced) is None


def test_renewals_run_out() -> None:
    running = RunningState(climate_until=NOW + timedelta(minutes=5), climate_renewals_used=2)
    assert refused(CommandType.climate_renew, running=running) is Refusal.renewals_used_up
    once = replace(running, climate_renewals_used=1)
    assert refused(CommandType.climate_renew, running=once) is None


def test_renewing_or_stopping_needs_running_climate() -> None:
    over = RunningState(climate_until=NOW)
    assert refused(CommandType.climate_renew, running=over) is Refusal.climate_not_running
    assert refused(CommandType.climate_stop, running=over) is Refusal.climate_not_running


def test_engine_stop_needs_a_running_engine() -> None:
    assert refused(CommandType.engine_stop) is Refusal.engine_not_running
    running = RunningState(engine_until=NOW + timedelta(minutes=1))
    assert refused(CommandType.engine_stop, running=running) is None


def test_hazard_lights_again_only_after_their_60_seconds() -> None:
    running = RunningState(hazard_until=NOW + timedelta(seconds=12.2))
    found = check(CommandType.hazard_lights_on, {}, facts(), running, service_active=True, now=NOW)
    assert found is not None
    assert found.code is Refusal.hazard_lights_running
    assert found.retry_after == 13
    over = RunningState(hazard_until=NOW)
    assert refused(CommandType.hazard_lights_on, running=over) is None


def test_a_model_without_the_function() -> None:
    car = facts(capabilities=BASIC_ONLY, model_capabilities=BASIC_ONLY)
    assert refused(CommandType.engine_start, car) is Refusal.not_supported
    assert refused(CommandType.climate_start, car, params={"defrost": {"front": True}}) is (
        Refusal.not_supported
    )
    bare = facts(capabilities=frozenset(), model_capabilities=frozenset())
    for command_type in CommandType:
        assert refused(command_type, bare) is Refusal.not_supported


def test_service_not_active() -> None:
    assert refused(CommandType.door_lock, active=False) is Refusal.service_not_active


def test_asleep_car() -> None:
    assert refused(CommandType.door_lock, facts(asleep=True)) is Refusal.vehicle_asleep


def test_stolen_vehicle_tracking_comes_first() -> None:
    car = facts(stolen_vehicle_tracking=True, asleep=True)
    assert refused(CommandType.door_lock, car, active=False) is Refusal.stolen_vehicle_tracking


def test_the_cars_reasons_map_to_the_same_codes() -> None:
    assert failure_code("door_open", rejected=False) is Refusal.door_open
    assert failure_code("expired", rejected=True) is Refusal.no_answer
    assert failure_code("bad_signature", rejected=True) is Refusal.rejected_by_car
    assert failure_code(None, rejected=False) is Refusal.failed_in_car


def test_wire_names_and_services() -> None:
    assert wire_type(CommandType.hazard_lights_on) == "hazard_lights_on"
    assert from_wire("climate_renew") is CommandType.climate_renew
    assert from_wire("refresh") is None
    assert required_service(CommandType.climate_start, {}) == "remote_climate_basic"
    assert required_service(CommandType.climate_start, {"temperature_c": 20}) == (
        "remote_climate_advanced"
    )
    assert starts_engine(CommandType.climate_start, {}, Powertrain.hev)
    assert not starts_engine(CommandType.climate_start, {}, Powertrain.bev)
    assert not starts_engine(CommandType.climate_start, {"temperature_c": 20}, Powertrain.petrol)
