"""Which coaching a car gets, and hybrid, EV and fuel figures."""

from __future__ import annotations

import pytest

from linkplus.trips.coaching import (
    CoachingKind,
    DrivingAnalytics,
    EvCoaching,
    EvShareFactor,
    HybridCoaching,
    coach_trip,
    coaching_kind,
    tip,
)
from linkplus.trips.samples import TripFigures
from linkplus.trips.scoring import score_trip
from linkplus.vehicles.catalogue import Powertrain
from tests.trips.support import make_trip


@pytest.mark.parametrize(
    ("powertrain", "kind"),
    [
        (Powertrain.petrol, CoachingKind.driving_analytics),
        (Powertrain.diesel, CoachingKind.driving_analytics),
        (Powertrain.hev, CoachingKind.hybrid_coaching),
        (Powertrain.phev, CoachingKind.hybrid_coaching),
        (Powertrain.bev, CoachingKind.ev_coaching),
    ],
)
def test_coaching_follows_the_powertrain(powertrain: Powertrain, kind: CoachingKind) -> None:
    assert coaching_kind(powertrain) is kind
    samples = make_trip([36.0] * 101, ev_mode=[True] * 101, power_kw=[10.0] * 101)
    coaching = coach_trip(powertrain, samples, TripFigures(1000, 100, 0.08, 0.3))
    assert coaching.kind is kind


def test_driving_analytics_reports_litres_per_100_km() -> None:
    result = coach_trip(Powertrain.petrol, make_trip([72.0] * 601), TripFigures(12_000, 600, 0.84))
    assert isinstance(result, DrivingAnalytics)
    assert result.fuel_l_per_100km == pytest.approx(7.0)
    assert result.average_speed_kmh == pytest.approx(72.0)
    tiny = coach_trip(Powertrain.diesel, make_trip([10.0] * 20), TripFigures(60, 20, 0.01))
    assert isinstance(tiny, DrivingAnalytics)
    assert tiny.fuel_l_per_100km is None


def test_hybrid_coaching_measures_the_ev_share_and_what_lowered_it() -> None:
    # 20 minutes at 1 Hz: engine on while cold (first 4 min), above 70 km/h, on hard pulls.
    n = 1201
    speed = [30.0 if i < 600 else 100.0 if i < 900 else 40.0 for i in range(n)]
    accel = [2.5 if 1000 <= i < 1030 else 0.0 for i in range(n)]
    ev = [not (i < 240 or 600 <= i < 900 or 1000 <= i < 1030) for i in range(n)]
    samples = make_trip(speed, accel, ev_mode=ev)
    result = coach_trip(Powertrain.hev, samples, TripFigures(18_000, 1200, 0.6))
    assert isinstance(result, HybridCoaching)
    assert result.ev_distance_share is not None
    assert result.ev_time_share is not None
    assert 0.0 < result.ev_distance_share < result.ev_time_share < 1.0
    factors = [loss.factor for loss in result.lowered_by]
    assert factors[0] is EvShareFactor.high_speed
    assert set(factors) == {
        EvShareFactor.high_speed,
        EvShareFactor.cold_start,
        EvShareFactor.hard_acceleration,
    }
    total = result.ev_distance_share + sum(loss.share for loss in result.lowered_by)
    assert total == pytest.approx(1.0)
    assert result.fuel_l_per_100km == pytest.approx(0.6 / 18 * 100)
    assert not result.short_trip


def test_hybrid_without_ev_flags_has_no_share() -> None:
    result = coach_trip(Powertrain.hev, make_trip([30.0] * 300), TripFigures(2500, 300))
    assert isinstance(result, HybridCoaching)
    assert result.ev_distance_share is None
    assert result.lowered_by == ()
    assert result.short_trip


def test_ev_coaching_integrates_power_when_the_car_sent_no_totals() -> None:
    # 3601 samples, one hour: 20 kW drawn for 3000 s and 30 kW recovered for 600 s.
    power = [20.0] * 3000 + [-30.0] * 601
    result = coach_trip(
        Powertrain.bev, make_trip([60.0] * 3601, power_kw=power), TripFigures(60_000, 3600)
    )
    assert isinstance(result, EvCoaching)
    assert result.recovered_kwh == pytest.approx(5.0, rel=0.01)
    assert result.energy_used_kwh == pytest.approx(16.67 - 5.0, rel=0.01)
    assert result.consumption_kwh_per_100km == pytest.approx(result.energy_used_kwh / 60 * 100)
    assert result.recovered_share == pytest.approx(5.0 / 16.67, rel=0.01)


def test_ev_coaching_prefers_the_cars_own_totals() -> None:
    result = coach_trip(
        Powertrain.bev,
        make_trip([60.0] * 61, power_kw=[99.0] * 61),
        TripFigures(25_000, 1200, energy_used_kwh=4.0, regenerated_kwh=1.0),
    )
    assert isinstance(result, EvCoaching)
    assert result.consumption_kwh_per_100km == pytest.approx(16.0)
    assert result.recovered_kwh == 1.0
    assert result.recovered_share == pytest.approx(0.2)


def test_tip_names_the_weakest_part() -> None:
    hard_stops = [-5.0 if i % 40 < 3 else 0.0 for i in range(600)]
    weakest = tip(score_trip(make_trip([50.0] * 600, hard_stops)))
    assert weakest is not None
    assert weakest[0] == "braking"
    assert tip(score_trip(make_trip([50.0] * 600))) is None
