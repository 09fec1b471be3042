"""Usage-based insurance score, and the figures of the hybrid and plug-in hybrid programmes.

The insurer's view is safety, not efficiency: the thresholds sit where driving becomes harsh,
above the performance score's "gentle" ones, and speeding against the road's limit counts. The
four criteria use the same excess → convex penalty → ``100·exp(-rate/scale)`` shape as
``scoring`` (docs/scoring.md). Location is what the insurer scores against, so a trip without any
shared position gets no score, with a reason, instead of a guess.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from linkplus.trips.penalties import PenaltySums, penalty_sums, rate, score_from_rate
from linkplus.trips.samples import FloatArray, TripSamples
from linkplus.trips.scoring import TripScores, scores_from_sums

HARSH_SCALE = 0.1
SPEEDING_SCALE = 0.3

WEIGHT_SPEEDING = 0.3
WEIGHT_BRAKING = 0.3
WEIGHT_CORNERING = 0.2
WEIGHT_ACCELERATING = 0.2


class InsuranceUnavailable(StrEnum):
    no_location = "no_location"  # privacy mode hid every position of the trip(s)
    no_trips = "no_trips"


INSURANCE_UNAVAILABLE_TEXT: dict[InsuranceUnavailable, str] = {
    InsuranceUnavailable.no_location: (
        "Location sharing was off, so this driving cannot be scored for your insurance."
    ),
    InsuranceUnavailable.no_trips: "No scored trips in this period yet.",
}


@dataclass(frozen=True, slots=True)
class InsuranceScore:
    """Each criterion 0..100. ``speeding`` is None when no speed limit was known on the way."""

    speeding: float | None
    braking: float
    cornering: float
    accelerating: float
    combined: float


@dataclass(frozen=True, slots=True)
class InsuranceOutcome:
    """Either a score or the reason there is none."""

    score: InsuranceScore | None
    unavailable: InsuranceUnavailable | None = None


def combine(speeding: float | None, braking: float, cornering: float, accelerating: float) -> float:
    total = WEIGHT_BRAKING * braking + WEIGHT_CORNERING * cornering
    total += WEIGHT_ACCELERATING * accelerating
    if speeding is None:
        return total / (WEIGHT_BRAKING + WEIGHT_CORNERING + WEIGHT_ACCELERATING)
    return total + WEIGHT_SPEEDING * speeding


def insurance_from_sums(sums: PenaltySums) -> InsuranceOutcome:
    if not sums.location_known:
        return InsuranceOutcome(None, InsuranceUnavailable.no_location)
    moving = sums.moving_time_s
    braking = score_from_rate(rate(sums.harsh_braking, moving), HARSH_SCALE)
    accelerating = score_from_rate(rate(sums.harsh_acceleration, moving), HARSH_SCALE)
    cornering = score_from_rate(rate(sums.cornering, moving), HARSH_SCALE)
    speeding = None
    if sums.speed_limit_known:
        speeding = score_from_rate(rate(sums.speeding, sums.speed_limit_time_s), SPEEDING_SCALE)
    return InsuranceOutcome(
        InsuranceScore(
            speeding=speeding,
            braking=braking,
            cornering=cornering,
            accelerating=accelerating,
            combined=combine(speeding, braking, cornering, accelerating),
        )
    )


def trip_insurance_score(
    samples: TripSamples, weights: FloatArray | None = None
) -> InsuranceOutcome:
    return insurance_from_sums(penalty_sums(samples, weights))


def score_trip_and_insurance(
    samples: TripSamples, weights: FloatArray | None = None
) -> tuple[TripScores, InsuranceOutcome]:
    """Both scores from one pass over the samples: what ingestion calls for each trip."""
    sums = penalty_sums(samples, weights)
    return scores_from_sums(sums), insurance_from_sums(sums)


@dataclass(frozen=True, slots=True)
class InsuredTrip:
    distance_m: float
    score: InsuranceScore | None


def _weighted(pairs: Sequence[tuple[float, float]]) -> float:
    """Distance-weighted mean, kept inside the values' range despite rounding."""
    values = [value for value, _ in pairs]
    total = math.fsum(distance for _, distance in pairs)
    if total <= 0:
        mean = math.fsum(values) / len(values)
    else:
        mean = math.fsum(value * distance for value, distance in pairs) / total
    return min(max(mean, min(values)), max(values))


def period_insurance_score(trips: Sequence[InsuredTrip]) -> InsuranceOutcome:
    """A month's (or any period's) score: each criterion averaged by the trips' distance."""
    scored = [(trip.score, max(trip.distance_m, 0.0)) for trip in trips if trip.score is not None]
    if not scored:
        reason = InsuranceUnavailable.no_location if trips else InsuranceUnavailable.no_trips
        return InsuranceOutcome(None, reason)
    speeding_pairs = [(s.speeding, d) for s, d in scored if s.speeding is not None]
    speeding = _weighted(speeding_pairs) if speeding_pairs else None
    braking = _weighted([(s.braking, d) for s, d in scored])
    cornering = _weighted([(s.cornering, d) for s, d in scored])
    accelerating = _weighted([(s.accelerating, d) for s, d in scored])
    return InsuranceOutcome(
        InsuranceScore(
            speeding=speeding,
            braking=braking,
            cornering=cornering,
            accelerating=accelerating,
            combined=combine(speeding, braking, cornering, accelerating),
        )
    )


@dataclass(frozen=True, slots=True)
class ElectricDriving:
    """One trip's electric driving, as hybrid coaching measured it."""

    distance_m: float
    duration_s: float
    ev_distance_m: float
    ev_time_s: float
    location_shared: bool  # False: a trip without any shared position does not count


@dataclass(frozen=True, slots=True)
class HybridProgrammeFigures:
    """Full Hybrid Insurance rewards the share of driving done electrically."""

    trips: int
    distance_km: float
    electric_distance_share: float | None  # 0..1; None without distance
    electric_time_share: float | None


@dataclass(frozen=True, slots=True)
class PlugInProgrammeFigures:
    """Plug-in Hybrid Insurance adds how often the car is charged."""

    electric: HybridProgrammeFigures
    charging_sessions: int
    charging_days: int
    sessions_per_week: float
    km_per_charging_session: float | None  # None when the car was not charged


def hybrid_programme(trips: Sequence[ElectricDriving]) -> HybridProgrammeFigures:
    counted = [trip for trip in trips if trip.location_shared]
    distance = math.fsum(trip.distance_m for trip in counted)
    duration = math.fsum(trip.duration_s for trip in counted)
    ev_distance = math.fsum(min(trip.ev_distance_m, trip.distance_m) for trip in counted)
    ev_time = math.fsum(min(trip.ev_time_s, trip.duration_s) for trip in counted)
    return HybridProgrammeFigures(
        trips=len(counted),
        distance_km=distance / 1000.0,
        electric_distance_share=ev_distance / distance if distance > 0 else None,
        electric_time_share=ev_time / duration if duration > 0 else None,
    )


def plug_in_programme(
    trips: Sequence[ElectricDriving], charging_dates: Sequence[date], *, year: int, month: int
) -> PlugInProgrammeFigures:
    """``charging_dates``: the start date of each charging session (the caller's records).

    Sessions outside the month are ignored, so the caller may pass a wider list.
    """
    in_month = [d for d in charging_dates if d.year == year and d.month == month]
    electric = hybrid_programme(trips)
    days_in_month = calendar.monthrange(year, month)[1]
    sessions = len(in_month)
    return PlugInProgrammeFigures(
        electric=electric,
        charging_sessions=sessions,
        charging_days=len(set(in_month)),
        sessions_per_week=sessions * 7.0 / days_in_month,
        km_per_charging_session=electric.distance_km / sessions if sessions else None,
    )
