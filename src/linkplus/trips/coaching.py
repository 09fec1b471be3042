"""Driving analytics, hybrid coaching and EV coaching: which one a car gets, and their figures.

Petrol and diesel cars get driving analytics (fuel consumption), full and plug-in hybrids get
hybrid coaching (how much was driven electrically and what kept the engine running), battery
electric cars get EV coaching (consumption and energy recovered by braking). Shares are measured
from the 1 Hz samples; totals come from the car's own figures where it reported them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from linkplus.trips.penalties import ACCELERATION_THRESHOLD_MS2
from linkplus.trips.samples import BoolArray, FloatArray, TripFigures, TripSamples, time_weights
from linkplus.trips.scoring import TripScores
from linkplus.vehicles.catalogue import Powertrain

COLD_START_S = 240.0
"""A cold engine runs to warm itself and the catalyst for the first few minutes."""
SHORT_TRIP_S = 600.0
EV_TOP_SPEED_KMH: dict[Powertrain, float] = {Powertrain.hev: 70.0, Powertrain.phev: 120.0}
"""Above these a full (or plug-in) hybrid normally needs its engine."""
MIN_CONSUMPTION_DISTANCE_M = 100.0
"""Below this a per-100-km figure is dominated by the start and means nothing."""


class CoachingKind(StrEnum):
    driving_analytics = "driving_analytics"
    hybrid_coaching = "hybrid_coaching"
    ev_coaching = "ev_coaching"


COACHING_BY_POWERTRAIN: dict[Powertrain, CoachingKind] = {
    Powertrain.petrol: CoachingKind.driving_analytics,
    Powertrain.diesel: CoachingKind.driving_analytics,
    Powertrain.hev: CoachingKind.hybrid_coaching,
    Powertrain.phev: CoachingKind.hybrid_coaching,
    Powertrain.bev: CoachingKind.ev_coaching,
}


class EvShareFactor(StrEnum):
    """What kept a hybrid's engine running, in the order a non-EV second is attributed."""

    cold_start = "cold_start"
    high_speed = "high_speed"
    hard_acceleration = "hard_acceleration"
    other = "other"  # battery low, heating, engine braking: not visible in the samples


@dataclass(frozen=True, slots=True)
class EvShareLoss:
    factor: EvShareFactor
    distance_m: float
    share: float  # of the trip's distance driven with the engine on for this reason


@dataclass(frozen=True, slots=True)
class DrivingAnalytics:
    kind: CoachingKind
    distance_km: float
    average_speed_kmh: float | None
    fuel_l_per_100km: float | None


@dataclass(frozen=True, slots=True)
class HybridCoaching:
    kind: CoachingKind
    distance_km: float
    ev_distance_m: float
    ev_time_s: float
    ev_distance_share: float | None  # 0..1, None when the car sent no EV-mode flags
    ev_time_share: float | None
    lowered_by: tuple[EvShareLoss, ...]  # largest first; with the EV share they add up to 1
    short_trip: bool  # under 10 minutes: the cold start weighs on the whole trip
    fuel_l_per_100km: float | None
    energy_kwh_per_100km: float | None  # plug-in hybrids


@dataclass(frozen=True, slots=True)
class EvCoaching:
    kind: CoachingKind
    distance_km: float
    energy_used_kwh: float | None
    consumption_kwh_per_100km: float | None
    recovered_kwh: float | None
    recovered_share: float | None  # recovered / energy the motor drew (0..1)


Coaching = DrivingAnalytics | HybridCoaching | EvCoaching


def coaching_kind(powertrain: Powertrain) -> CoachingKind:
    return COACHING_BY_POWERTRAIN[powertrain]


def _per_100km(amount: float | None, distance_m: float) -> float | None:
    if amount is None or distance_m < MIN_CONSUMPTION_DISTANCE_M:
        return None
    return amount / (distance_m / 1000.0) * 100.0


def driving_analytics(samples: TripSamples, figures: TripFigures) -> DrivingAnalytics:
    return DrivingAnalytics(
        kind=CoachingKind.driving_analytics,
        distance_km=figures.distance_m / 1000.0,
        average_speed_kmh=(
            figures.distance_m / figures.duration_s * 3.6 if figures.duration_s > 0 else None
        ),
        fuel_l_per_100km=_per_100km(figures.fuel_used_l, figures.distance_m),
    )


def hybrid_coaching(
    samples: TripSamples, figures: TripFigures, *, powertrain: Powertrain = Powertrain.hev
) -> HybridCoaching:
    w = time_weights(samples.t)
    step_m = samples.speed_kmh / 3.6 * w
    total_m = float(step_m.sum())
    short_trip = figures.duration_s < SHORT_TRIP_S
    ev = samples.ev_mode
    ev_distance = ev_time = 0.0
    ev_distance_share = ev_time_share = None
    losses: list[EvShareLoss] = []
    if ev is not None:
        ev_distance = float(np.dot(step_m, ev))
        ev_time = float(np.dot(w, ev))
        total_time = float(w.sum())
        ev_distance_share = ev_distance / total_m if total_m > 0 else None
        ev_time_share = ev_time / total_time if total_time > 0 else None
        losses = _engine_on_causes(samples, step_m, ev, powertrain, total_m)
    return HybridCoaching(
        kind=CoachingKind.hybrid_coaching,
        distance_km=figures.distance_m / 1000.0,
        ev_distance_m=ev_distance,
        ev_time_s=ev_time,
        ev_distance_share=ev_distance_share,
        ev_time_share=ev_time_share,
        lowered_by=tuple(losses),
        short_trip=short_trip,
        fuel_l_per_100km=_per_100km(figures.fuel_used_l, figures.distance_m),
        energy_kwh_per_100km=_per_100km(figures.energy_used_kwh, figures.distance_m),
    )


def _engine_on_causes(
    samples: TripSamples,
    step_m: FloatArray,
    ev: BoolArray,
    powertrain: Powertrain,
    total_m: float,
) -> list[EvShareLoss]:
    """Each engine-on metre goes to the first cause that applies, so the shares add up."""
    if total_m <= 0:
        return []
    remaining = ~ev
    causes = [
        (EvShareFactor.cold_start, samples.t - samples.t[0] < COLD_START_S),
        (EvShareFactor.high_speed, samples.speed_kmh > EV_TOP_SPEED_KMH.get(powertrain, 70.0)),
        (EvShareFactor.hard_acceleration, samples.accel_long_ms2 > ACCELERATION_THRESHOLD_MS2),
        (EvShareFactor.other, np.ones_like(ev)),
    ]
    losses: list[EvShareLoss] = []
    for factor, applies in causes:
        mask = remaining & applies
        remaining = remaining & ~applies
        distance = float(np.dot(step_m, mask))
        if distance > 0:
            losses.append(EvShareLoss(factor, distance, distance / total_m))
    losses.sort(key=lambda loss: loss.distance_m, reverse=True)
    return losses


def ev_coaching(samples: TripSamples, figures: TripFigures) -> EvCoaching:
    """Energy: the car's own totals when reported, else integrated from ``power_kw``."""
    drawn = recovered = net = None
    if samples.power_kw is not None:
        w = time_weights(samples.t)
        power = samples.power_kw
        drawn = float(np.dot(w, np.maximum(power, 0.0))) / 3600.0
        recovered = float(np.dot(w, np.maximum(-power, 0.0))) / 3600.0
        net = drawn - recovered
    if figures.regenerated_kwh is not None:
        recovered = figures.regenerated_kwh
    if figures.energy_used_kwh is not None:
        net = figures.energy_used_kwh
    if net is not None and recovered is not None:
        drawn = net + recovered
    recovered_share = None
    if drawn is not None and recovered is not None and drawn > 0:
        recovered_share = min(max(recovered / drawn, 0.0), 1.0)
    return EvCoaching(
        kind=CoachingKind.ev_coaching,
        distance_km=figures.distance_m / 1000.0,
        energy_used_kwh=net,
        consumption_kwh_per_100km=_per_100km(net, figures.distance_m),
        recovered_kwh=recovered,
        recovered_share=recovered_share,
    )


def coach_trip(powertrain: Powertrain, samples: TripSamples, figures: TripFigures) -> Coaching:
    kind = coaching_kind(powertrain)
    if kind is CoachingKind.hybrid_coaching:
        return hybrid_coaching(samples, figures, powertrain=powertrain)
    if kind is CoachingKind.ev_coaching:
        return ev_coaching(samples, figures)
    return driving_analytics(samples, figures)


TIPS: dict[str, str] = {
    "acceleration": "Accelerate more gently: build up speed progressively after a stop.",
    "braking": "Look further ahead and lift off early, so you need to brake less hard.",
    "constant_speed": "Hold a steady speed on open roads; cruise control helps.",
}


def tip(scores: TripScores) -> tuple[str, str] | None:
    """The weakest part of a trip and what to do about it; None when nothing is below 90."""
    parts = {"acceleration": scores.acceleration, "braking": scores.braking}
    if scores.constant_speed is not None:
        parts["constant_speed"] = scores.constant_speed
    weakest = min(parts, key=lambda name: parts[name])
    if parts[weakest] >= 90.0:
        return None
    return weakest, TIPS[weakest]
