"""Per-trip performance scores: acceleration, braking, constant speed and the trip score.

Every score has the same shape (docs/scoring.md): take the part of each sample beyond a
threshold (the *excess*), pass it through a convex, increasing penalty, add the penalties up
weighted by each sample's time, divide by the time spent moving, and map that rate to 0..100 with
``100 * exp(-rate / scale)``. Because the excess only grows with |acceleration|, a smoother trip
(same speeds, smaller accelerations) can never score lower, and a score can neither pass 100 nor
go below 0. ``linkplus.trips.plain`` computes the same numbers with loops.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from linkplus.trips.penalties import PenaltySums, penalty_sums, rate, score_from_rate
from linkplus.trips.samples import FloatArray, TripSamples

ACCELERATION_SCALE = 0.15
BRAKING_SCALE = 0.15
CONSTANT_SPEED_SCALE = 0.5
MIN_CRUISING_TIME_S = 180.0
MIN_CRUISING_SHARE = 0.25

WEIGHT_ACCELERATION = 0.4
WEIGHT_BRAKING = 0.4
WEIGHT_CONSTANT_SPEED = 0.2
"""Acceleration and braking carry the trip score; without a constant-speed score they share it."""


class ConstantSpeedAbsence(StrEnum):
    """Why a trip has no constant-speed score; the app explains each one."""

    mostly_city_driving = "mostly_city_driving"  # under a quarter of the moving time at 60 km/h+
    too_little_fast_driving = "too_little_fast_driving"  # under 3 minutes at 60 km/h or more


CONSTANT_SPEED_ABSENCE_TEXT: dict[ConstantSpeedAbsence, str] = {
    ConstantSpeedAbsence.mostly_city_driving: (
        "Mostly city driving: your speed was too low for a constant speed score."
    ),
    ConstantSpeedAbsence.too_little_fast_driving: (
        "Less than 3 minutes above 60 km/h: too short a stretch for a constant speed score."
    ),
}


@dataclass(frozen=True, slots=True)
class TripScores:
    """Scores 0..100, unrounded (rounding is for display); ``trip`` is the weighted total."""

    acceleration: float
    braking: float
    constant_speed: float | None
    constant_speed_absent: ConstantSpeedAbsence | None
    trip: float


def combine(acceleration: float, braking: float, constant_speed: float | None) -> float:
    if constant_speed is None:
        return (acceleration + braking) / 2.0
    return (
        WEIGHT_ACCELERATION * acceleration
        + WEIGHT_BRAKING * braking
        + WEIGHT_CONSTANT_SPEED * constant_speed
    )


def constant_speed_absence(
    cruising_time_s: float, moving_time_s: float
) -> ConstantSpeedAbsence | None:
    if cruising_time_s < MIN_CRUISING_TIME_S:
        return ConstantSpeedAbsence.too_little_fast_driving
    if cruising_time_s < MIN_CRUISING_SHARE * moving_time_s:
        return ConstantSpeedAbsence.mostly_city_driving
    return None


def scores_from_sums(sums: PenaltySums) -> TripScores:
    acceleration = score_from_rate(rate(sums.acceleration, sums.moving_time_s), ACCELERATION_SCALE)
    braking = score_from_rate(rate(sums.braking, sums.moving_time_s), BRAKING_SCALE)
    absence = constant_speed_absence(sums.cruising_time_s, sums.moving_time_s)
    constant_speed = None
    if absence is None:
        constant_speed = score_from_rate(
            rate(sums.unsteadiness, sums.cruising_time_s), CONSTANT_SPEED_SCALE
        )
    return TripScores(
        acceleration=acceleration,
        braking=braking,
        constant_speed=constant_speed,
        constant_speed_absent=absence,
        trip=combine(acceleration, braking, constant_speed),
    )


def score_trip(samples: TripSamples, weights: FloatArray | None = None) -> TripScores:
    """Score one trip; pass ``weights`` (from ``time_weights``) when already computed."""
    return scores_from_sums(penalty_sums(samples, weights))
