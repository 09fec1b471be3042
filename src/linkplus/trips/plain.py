"""The per-trip scores computed with plain Python loops, one sample at a time.

This is the reference the numpy code in ``scoring`` and ``insurance`` is checked against (same
numbers within 1e-9) and the baseline ``bench/scoring.py`` measures it against. It shares only
the thresholds, the scales and the final ``combine`` step with them; every sum is written out here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from linkplus.trips import insurance as ubi
from linkplus.trips import penalties as limits
from linkplus.trips import scoring
from linkplus.trips.samples import MOVING_SPEED_KMH, TripSamples


@dataclass(frozen=True, slots=True)
class PlainTrip:
    """A trip as Python lists; ``speed_limit_kmh`` holds None where unknown."""

    t: list[float]
    speed_kmh: list[float]
    accel_long_ms2: list[float]
    accel_lat_ms2: list[float]
    speed_limit_kmh: list[float | None]
    location_shared: list[bool]


def plain_trip(samples: TripSamples) -> PlainTrip:
    return PlainTrip(
        t=[float(x) for x in samples.t.tolist()],
        speed_kmh=[float(x) for x in samples.speed_kmh.tolist()],
        accel_long_ms2=[float(x) for x in samples.accel_long_ms2.tolist()],
        accel_lat_ms2=[float(x) for x in samples.accel_lat_ms2.tolist()],
        speed_limit_kmh=[None if math.isnan(x) else float(x) for x in samples.speed_limit_kmh],
        location_shared=[bool(x) for x in samples.location_shared.tolist()],
    )


def weights(t: Sequence[float]) -> list[float]:
    n = len(t)
    if n < 2:
        return [0.0] * n
    out = [0.0] * n
    out[0] = (t[1] - t[0]) * 0.5
    out[n - 1] = (t[n - 1] - t[n - 2]) * 0.5
    for i in range(1, n - 1):
        out[i] = (t[i + 1] - t[i - 1]) * 0.5
    return out


def _penalty(excess: float) -> float:
    return excess * (1.0 + excess) if excess > 0.0 else 0.0


def _score(penalty_sum: float, time_s: float, scale: float) -> float:
    rate = penalty_sum / max(time_s, limits.MIN_SCORED_TIME_S)
    return 100.0 * math.exp(-rate / scale)


def score_trip(trip: PlainTrip) -> scoring.TripScores:
    w = weights(trip.t)
    moving_time = cruising_time = 0.0
    acceleration_sum = braking_sum = wobble_sum = 0.0
    for i in range(len(w)):
        wi = w[i]
        speed = trip.speed_kmh[i]
        a = trip.accel_long_ms2[i]
        if speed >= MOVING_SPEED_KMH:
            moving_time += wi
        acceleration_sum += wi * _penalty(a - limits.ACCELERATION_THRESHOLD_MS2)
        braking_sum += wi * _penalty(-a - limits.BRAKING_THRESHOLD_MS2)
        if speed >= limits.CRUISING_SPEED_KMH:
            cruising_time += wi
            wobble_sum += wi * _penalty(abs(a) - limits.STEADY_DEADBAND_MS2)
    acceleration = _score(acceleration_sum, moving_time, scoring.ACCELERATION_SCALE)
    braking = _score(braking_sum, moving_time, scoring.BRAKING_SCALE)
    absence = scoring.constant_speed_absence(cruising_time, moving_time)
    constant_speed = None
    if absence is None:
        constant_speed = _score(wobble_sum, cruising_time, scoring.CONSTANT_SPEED_SCALE)
    return scoring.TripScores(
        acceleration=acceleration,
        braking=braking,
        constant_speed=constant_speed,
        constant_speed_absent=absence,
        trip=scoring.combine(acceleration, braking, constant_speed),
    )


def insurance_score(trip: PlainTrip) -> ubi.InsuranceOutcome:
    if not any(trip.location_shared):
        return ubi.InsuranceOutcome(None, ubi.InsuranceUnavailable.no_location)
    w = weights(trip.t)
    moving_time = known_time = 0.0
    braking_sum = accelerating_sum = cornering_sum = speeding_sum = 0.0
    for i in range(len(w)):
        wi = w[i]
        speed = trip.speed_kmh[i]
        a = trip.accel_long_ms2[i]
        moving = speed >= MOVING_SPEED_KMH
        if moving:
            moving_time += wi
        braking_sum += wi * _penalty(-a - limits.HARSH_BRAKING_THRESHOLD_MS2)
        accelerating_sum += wi * _penalty(a - limits.HARSH_ACCELERATION_THRESHOLD_MS2)
        cornering_sum += wi * _penalty(abs(trip.accel_lat_ms2[i]) - limits.CORNERING_THRESHOLD_MS2)
        limit = trip.speed_limit_kmh[i]
        if moving and trip.location_shared[i] and limit is not None and limit > 0:
            known_time += wi
            over = (speed - limit - limits.SPEEDING_TOLERANCE_KMH) / limits.SPEEDING_UNIT_KMH
            speeding_sum += wi * _penalty(over)
    braking = _score(braking_sum, moving_time, ubi.HARSH_SCALE)
    accelerating = _score(accelerating_sum, moving_time, ubi.HARSH_SCALE)
    cornering = _score(cornering_sum, moving_time, ubi.HARSH_SCALE)
    speeding = _score(speeding_sum, known_time, ubi.SPEEDING_SCALE) if known_time > 0.0 else None
    return ubi.InsuranceOutcome(
        ubi.InsuranceScore(
            speeding=speeding,
            braking=braking,
            cornering=cornering,
            accelerating=accelerating,
            combined=ubi.combine(speeding, braking, cornering, accelerating),
        )
    )
