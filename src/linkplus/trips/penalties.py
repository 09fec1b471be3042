"""The thresholds, and one pass over a trip's samples that sums every criterion's penalty.

Each criterion (the performance score's acceleration, braking and constant speed; the insurance
score's accelerating, braking, cornering and speeding) is the same computation on a different
row: the *excess* of a sample over a threshold, through the convex penalty ``e + e²``, summed
weighted by the sample's time. Stacking the rows in one matrix lets numpy do all seven with a
handful of calls and one matrix product, which is what makes scoring fast (bench/scoring.py);
``scoring`` and ``insurance`` turn the sums into scores. Why each threshold: docs/scoring.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from linkplus.trips.samples import MOVING_SPEED_KMH, FloatArray, TripSamples, time_weights

# Performance score: efficiency, so "gentle" is the line.
ACCELERATION_THRESHOLD_MS2 = 1.5
BRAKING_THRESHOLD_MS2 = 2.0
STEADY_DEADBAND_MS2 = 0.3
CRUISING_SPEED_KMH = 60.0
# Usage-based insurance: safety, so "harsh" is the line.
HARSH_ACCELERATION_THRESHOLD_MS2 = 2.5
HARSH_BRAKING_THRESHOLD_MS2 = 3.0
CORNERING_THRESHOLD_MS2 = 3.0
SPEEDING_TOLERANCE_KMH = 5.0
SPEEDING_UNIT_KMH = 10.0

MIN_SCORED_TIME_S = 60.0
"""Penalties are divided by at least this: one spike must not sink a 20-second trip to zero."""

_ROWS = 7


@dataclass(frozen=True, slots=True)
class PenaltySums:
    """Time-weighted penalty sums (penalty·s) and the times they are divided by (s)."""

    acceleration: float
    braking: float
    unsteadiness: float  # over cruising samples only
    harsh_acceleration: float
    harsh_braking: float
    cornering: float
    speeding: float  # over samples with a shared position and a known limit only
    moving_time_s: float
    cruising_time_s: float
    speed_limit_time_s: float
    speed_limit_known: bool  # some moving time with a shared position and a known limit
    location_known: bool  # some sample had a shared position


def rate(penalty_sum: float, time_s: float) -> float:
    return penalty_sum / max(time_s, MIN_SCORED_TIME_S)


def score_from_rate(penalty_rate: float, scale: float) -> float:
    """0..100: 100 with no penalty, falling smoothly and never below 0."""
    return 100.0 * math.exp(-penalty_rate / scale)


CHUNK_SAMPLES = 4096
"""Longer trips are summed in chunks so the work arrays stay small (in the CPU cache, and
allocated from the heap rather than from fresh pages); sums over chunks simply add up."""
_SIGNS = np.array([1.0, -1.0, 1.0, 1.0, -1.0])[:, None]
_SPEED_CUTS = np.array([CRUISING_SPEED_KMH, MOVING_SPEED_KMH, MOVING_SPEED_KMH])[:, None]
_THRESHOLDS = np.array(
    [
        ACCELERATION_THRESHOLD_MS2,
        BRAKING_THRESHOLD_MS2,
        STEADY_DEADBAND_MS2,
        HARSH_ACCELERATION_THRESHOLD_MS2,
        HARSH_BRAKING_THRESHOLD_MS2,
        CORNERING_THRESHOLD_MS2,
        SPEEDING_TOLERANCE_KMH,
    ]
)[:, None]


def _chunk_sums(samples: TripSamples, w: FloatArray, start: int, end: int) -> FloatArray:
    """(8, 4): penalty rows 0-6 and a row of ones, each summed with four weightings:
    all time, cruising time, time with a known limit and shared position, moving time."""
    n = end - start
    speed = samples.speed_kmh[start:end]
    accel = samples.accel_long_ms2[start:end]
    limit = samples.speed_limit_kmh[start:end]
    w = w[start:end]
    # Rows: accel, -accel, |accel|, accel, -accel, |lateral|, speed - limit (NaN: unknown).
    rows = np.empty((_ROWS + 1, n))
    excess = rows[:_ROWS]
    np.multiply(accel, _SIGNS, out=rows[:5])
    np.abs(accel, out=rows[2])
    np.abs(samples.accel_lat_ms2[start:end], out=rows[5])
    np.subtract(speed, limit, out=rows[6])
    excess -= _THRESHOLDS
    rows[6] /= SPEEDING_UNIT_KMH
    np.fmax(excess, 0.0, out=excess)  # fmax: NaN (unknown limit) counts as no excess
    excess *= excess + 1.0  # the convex penalty e + e², in place
    rows[_ROWS] = 1.0  # summed with each weighting, this row gives the times
    # Weightings: all time, then cruising, limit known with a shared position, moving.
    weights = np.empty((4, n))
    weights[0] = w
    masks = np.greater_equal(speed, _SPEED_CUTS)
    masks[1] &= samples.location_shared[start:end]
    masks[1] &= limit > 0
    np.multiply(w, masks, out=weights[1:])
    return rows @ weights.T


def penalty_sums(samples: TripSamples, weights: FloatArray | None = None) -> PenaltySums:
    w = time_weights(samples.t) if weights is None else weights
    n = len(samples)
    if n <= CHUNK_SAMPLES:
        sums = _chunk_sums(samples, w, 0, n)
    else:
        sums = np.zeros((_ROWS + 1, 4))
        for start in range(0, n, CHUNK_SAMPLES):
            sums += _chunk_sums(samples, w, start, min(start + CHUNK_SAMPLES, n))
    penalties = sums.tolist()
    times = penalties[_ROWS]
    return PenaltySums(
        acceleration=penalties[0][0],
        braking=penalties[1][0],
        unsteadiness=penalties[2][1],
        harsh_acceleration=penalties[3][0],
        harsh_braking=penalties[4][0],
        cornering=penalties[5][0],
        speeding=penalties[6][2],
        moving_time_s=times[3],
        cruising_time_s=times[1],
        speed_limit_time_s=times[2],
        speed_limit_known=times[2] > 0.0,
        location_known=bool(samples.location_shared.any()),
    )
