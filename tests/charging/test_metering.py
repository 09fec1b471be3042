"""Reading meter values of both OCPP versions, and a session's energy and cost. Pure."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkplus.charging import metering
from linkplus.charging.activation import normalise_code, qr_text, read_qr
from linkplus.charging.windows import days_mask, days_of, is_open


def test_ocpp16_text_values_in_kwh_and_the_default_measurand() -> None:
    reading = metering.read_sample(
        [
            {"value": "1234.567", "unit": "kWh", "measurand": "Energy.Active.Import.Register"},
            {"value": "7.4", "unit": "kW", "measurand": "Power.Active.Import"},
            {"value": "230", "unit": "V", "measurand": "Voltage"},
        ]
    )
    assert reading == metering.Reading(energy_wh=1_234_567, power_w=7_400)
    assert metering.read_sample([{"value": "5000"}]).energy_wh == 5000  # Wh, the register


def test_ocpp201_numbers_with_unit_of_measure_and_per_phase_values_ignored() -> None:
    reading = metering.read_sample(
        [
            {"value": 42.5, "unit_of_measure": {"unit": "kWh"}},
            {"value": 3680.0, "measurand": "Power.Active.Import", "phase": "L1"},
            {"value": 11040.0, "measurand": "Power.Active.Import"},
        ]
    )
    assert reading == metering.Reading(energy_wh=42_500, power_w=11_040)


@pytest.mark.parametrize("value", ["NaN", "-5", "x", True, None, "Infinity"])
def test_values_that_are_not_readings_are_skipped(value: object) -> None:
    assert metering.read_sample([{"value": value}]).energy_wh is None


def test_cost_is_energy_at_the_price_rounded_half_up() -> None:
    assert metering.cost_of(22_000, 3150, "EUR").minor == 693
    assert metering.cost_of(1_000, 3215, "EUR").minor == 32  # 32.15 cents
    assert metering.cost_of(1_000, 3250, "EUR").minor == 33  # 32.5 cents, half up
    assert metering.cost_of(10_000, 2500, "JPY").minor == 3  # no minor unit: 2.5 yen -> 3
    assert metering.energy_between(1_000, 900) == 0  # a meter that went back delivers nothing
    assert metering.energy_between(None, 900) == 0


def test_prices_parse_to_four_decimals() -> None:
    assert metering.parse_price("0.3215") == 3215
    assert metering.parse_price("12") == 120_000
    assert metering.price_text(3150) == "0.3150"
    for bad in ("0.32155", "-1", "1e3x", "NaN"):
        with pytest.raises(ValueError, match="not a price"):
            metering.parse_price(bad)


@given(st.integers(0, 10**8), st.integers(0, 10**8), st.integers(0, 200_000))
def test_cost_of_two_parts_is_within_a_cent_of_the_whole(a: int, b: int, price: int) -> None:
    whole = metering.cost_of(a + b, price, "EUR").minor
    parts = metering.cost_of(a, price, "EUR").minor + metering.cost_of(b, price, "EUR").minor
    assert abs(whole - parts) <= 1
    assert metering.cost_of(a + b, price, "EUR").minor >= metering.cost_of(a, price, "EUR").minor


def test_the_label_and_its_qr_code() -> None:
    assert normalise_code("abcd-efgh ijkl-mnpq") == "ABCDEFGHIJKLMNPQ"
    text = qr_text("WALLBOX-7", "ABCDEFGHJKLMNPQR")
    assert read_qr(text) == ("WALLBOX-7", "ABCDEFGHJKLMNPQR")
    assert read_qr("lpcharger:WALLBOX-7:abcd-efgh-jklm-npqr") == ("WALLBOX-7", "ABCDEFGHJKLMNPQR")
    for bad in ("WALLBOX-7:ABCDEFGH", "LPCHARGER:a:b:c", "LPCHARGER:bad id:ABCDEFGH", ""):
        assert read_qr(bad) is None


@given(
    st.sets(
        st.sampled_from(
            ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
        )
    )
)
def test_weekdays_round_trip_through_the_mask(days: set[str]) -> None:
    assert set(days_of(days_mask(days))) == days


def test_a_window_past_midnight_counts_for_the_day_it_starts() -> None:
    monday = days_mask(["MONDAY"])
    night = {"start": 23 * 60, "end": 6 * 60, "mask": monday}
    assert is_open(weekday=0, minute=23 * 60 + 30, **night)
    assert is_open(weekday=1, minute=5 * 60, **night)  # Tuesday morning, from Monday's window
    assert not is_open(weekday=1, minute=23 * 60 + 30, **night)
    assert not is_open(weekday=0, minute=5 * 60, **night)  # Monday morning: Sunday's, not set
    start_only = {"start": 9 * 60, "end": None, "mask": monday}
    assert is_open(weekday=0, minute=20 * 60, **start_only)
    assert not is_open(weekday=0, minute=8 * 60, **start_only)
