"""The pure rules of the maintenance feature: explanations, which warnings came on or went out,
the health report's judgements and the service schedule with its reminder stages."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from linkplus.maintenance import explanations, health, schedule, warnings
from linkplus.maintenance.explanations import Severity
from linkplus.models.maintenance import WarningSource
from linkplus.protocol import signals
from linkplus.vehicle_link.car_health import car_health

T = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
LIGHT, CODE = WarningSource.light, WarningSource.code


# --- explanations ------------------------------------------------------------------------------


def test_every_light_the_protocol_knows_has_an_explanation_of_its_own() -> None:
    assert explanations.known_lights() == sorted(signals.WARNING_LIGHTS)
    oil = explanations.light("oil_pressure")
    assert oil.severity is Severity.stop
    assert "Stop" in oil.action


def test_a_light_the_table_does_not_know_still_gets_words() -> None:
    odd = explanations.light("adaptive_cruise")
    assert odd.title == "Warning light: adaptive cruise"
    assert odd.severity is Severity.soon


def test_a_listed_code_has_its_own_text_and_others_are_explained_by_system() -> None:
    assert explanations.trouble_code("P0301").title == "Misfire in cylinder 1"
    generic = explanations.trouble_code("C0999")
    assert "chassis" in generic.meaning
    assert "generic code" in generic.meaning
    maker = explanations.trouble_code("B1A23")
    assert "body" in maker.meaning
    assert "maker" in maker.meaning


# --- the protocol's new signals ----------------------------------------------------------------


def test_the_trouble_code_list_takes_only_sae_codes() -> None:
    dtc = signals.SIGNALS["Vehicle.OBD.DTCList"]
    assert signals.value_problem(dtc, ["P0301", "U0100"]) is None
    assert signals.value_problem(dtc, []) is None
    assert signals.value_problem(dtc, ["p0301"]) is not None
    assert signals.value_problem(dtc, ["P4301"]) is not None  # the second character is 0-3
    assert signals.value_problem(dtc, ["P0301", "P0301"]) == "expected distinct values"
    many = [f"P0{n:03X}" for n in range(signals.DTC_MAX + 1)]
    assert signals.value_problem(dtc, many) == f"expected at most {signals.DTC_MAX} values"


def test_the_oil_level_takes_the_vss_levels() -> None:
    oil = signals.SIGNALS["Vehicle.Powertrain.CombustionEngine.EngineOil.Level"]
    assert signals.value_problem(oil, "LOW") is None
    assert signals.value_problem(oil, "low") is not None


# --- warnings came on, went out ----------------------------------------------------------------


def test_what_is_shown_and_not_open_is_raised_and_what_is_gone_is_cleared() -> None:
    shown = warnings.reported(["engine", "tire_pressure"], ["P0301"])
    change = warnings.compare([(LIGHT, "engine"), (CODE, "P0420")], shown)
    assert change.raised == [(CODE, "P0301"), (LIGHT, "tire_pressure")]
    assert change.cleared == [(CODE, "P0420")]


def test_a_source_the_car_did_not_report_leaves_its_warnings_open() -> None:
    change = warnings.compare([(CODE, "P0420")], warnings.reported(["engine"], None))
    assert change.cleared == []
    assert change.raised == [(LIGHT, "engine")]


@given(
    open_now=st.sets(st.tuples(st.sampled_from([LIGHT, CODE]), st.sampled_from("ABCD"))),
    lights=st.sets(st.sampled_from("ABCD")),
    codes=st.sets(st.sampled_from("ABCD")),
)
def test_applying_a_change_leaves_exactly_what_the_car_shows(
    open_now: set[tuple[WarningSource, str]], lights: set[str], codes: set[str]
) -> None:
    shown = warnings.reported(lights, codes)
    change = warnings.compare(open_now, shown)
    after = (open_now - set(change.cleared)) | set(change.raised)
    assert after == {(LIGHT, c) for c in lights} | {(CODE, c) for c in codes}
    assert warnings.compare(after, shown) == warnings.Change([], [])  # a second run: nothing


# --- the health report -------------------------------------------------------------------------


def _twin(values: dict[str, object]) -> dict[str, tuple[object, datetime]]:
    return {path: (value, T) for path, value in values.items()}


def test_the_report_judges_tyres_battery_and_oil_and_puts_the_worst_first() -> None:
    values = _twin(
        {
            "Vehicle.Private.LinkPlus.WarningLights.Active": ["tire_pressure", "oil_pressure"],
            "Vehicle.OBD.DTCList": ["P0420"],
            "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure": 180,
            "Vehicle.Chassis.Axle.Row1.Wheel.Right.Tire.Pressure": 250,
            "Vehicle.LowVoltageBattery.CurrentVoltage": 11.6,
            "Vehicle.Powertrain.CombustionEngine.EngineOil.Level": "LOW",
            "Vehicle.TraveledDistance": 23456.7,
        }
    )
    found = health.report(car_health(values))  # type: ignore[arg-type]
    assert [w.code for w in found.warnings] == ["oil_pressure", "tire_pressure"]
    assert [c.code for c in found.trouble_codes] == ["P0420"]
    assert [(t.position, t.judgement) for t in found.tyres] == [
        ("front_left", "low"),
        ("front_right", "ok"),
    ]
    assert found.battery is not None
    assert found.battery.judgement == "flat"
    assert found.oil is not None
    assert found.oil.words == "low"
    assert found.odometer_km == 23456.7
    assert found.overall is Severity.stop


def test_a_car_with_nothing_to_report_has_no_overall_concern() -> None:
    values = _twin(
        {
            "Vehicle.Private.LinkPlus.WarningLights.Active": [],
            "Vehicle.OBD.DTCList": [],
            "Vehicle.Powertrain.CombustionEngine.EngineOil.Level": "NORMAL",
        }
    )
    found = health.report(car_health(values))  # type: ignore[arg-type]
    assert found.overall is None
    assert found.warnings == []


# --- the service schedule ----------------------------------------------------------------------

THRESHOLDS = schedule.Thresholds(first_days=30, first_km=1500, second_days=7, second_km=500)
YEARLY = schedule.Interval(km=15000, months=12)
BASE = schedule.Baseline("delivery", date(2026, 1, 31), 10_000.0)


def _due(today: date, odometer: float | None, car_km: float | None = None) -> schedule.Due:
    return schedule.due(
        interval=YEARLY,
        baseline=BASE,
        today=today,
        odometer_km=odometer,
        car_distance_to_service_km=car_km,
        thresholds=THRESHOLDS,
    )


def test_due_by_time_or_distance_whichever_comes_first() -> None:
    far = _due(date(2026, 6, 1), 12_000)
    assert far.due_on == date(2027, 1, 31)
    assert far.due_km == 25_000
    assert far.stage is schedule.Stage.none
    by_time = _due(date(2027, 1, 1), 12_000)  # 30 days left, 13,000 km left
    assert by_time.stage is schedule.Stage.first
    by_distance = _due(date(2026, 6, 1), 23_600)  # 1,400 km left
    assert by_distance.stage is schedule.Stage.first
    assert _due(date(2026, 6, 1), 24_600).stage is schedule.Stage.second
    assert _due(date(2027, 1, 25), 12_000).stage is schedule.Stage.second
    assert _due(date(2027, 1, 31), 12_000).stage is schedule.Stage.overdue
    assert _due(date(2026, 6, 1), 25_000).stage is schedule.Stage.overdue


def test_the_cars_own_distance_replaces_the_models() -> None:
    found = _due(date(2026, 6, 1), 12_000, car_km=400)
    assert found.by_car
    assert found.due_km == 12_400
    assert found.stage is schedule.Stage.second


def test_without_an_odometer_only_time_counts() -> None:
    found = _due(date(2027, 1, 20), None)
    assert found.km_left is None
    assert found.stage is schedule.Stage.first


def test_months_end_on_the_months_last_day() -> None:
    assert schedule.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert schedule.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert schedule.add_months(date(2026, 11, 30), 14) == date(2028, 1, 30)


@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_adding_twelve_months_is_the_same_day_a_year_later(day: date) -> None:
    later = schedule.add_months(day, 12)
    assert later.year == day.year + 1
    assert later.month == day.month
    assert later.day == day.day or (day.month, day.day) == (2, 29)


def test_each_stage_is_told_once_and_a_skipped_stage_is_not_told_late() -> None:
    first, second, overdue = schedule.Stage.first, schedule.Stage.second, schedule.Stage.overdue
    assert schedule.notice_owed(schedule.Stage.none, set()) is None
    assert schedule.notice_owed(first, set()) is first
    assert schedule.notice_owed(first, {first}) is None
    assert schedule.notice_owed(second, {first}) is second
    assert schedule.notice_owed(first, {second}) is None  # a car that jumped straight on
    assert schedule.notice_owed(overdue, {first, second}) is overdue


def test_model_schedules_are_written_per_model_with_a_default() -> None:
    assert schedule.interval_for("UX300E") == schedule.Interval(30000, 24)
    assert schedule.interval_for("UX250H") == schedule.Interval(15000, 12)
