"""Which services a car can have: capability, market, powertrain, multimedia, delivery (pure)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkplus.connected_services.availability import (
    Availability,
    Reason,
    ServiceState,
    VehicleFacts,
    add_years,
    availability,
    availability_for,
    complimentary_until,
    package_available,
    state_of,
)
from linkplus.connected_services.catalogue import (
    DATA_FILE,
    ServiceCatalogueError,
    load_services,
    service_catalogue,
)
from linkplus.vehicles.catalogue import Powertrain, VehicleModel, catalogue

TODAY = date(2026, 11, 21)
SERVICES = service_catalogue()


def model(code: str, **changes: object) -> VehicleModel:
    found = catalogue().get(code)
    assert found is not None
    return dataclasses.replace(found, **changes)  # type: ignore[arg-type]


def facts(
    code: str = "NX450HP",
    *,
    market: str = "DE",
    multimedia: str | None = "mm21",
    delivered: date | None = date(2024, 3, 1),
    telematics: bool = True,
    **model_changes: object,
) -> VehicleFacts:
    return VehicleFacts(
        model=model(code, **model_changes),
        market=market,
        multimedia=multimedia,
        first_delivery_date=delivered,
        telematics_unit=telematics,
    )


def check(service: str, car: VehicleFacts, today: date = TODAY) -> Availability:
    found = SERVICES.service(service)
    assert found is not None
    return availability(found, car, today=today, services=SERVICES)


ENGINE = [Powertrain.petrol, Powertrain.diesel, Powertrain.hev]
PLUG_IN = [Powertrain.phev, Powertrain.bev]


@pytest.mark.parametrize("market", ["AT", "DE"])
@pytest.mark.parametrize("powertrain", ENGINE)
def test_basic_climate_is_unavailable_for_engine_cars_in_austria_and_germany(
    market: str, powertrain: Powertrain
) -> None:
    found = check("remote_climate_basic", facts("UX250H", market=market, powertrain=powertrain))
    assert not found.available
    assert found.reason is Reason.market_restricted
    assert {"AT": "Austria", "DE": "Germany"}[market] in (found.message or "")
    assert "Plug-in hybrid and electric cars" in (found.message or "")


@pytest.mark.parametrize("market", ["AT", "DE"])
@pytest.mark.parametrize("powertrain", PLUG_IN)
def test_basic_climate_stays_for_plug_in_cars_in_austria_and_germany(
    market: str, powertrain: Powertrain
) -> None:
    found = check("remote_climate_basic", facts("NX450HP", market=market, powertrain=powertrain))
    assert found.available, found.message
    assert found.reason is None


@pytest.mark.parametrize("market", ["FR", "GB", "BE"])
@pytest.mark.parametrize("powertrain", ENGINE + PLUG_IN)
def test_basic_climate_is_available_elsewhere_for_every_powertrain(
    market: str, powertrain: Powertrain
) -> None:
    assert check(
        "remote_climate_basic", facts("UX250H", market=market, powertrain=powertrain)
    ).available


def test_other_standard_services_are_not_restricted_by_the_climate_rule() -> None:
    car = facts("UX250H", market="DE", multimedia="mm18")
    for service in ("remote_lock_unlock", "hazard_lights", "vehicle_status", "find_my_car"):
        assert check(service, car).available, service


@pytest.mark.parametrize("service", ["cloud_navigation", "voice_agent", "send_to_car"])
def test_smart_services_need_mm21(service: str) -> None:
    older = check(service, facts("UX250H", multimedia="mm18"))
    assert (older.available, older.reason) == (False, Reason.multimedia_not_supported)
    assert "MM21 Smart Connect" in (older.message or "")
    newer = check(service, facts("UX300H", multimedia="mm21"))
    assert newer.available
    assert state_of(newer, activation_active=False, today=TODAY) is ServiceState.paid_package


def test_standard_period_is_ten_years_or_four_with_mm21() -> None:
    standard = SERVICES.packages["standard"]
    delivered = date(2023, 5, 10)
    assert complimentary_until(standard, facts(multimedia="mm18", delivered=delivered)) == date(
        2033, 5, 10
    )
    assert complimentary_until(standard, facts(multimedia="mm21", delivered=delivered)) == date(
        2027, 5, 10
    )


def test_stolen_vehicle_tracking_is_complimentary_for_three_years() -> None:
    svt = SERVICES.packages["svt"]
    assert complimentary_until(svt, facts(delivered=date(2024, 3, 1))) == date(2027, 3, 1)
    assert complimentary_until(SERVICES.packages["safety"], facts()) is None
    assert complimentary_until(SERVICES.packages["remote"], facts()) is None


def test_complimentary_period_ends_on_the_delivery_anniversary() -> None:
    car = facts(multimedia="mm21", delivered=date(2022, 11, 21))
    found = check("remote_lock_unlock", car)
    assert found.complimentary_until == date(2026, 11, 21)
    day_before = date(2026, 11, 20)
    assert state_of(found, activation_active=True, today=day_before) is ServiceState.active
    assert state_of(found, activation_active=False, today=day_before) is ServiceState.inactive
    assert state_of(found, activation_active=True, today=TODAY) is ServiceState.expired


def test_leap_day_delivery_ends_on_28_february() -> None:
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_years(date(2024, 2, 29), 3) == date(2027, 2, 28)


@given(
    delivered=st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31)),
    multimedia=st.sampled_from(["mm18", "mm21"]),
)
def test_complimentary_period_is_whole_years_from_delivery(
    delivered: date, multimedia: str
) -> None:
    until = complimentary_until(
        SERVICES.packages["standard"], facts(multimedia=multimedia, delivered=delivered)
    )
    assert until is not None
    years = 4 if multimedia == "mm21" else 10
    assert until.year == delivered.year + years
    assert (until.month, until.day) == (delivered.month, delivered.day) or (
        (delivered.month, delivered.day, until.day) == (2, 29, 28)
    )


@pytest.mark.parametrize("delivered", [None, date(2026, 12, 1)])
def test_a_car_not_delivered_yet_has_nothing_available(delivered: date | None) -> None:
    found = availability_for(facts(delivered=delivered), today=TODAY, services=SERVICES)
    assert {a.reason for a in found} == {Reason.not_delivered}
    assert all("not been delivered" in (a.message or "") for a in found)
    assert not package_available(
        "standard", facts(delivered=delivered), today=TODAY, services=SERVICES
    )


def test_delivery_day_itself_counts_as_delivered() -> None:
    assert check("vehicle_status", facts(delivered=TODAY)).available


def test_a_car_without_telematics_unit_has_nothing() -> None:
    found = availability_for(facts(telematics=False), today=TODAY, services=SERVICES)
    assert {a.reason for a in found} == {Reason.no_telematics_unit}


def test_a_car_registered_where_its_model_is_not_sold() -> None:
    found = check("vehicle_status", facts("NX350", market="DE"))
    assert found.reason is Reason.market_not_supported
    assert "Germany" in (found.message or "")
    assert check("vehicle_status", facts("NX350", market="AU")).available


def test_missing_equipment_is_model_not_capable() -> None:
    ct = facts("CT200H", multimedia="mm18")
    locks = check("remote_lock_unlock", ct)
    assert (locks.available, locks.reason) == (False, Reason.model_not_capable)
    assert "CT 200h" in (locks.message or "")
    assert check("vehicle_status", ct).available


@pytest.mark.parametrize(
    ("code", "powertrain", "coaching"),
    [
        ("LC500", Powertrain.petrol, "driving_analytics"),
        ("LC500", Powertrain.diesel, "driving_analytics"),
        ("UX250H", Powertrain.hev, "hybrid_coaching"),
        ("NX450HP", Powertrain.phev, "hybrid_coaching"),
        ("RZ450E", Powertrain.bev, "ev_coaching"),
    ],
)
def test_driving_coaching_follows_the_powertrain(
    code: str, powertrain: Powertrain, coaching: str
) -> None:
    car = facts(code, market="FR", powertrain=powertrain)
    for service in ("driving_analytics", "hybrid_coaching", "ev_coaching"):
        found = check(service, car)
        assert found.available == (service == coaching), service
        if service != coaching:
            assert found.reason is Reason.powertrain_not_supported


def test_charging_only_for_plug_in_cars() -> None:
    assert check("charging", facts("RZ450E")).available
    hybrid = check("charging", facts("UX300H"))
    assert hybrid.reason is Reason.model_not_capable


def test_states_by_package_kind() -> None:
    car = facts("RZ450E")
    sos = check("sos", car)
    assert state_of(sos, activation_active=False, today=TODAY) is ServiceState.active
    key = check("digital_key", car)
    assert state_of(key, activation_active=True, today=TODAY) is ServiceState.paid_package
    ordered = check("sos", facts("RZ450E", delivered=None))
    assert state_of(ordered, activation_active=True, today=TODAY) is ServiceState.not_available


def test_every_service_has_a_reason_exactly_when_unavailable() -> None:
    for car in (facts(), facts("UX250H", multimedia="mm18"), facts(delivered=None)):
        for found in availability_for(car, today=TODAY, services=SERVICES):
            assert (found.reason is None) == found.available
            assert (found.message is None) == found.available


def test_catalogue_refuses_a_service_of_an_unknown_package(tmp_path: Path) -> None:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    raw["services"][0]["package"] = "platinum"
    broken = tmp_path / "services.json"
    broken.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ServiceCatalogueError, match="unknown package platinum"):
        load_services(broken)


def test_catalogue_refuses_an_unknown_capability(tmp_path: Path) -> None:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    raw["services"][0]["capabilities"] = ["teleport"]
    broken = tmp_path / "services.json"
    broken.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ServiceCatalogueError, match="teleport"):
        load_services(broken)
