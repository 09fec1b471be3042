"""Performance score for a period and the monthly overview.

A period's performance score is the trips' scores averaged weighted by each trip's distance: a
motorway hour says more about a driver than a two-minute hop to the bakery. The monthly overview
adds the breakdown (each component averaged the same way, constant speed over the trips that
have one), the month's totals and one value per calendar day for the graph.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from linkplus.trips.scoring import TripScores


@dataclass(frozen=True, slots=True)
class PeriodTrip:
    """What the period figures need of one saved trip."""

    started_at: datetime  # aware
    distance_m: float
    duration_s: float
    scores: TripScores
    fuel_used_l: float | None = None
    energy_used_kwh: float | None = None


@dataclass(frozen=True, slots=True)
class ScoreBreakdown:
    performance: float | None
    acceleration: float | None
    braking: float | None
    constant_speed: float | None


@dataclass(frozen=True, slots=True)
class PeriodTotals:
    trips: int
    distance_km: float
    duration_s: float
    fuel_l: float | None  # None when no trip reported fuel
    energy_kwh: float | None


@dataclass(frozen=True, slots=True)
class DayFigures:
    day: date
    trips: int
    distance_km: float
    score: float | None  # None on a day without trips


@dataclass(frozen=True, slots=True)
class MonthlyOverview:
    year: int
    month: int
    breakdown: ScoreBreakdown
    totals: PeriodTotals
    days: tuple[DayFigures, ...]  # every day of the month, in order


def distance_weighted_average(values: Sequence[float], distances: Sequence[float]) -> float | None:
    """Between the lowest and the highest value, always (clamped against rounding).

    Negative distances count as zero; when every distance is zero the plain mean is used.
    """
    if len(values) != len(distances):
        raise ValueError("values and distances must be as long as each other")
    if not values:
        return None
    weights = [max(distance, 0.0) for distance in distances]
    total = math.fsum(weights)
    if total > 0:
        mean = math.fsum(v * w for v, w in zip(values, weights, strict=True)) / total
    else:
        mean = math.fsum(values) / len(values)
    return min(max(mean, min(values)), max(values))


def performance_score(trips: Sequence[PeriodTrip]) -> float | None:
    return distance_weighted_average(
        [trip.scores.trip for trip in trips], [trip.distance_m for trip in trips]
    )


def breakdown(trips: Sequence[PeriodTrip]) -> ScoreBreakdown:
    distances = [trip.distance_m for trip in trips]
    steady = [trip for trip in trips if trip.scores.constant_speed is not None]
    return ScoreBreakdown(
        performance=performance_score(trips),
        acceleration=distance_weighted_average([t.scores.acceleration for t in trips], distances),
        braking=distance_weighted_average([t.scores.braking for t in trips], distances),
        constant_speed=distance_weighted_average(
            [t.scores.constant_speed for t in steady if t.scores.constant_speed is not None],
            [t.distance_m for t in steady],
        ),
    )


def _optional_sum(values: Sequence[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return math.fsum(present) if present else None


def totals(trips: Sequence[PeriodTrip]) -> PeriodTotals:
    return PeriodTotals(
        trips=len(trips),
        distance_km=math.fsum(trip.distance_m for trip in trips) / 1000.0,
        duration_s=math.fsum(trip.duration_s for trip in trips),
        fuel_l=_optional_sum([trip.fuel_used_l for trip in trips]),
        energy_kwh=_optional_sum([trip.energy_used_kwh for trip in trips]),
    )


def monthly_overview(
    trips: Sequence[PeriodTrip], *, year: int, month: int, tz: tzinfo = UTC
) -> MonthlyOverview:
    """Trips belong to the day (in ``tz``, the owner's time zone) they started on.

    A trip uploaded hours late therefore still lands on its own day; trips of other months in
    ``trips`` are ignored.
    """
    by_day: dict[date, list[PeriodTrip]] = {}
    for trip in trips:
        day = trip.started_at.astimezone(tz).date()
        if day.year == year and day.month == month:
            by_day.setdefault(day, []).append(trip)
    in_month = [trip for day in sorted(by_day) for trip in by_day[day]]
    days = []
    for number in range(1, calendar.monthrange(year, month)[1] + 1):
        day = date(year, month, number)
        of_day = by_day.get(day, [])
        days.append(
            DayFigures(
                day=day,
                trips=len(of_day),
                distance_km=math.fsum(trip.distance_m for trip in of_day) / 1000.0,
                score=performance_score(of_day),
            )
        )
    return MonthlyOverview(
        year=year,
        month=month,
        breakdown=breakdown(in_month),
        totals=totals(in_month),
        days=tuple(days),
    )
