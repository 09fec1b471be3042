"""Period performance score and the monthly overview."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkplus.trips.periods import (
    PeriodTrip,
    distance_weighted_average,
    monthly_overview,
    performance_score,
)
from linkplus.trips.scoring import ConstantSpeedAbsence, TripScores


def _scores(value: float, constant_speed: float | None = None) -> TripScores:
    absent = None if constant_speed is not None else ConstantSpeedAbsence.mostly_city_driving
    return TripScores(value, value, constant_speed, absent, value)


def _trip(day: int, hour: int, km: float, score: float, **kw: float | None) -> PeriodTrip:
    return PeriodTrip(
        started_at=datetime(2026, 3, day, hour, tzinfo=UTC),
        distance_m=km * 1000,
        duration_s=km * 60,
        scores=_scores(score, kw.pop("constant_speed", None)),
        **kw,
    )


@given(
    st.lists(
        st.tuples(st.floats(0, 100), st.floats(0, 1e6, allow_subnormal=True)),
        min_size=1,
        max_size=50,
    )
)
def test_distance_weighted_average_lies_between_lowest_and_highest(pairs) -> None:
    values = [value for value, _ in pairs]
    average = distance_weighted_average(values, [distance for _, distance in pairs])
    assert average is not None
    assert min(values) <= average <= max(values)


def test_period_score_weighs_each_trip_by_its_distance() -> None:
    trips = [_trip(1, 8, 90, 90.0), _trip(1, 18, 10, 50.0)]
    assert performance_score(trips) == pytest.approx(86.0)
    assert performance_score([]) is None
    assert distance_weighted_average([40.0, 80.0], [0.0, 0.0]) == pytest.approx(60.0)


def test_monthly_overview_sums_up_the_month_with_one_value_per_day() -> None:
    trips = [
        _trip(2, 7, 20, 80.0, fuel_used_l=1.2),
        _trip(2, 17, 60, 90.0, constant_speed=70.0, fuel_used_l=3.6),
        _trip(15, 9, 20, 60.0),
        PeriodTrip(datetime(2026, 4, 1, 9, tzinfo=UTC), 5000, 600, _scores(10.0)),  # April
    ]
    overview = monthly_overview(trips, year=2026, month=3)
    assert len(overview.days) == 31
    assert overview.days[0].day.isoformat() == "2026-03-01"
    assert overview.days[0].score is None
    assert overview.days[1].trips == 2
    assert overview.days[1].score == pytest.approx((20 * 80 + 60 * 90) / 80)
    assert overview.days[14].score == pytest.approx(60.0)
    assert overview.totals.trips == 3
    assert overview.totals.distance_km == pytest.approx(100.0)
    assert overview.totals.fuel_l == pytest.approx(4.8)
    assert overview.totals.energy_kwh is None
    assert overview.breakdown.performance == pytest.approx((20 * 80 + 60 * 90 + 20 * 60) / 100)
    assert overview.breakdown.constant_speed == pytest.approx(70.0)


def test_trips_fall_on_the_owners_local_day_and_late_uploads_on_their_own_day() -> None:
    # 23:30 UTC on 31 March is already 1 April in UTC+2.
    late_evening = PeriodTrip(datetime(2026, 3, 31, 23, 30, tzinfo=UTC), 8000, 900, _scores(75))
    in_utc = monthly_overview([late_evening], year=2026, month=3)
    assert in_utc.days[30].trips == 1
    plus_two = timezone(timedelta(hours=2))
    assert monthly_overview([late_evening], year=2026, month=3, tz=plus_two).totals.trips == 0
    assert monthly_overview([late_evening], year=2026, month=4, tz=plus_two).days[0].trips == 1


def test_empty_month_has_no_score_but_all_its_days() -> None:
    overview = monthly_overview([], year=2028, month=2)
    assert len(overview.days) == 29
    assert overview.breakdown.performance is None
    assert overview.totals.fuel_l is None
