"""Usage-based insurance: bounds, smoothness, no location, speeding, periods and programmes."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkplus.trips import plain
from linkplus.trips.insurance import (
    ElectricDriving,
    InsuranceScore,
    InsuranceUnavailable,
    InsuredTrip,
    hybrid_programme,
    period_insurance_score,
    plug_in_programme,
    trip_insurance_score,
)
from tests.trips.support import make_trip, smoothed, trips

TOLERANCE = 1e-9


def _values(score: InsuranceScore) -> list[float]:
    values = [score.braking, score.cornering, score.accelerating, score.combined]
    return values + ([score.speeding] if score.speeding is not None else [])


@given(trips())
def test_criteria_stay_between_0_and_100_or_are_refused_without_location(samples) -> None:
    outcome = trip_insurance_score(samples)
    if not samples.location_shared.any():
        assert outcome.score is None
        assert outcome.unavailable is InsuranceUnavailable.no_location
        return
    assert outcome.score is not None
    assert outcome.unavailable is None
    for value in _values(outcome.score):
        assert 0.0 <= value <= 100.0


@given(trips(), st.floats(0.0, 1.0))
def test_smoother_driving_never_lowers_braking_cornering_or_accelerating(samples, factor) -> None:
    rough = trip_insurance_score(samples).score
    smooth = trip_insurance_score(smoothed(samples, factor)).score
    if rough is None or smooth is None:
        assert rough is smooth is None
        return
    assert smooth.braking >= rough.braking - TOLERANCE
    assert smooth.cornering >= rough.cornering - TOLERANCE
    assert smooth.accelerating >= rough.accelerating - TOLERANCE
    assert smooth.speeding == rough.speeding
    assert smooth.combined >= rough.combined - TOLERANCE


@given(trips())
def test_numpy_insurance_score_equals_the_plain_python_reference(samples) -> None:
    fast = trip_insurance_score(samples)
    slow = plain.insurance_score(plain.plain_trip(samples))
    assert fast.unavailable == slow.unavailable
    if fast.score is None or slow.score is None:
        assert fast.score is slow.score is None
        return
    assert (fast.score.speeding is None) == (slow.score.speeding is None)
    for a, b in zip(_values(fast.score), _values(slow.score), strict=True):
        assert a == pytest.approx(b, abs=TOLERANCE, rel=0)


def test_speeding_counts_only_beyond_the_tolerance_and_where_the_limit_is_known() -> None:
    within = trip_insurance_score(make_trip([54.0] * 600, speed_limit_kmh=[50.0] * 600)).score
    assert within is not None
    assert within.speeding == 100.0
    fast = trip_insurance_score(make_trip([75.0] * 600, speed_limit_kmh=[50.0] * 600)).score
    assert fast is not None
    assert fast.speeding is not None
    assert fast.speeding < 5.0
    unknown = trip_insurance_score(make_trip([75.0] * 600)).score
    assert unknown is not None
    assert unknown.speeding is None
    # Without a speeding score the other three share the combined score.
    assert unknown.combined == pytest.approx(100.0)
    hidden = [i >= 300 for i in range(600)]
    half = trip_insurance_score(
        make_trip([75.0] * 300 + [50.0] * 300, speed_limit_kmh=[50.0] * 600, location_shared=hidden)
    ).score
    assert half is not None
    assert half.speeding == 100.0


def test_hard_cornering_lowers_cornering_only() -> None:
    lateral = [4.5 if i % 20 < 3 else 0.0 for i in range(600)]
    score = trip_insurance_score(make_trip([60.0] * 600, accel_lat_ms2=lateral)).score
    assert score is not None
    assert score.cornering < 50.0
    assert score.braking == score.accelerating == 100.0


def test_period_score_is_distance_weighted_and_skips_trips_without_location() -> None:
    def score(value: float, speeding: float | None) -> InsuranceScore:
        return InsuranceScore(speeding, value, value, value, value)

    outcome = period_insurance_score(
        [
            InsuredTrip(30_000, score(90.0, 80.0)),
            InsuredTrip(10_000, score(50.0, None)),
            InsuredTrip(5_000, None),
        ]
    )
    assert outcome.score is not None
    assert outcome.score.braking == pytest.approx(80.0)
    assert outcome.score.speeding == pytest.approx(80.0)
    assert period_insurance_score([InsuredTrip(1000, None)]).unavailable is (
        InsuranceUnavailable.no_location
    )
    assert period_insurance_score([]).unavailable is InsuranceUnavailable.no_trips


def test_hybrid_programme_share_of_electric_driving_ignores_private_trips() -> None:
    figures = hybrid_programme(
        [
            ElectricDriving(10_000, 900, 6_000, 600, location_shared=True),
            ElectricDriving(30_000, 1800, 6_000, 300, location_shared=True),
            ElectricDriving(50_000, 3600, 50_000, 3600, location_shared=False),
        ]
    )
    assert figures.trips == 2
    assert figures.distance_km == pytest.approx(40.0)
    assert figures.electric_distance_share == pytest.approx(0.3)
    assert figures.electric_time_share == pytest.approx(900 / 2700)
    assert hybrid_programme([]).electric_distance_share is None


def test_plug_in_programme_counts_charging_sessions_of_the_month() -> None:
    trips = [ElectricDriving(200_000, 3600 * 4, 120_000, 3600 * 3, location_shared=True)]
    dates = [date(2026, 2, 3), date(2026, 2, 3), date(2026, 2, 17), date(2026, 3, 1)]
    figures = plug_in_programme(trips, dates, year=2026, month=2)
    assert figures.charging_sessions == 3
    assert figures.charging_days == 2
    assert figures.sessions_per_week == pytest.approx(3 * 7 / 28)
    assert figures.km_per_charging_session == pytest.approx(200 / 3)
    assert figures.electric.electric_distance_share == pytest.approx(0.6)
    never = plug_in_programme(trips, [], year=2026, month=2)
    assert never.charging_sessions == 0
    assert never.km_per_charging_session is None
