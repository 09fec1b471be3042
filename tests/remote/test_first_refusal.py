"""``preconditions.first_refusal``: the one answer the app's controls and a command's refusal
come from. A climate renewal or stop names climate's real cause when climate cannot run at all,
and rests on the service and capability of the run it acts on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from linkplus.remote.preconditions import (
    ADVANCED_CLIMATE_SERVICE,
    ADVANCED_PROBE,
    BASIC_CLIMATE_SERVICE,
    CarFacts,
    CommandType,
    Refusal,
    RunningState,
    first_refusal,
)
from linkplus.vehicles.catalogue import Capability, Powertrain

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
MODEL = frozenset(Capability)
GERMAN_HYBRID = CarFacts(  # basic climate idles the engine: not in Germany
    powertrain=Powertrain.hev,
    capabilities=MODEL - {Capability.remote_climate_basic},
    model_capabilities=MODEL,
    climate_renewals=2,
    climate_min_battery_pct=None,
)
ADVANCED_RUN = RunningState(climate_until=NOW + timedelta(minutes=5), climate_advanced=True)
FOLLOW_UPS = (CommandType.climate_renew, CommandType.climate_stop)


def code(
    command_type: CommandType,
    active: set[str],
    running: RunningState | None = None,
    facts: CarFacts = GERMAN_HYBRID,
    params: dict[str, object] | None = None,
) -> Refusal | None:
    found = first_refusal(
        command_type,
        dict(params or {}),
        facts,
        running or RunningState(),
        active_services=frozenset(active),
        now=NOW,
    )
    return None if found is None else found.code


@pytest.mark.parametrize("command_type", [CommandType.climate_start, *FOLLOW_UPS])
def test_without_advanced_climate_the_german_hybrid_is_refused_by_the_law(
    command_type: CommandType,
) -> None:
    # Neither the basic service nor its absence is the cause: the law is.
    for active in (set(), {BASIC_CLIMATE_SERVICE}):
        assert code(command_type, active) is Refusal.climate_not_allowed_in_market


@pytest.mark.parametrize("command_type", FOLLOW_UPS)
def test_with_advanced_climate_nothing_running_is_the_cause(command_type: CommandType) -> None:
    assert code(command_type, {ADVANCED_CLIMATE_SERVICE}) is Refusal.climate_not_running


def test_an_advanced_run_is_renewed_and_stopped_on_the_advanced_service() -> None:
    for command_type in FOLLOW_UPS:
        assert code(command_type, {ADVANCED_CLIMATE_SERVICE}, ADVANCED_RUN) is None
        assert code(command_type, set(), ADVANCED_RUN) is Refusal.service_not_active
    assert (
        code(CommandType.climate_start, {ADVANCED_CLIMATE_SERVICE}, params=ADVANCED_PROBE) is None
    )


def test_a_model_with_advanced_climate_only_names_what_advanced_climate_needs() -> None:
    advanced_only = CarFacts(
        powertrain=Powertrain.bev,
        capabilities=MODEL - {Capability.remote_climate_basic},
        model_capabilities=MODEL - {Capability.remote_climate_basic},
        climate_renewals=2,
        climate_min_battery_pct=20,
    )
    assert code(CommandType.climate_stop, set(), facts=advanced_only) is Refusal.service_not_active
    stop = code(CommandType.climate_stop, {ADVANCED_CLIMATE_SERVICE}, facts=advanced_only)
    assert stop is Refusal.climate_not_running


def test_a_basic_only_car_without_its_service_is_told_to_activate_it() -> None:
    basic_only = CarFacts(
        powertrain=Powertrain.bev,
        capabilities=MODEL - {Capability.remote_climate_advanced},
        model_capabilities=MODEL - {Capability.remote_climate_advanced},
        climate_renewals=2,
        climate_min_battery_pct=20,
    )
    assert code(CommandType.climate_renew, set(), facts=basic_only) is Refusal.service_not_active
    renew = code(CommandType.climate_renew, {BASIC_CLIMATE_SERVICE}, facts=basic_only)
    assert renew is Refusal.climate_not_running
