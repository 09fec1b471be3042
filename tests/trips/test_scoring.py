"""Per-trip performance scores: bounds, smoothness, constant speed and the plain oracle."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkplus.trips import plain
from linkplus.trips.insurance import score_trip_and_insurance
from linkplus.trips.penalties import CHUNK_SAMPLES
from linkplus.trips.scoring import ConstantSpeedAbsence, TripScores, score_trip
from tests.trips.support import make_trip, smoothed, trips

TOLERANCE = 1e-9


def _parts(scores: TripScores) -> list[float]:
    values = [scores.acceleration, scores.braking, scores.trip]
    return values + ([scores.constant_speed] if scores.constant_speed is not None else [])


@given(trips())
def test_scores_stay_between_0_and_100(samples) -> None:
    for value in _parts(score_trip(samples)):
        assert 0.0 <= value <= 100.0


@given(trips(), st.floats(0.0, 1.0))
def test_a_smoother_trip_never_scores_lower(samples, factor) -> None:
    rough, smooth = score_trip(samples), score_trip(smoothed(samples, factor))
    assert smooth.acceleration >= rough.acceleration - TOLERANCE
    assert smooth.braking >= rough.braking - TOLERANCE
    assert smooth.trip >= rough.trip - TOLERANCE
    assert smooth.constant_speed_absent == rough.constant_speed_absent
    if rough.constant_speed is not None and smooth.constant_speed is not None:
        assert smooth.constant_speed >= rough.constant_speed - TOLERANCE


@settings(max_examples=300)
@given(trips())
def test_numpy_scores_equal_the_plain_python_reference(samples) -> None:
    fast, slow = score_trip(samples), plain.score_trip(plain.plain_trip(samples))
    assert fast.constant_speed_absent == slow.constant_speed_absent
    assert (fast.constant_speed is None) == (slow.constant_speed is None)
    for a, b in zip(_parts(fast), _parts(slow), strict=True):
        assert a == pytest.approx(b, abs=TOLERANCE, rel=0)


def test_gentle_driving_scores_100_and_hard_driving_less() -> None:
    speeds = [50.0] * 600
    gentle = score_trip(make_trip(speeds, [1.0, -1.5] * 300))
    assert gentle.acceleration == gentle.braking == gentle.trip == 100.0
    hard_starts = [3.5 if i % 60 < 4 else 0.0 for i in range(600)]
    hard_stops = [-4.5 if i % 60 < 4 else 0.0 for i in range(600)]
    assert score_trip(make_trip(speeds, hard_starts)).acceleration < 60.0
    assert score_trip(make_trip(speeds, hard_stops)).braking < 60.0
    assert score_trip(make_trip(speeds, hard_starts)).braking == 100.0


def test_harder_excess_costs_more_than_proportionally() -> None:
    speeds = [50.0] * 600
    once = [1.5 + 1.0 if i == 100 else 0.0 for i in range(600)]
    twice_as_hard = [1.5 + 2.0 if i == 100 else 0.0 for i in range(600)]
    loss_once = 100 - score_trip(make_trip(speeds, once)).acceleration
    loss_twice = 100 - score_trip(make_trip(speeds, twice_as_hard)).acceleration
    assert loss_twice > 2 * loss_once > 0


def test_city_trip_has_no_constant_speed_score_and_says_why() -> None:
    city = score_trip(make_trip([40.0] * 1200 + [70.0] * 200))
    assert city.constant_speed is None
    assert city.constant_speed_absent is ConstantSpeedAbsence.mostly_city_driving
    assert city.trip == pytest.approx((city.acceleration + city.braking) / 2)
    brief = score_trip(make_trip([90.0] * 120))
    assert brief.constant_speed_absent is ConstantSpeedAbsence.too_little_fast_driving


def test_open_road_trip_is_scored_for_constant_speed_with_its_weight() -> None:
    wobbly = [0.9 if i % 2 else -0.9 for i in range(900)]
    steady = score_trip(make_trip([100.0] * 900, [0.1] * 900))
    swaying = score_trip(make_trip([100.0] * 900, wobbly))
    assert steady.constant_speed == 100.0
    assert swaying.constant_speed is not None
    assert swaying.constant_speed < 50.0
    expected = 0.4 * swaying.acceleration + 0.4 * swaying.braking + 0.2 * swaying.constant_speed
    assert swaying.trip == pytest.approx(expected)


def test_idling_does_not_dilute_penalties() -> None:
    hard = [3.0 if i % 30 == 0 else 0.0 for i in range(300)]
    driving = score_trip(make_trip([50.0] * 300, hard))
    parked_longer = score_trip(make_trip([50.0] * 300 + [0.0] * 600, hard + [0.0] * 600))
    # Same within the half-second the last driving sample gains from the idle one after it.
    assert parked_longer.acceleration == pytest.approx(driving.acceleration, rel=0.01)
    assert parked_longer.acceleration < 50.0


def test_trips_longer_than_one_chunk_match_the_reference() -> None:
    rng = np.random.default_rng(7)
    n = 3 * CHUNK_SAMPLES + 17
    limits = [None if x < 0.2 else 80.0 for x in rng.random(n)]
    samples = make_trip(
        rng.uniform(0, 150, n).tolist(),
        rng.normal(0, 2.0, n).tolist(),
        accel_lat_ms2=rng.normal(0, 2.0, n).tolist(),
        speed_limit_kmh=limits,
        location_shared=(rng.random(n) > 0.1).tolist(),
    )
    reference = plain.plain_trip(samples)
    fast, slow = score_trip_and_insurance(samples)
    assert fast == pytest.approx(score_trip(samples))
    expected = plain.score_trip(reference)
    assert fast.trip == pytest.approx(expected.trip, abs=TOLERANCE, rel=0)
    assert fast.constant_speed == pytest.approx(expected.constant_speed, abs=TOLERANCE, rel=0)
    insured, reference_insured = slow.score, plain.insurance_score(reference).score
    assert insured is not None
    assert reference_insured is not None
    assert insured.combined == pytest.approx(reference_insured.combined, abs=TOLERANCE, rel=0)
    assert insured.speeding == pytest.approx(reference_insured.speeding, abs=TOLERANCE, rel=0)
