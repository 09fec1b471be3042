"""The driver: speed at 1 Hz along a route, from speed limits, bends, junctions and temperament.

Each second the driver picks the speed they want (the limit times their style, less in bends),
caps it by what still lets them stop or slow down in time for everything ahead (red lights, stop
signs, give-way junctions, bends, a lower limit, the destination) and moves towards it within
their acceleration and braking limits. Speed changes are applied as constant accelerations over
each second, so the distance driven is exactly the trapezoidal integral of the speed samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from linkplus.sim.powertrains import EnergyLevels, PowertrainSpec, run_powertrain
from linkplus.sim.roads import Control, RoadClass, RoadNetwork, Route

MAX_ACCELERATION_MS2 = 4.0
MAX_BRAKING_MS2 = 5.0
HARD_BRAKING_MS2 = 7.5  # the occasional emergency stop
MAX_LATERAL_MS2 = 4.2
CAR_TOP_SPEED_MS = 180 / 3.6
JERK_MS3 = 1.5  # how fast a driver builds up acceleration
INTERSECTION_TURN_DEG = 35.0
INTERSECTION_RADIUS_M = 12.0
STRAIGHT_DEG = 5.0
LOOKAHEAD_MARGIN_M = 150.0


@dataclass(frozen=True)
class Driver:
    """``style`` runs from 0 (calm) to 1 (sporty)."""

    style: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.style <= 1.0:
            raise ValueError("style runs from 0 (calm) to 1 (sporty)")

    @property
    def acceleration_ms2(self) -> float:
        return 1.4 + 2.4 * self.style  # 1.4 to 3.8

    @property
    def braking_ms2(self) -> float:
        return 2.0 + 1.6 * self.style  # planned braking: 2.0 to 3.6

    @property
    def lateral_ms2(self) -> float:
        return 2.0 + 1.6 * self.style  # 2.0 to 3.6 in bends and turns

    @property
    def speed_factor(self) -> float:
        return 0.92 + 0.12 * self.style  # share of the limit driven when the road is free

    @property
    def speeding_chance(self) -> float:
        return 0.35 * self.style**2  # per stretch of road: sporty drivers sometimes speed


@dataclass(frozen=True)
class _Constraint:
    at_m: float
    speed_ms: float
    dwell_s: int = 0


@dataclass(frozen=True)
class _Bend:
    start_m: float
    end_m: float
    radius_m: float
    sign: float


@dataclass(frozen=True)
class DrivenTrip:
    """A trip as the car recorded it at 1 Hz; sample ``i`` is second ``i`` from the start."""

    speed_ms: np.ndarray
    accel_long_ms2: np.ndarray
    accel_lat_ms2: np.ndarray
    along_m: np.ndarray  # distance driven at each sample
    limit_kmh: np.ndarray  # NaN where the car's map does not know the limit
    lat: np.ndarray
    lon: np.ndarray
    heading_deg: np.ndarray
    ev_mode: np.ndarray | None
    power_kw: np.ndarray | None
    fuel_used_l: float | None
    energy_used_kwh: float | None
    regenerated_kwh: float | None

    @property
    def duration_s(self) -> int:
        return len(self.speed_ms) - 1

    @property
    def distance_m(self) -> float:
        return float(self.along_m[-1])


def _bends_and_constraints(
    route: Route,
    driver: Driver,
    rng: np.random.Generator,
    congestion: float,
    factors: np.ndarray,
) -> tuple[list[_Bend], list[_Constraint]]:
    bends: list[_Bend] = []
    constraints: list[_Constraint] = []
    cum = route.cumulative_m
    for k in range(1, len(route.nodes) - 1):
        turn = abs(float(route.turns_deg[k]))
        shortest = min(cum[k] - cum[k - 1], cum[k + 1] - cum[k])
        if turn >= STRAIGHT_DEG:
            if turn >= INTERSECTION_TURN_DEG:
                radius = INTERSECTION_RADIUS_M
            else:
                radius = min(0.4 * shortest, 150.0) / math.tan(math.radians(turn) / 2)
            half = min(radius * math.radians(turn) / 2, 0.45 * shortest)
            sign = 1.0 if route.turns_deg[k] > 0 else -1.0
            bends.append(_Bend(cum[k] - half, cum[k] + half, radius, sign))
            constraints.append(_Constraint(cum[k] - half, math.sqrt(driver.lateral_ms2 * radius)))
        incoming = route.kinds[k - 1]
        control = route.controls[k]
        if control is Control.traffic_light:
            if rng.random() < 0.45 + 0.15 * congestion:  # red
                constraints.append(_Constraint(cum[k] - 4, 0.0, int(rng.integers(5, 46))))
        elif incoming is RoadClass.residential and control is Control.stop:
            constraints.append(_Constraint(cum[k] - 3, 0.0, int(rng.integers(1, 4))))
        elif incoming is RoadClass.residential and control is Control.give_way:
            if rng.random() < 0.3:  # traffic from the right: wait
                constraints.append(_Constraint(cum[k] - 3, 0.0, int(rng.integers(1, 6))))
            else:
                constraints.append(_Constraint(cum[k] - 3, rng.uniform(15, 22) / 3.6))
        cruise = route.limits_kmh[k] * factors[k] / 3.6
        if cruise < route.limits_kmh[k - 1] * factors[k - 1] / 3.6:  # a lower limit, or traffic
            constraints.append(_Constraint(cum[k], cruise))
    for k, kind in enumerate(route.kinds):
        length = cum[k + 1] - cum[k]
        queue_chance = 0.12 + 0.3 * congestion
        if kind is RoadClass.arterial and length > 300 and rng.random() < queue_chance:
            constraints.append(
                _Constraint(cum[k] + length * rng.uniform(0.3, 0.7), 0.0, int(rng.integers(2, 9)))
            )
    constraints.append(_Constraint(route.length_m, 0.0))
    constraints.sort(key=lambda c: c.at_m)
    return bends, constraints


def _stretch_factors(
    route: Route, driver: Driver, rng: np.random.Generator, congestion: float
) -> np.ndarray:
    count = len(route.kinds)
    factors = driver.speed_factor * rng.uniform(0.96, 1.03, size=count)
    speeding = rng.random(count) < driver.speeding_chance
    factors = factors + speeding * rng.uniform(0.06, 0.16, size=count)
    busy = np.array([kind is not RoadClass.residential for kind in route.kinds])
    traffic = 1.0 - busy * congestion * rng.uniform(0.1, 0.5, size=count)
    return np.asarray(factors * traffic)


def _allowed(distance_m: float, speed_now: float, target: float, braking: float) -> float:
    """The highest speed for the next second that still lets the car reach ``target`` by
    ``distance_m`` with ``braking``, counting the distance the next second itself covers."""
    if distance_m <= 0:
        return target
    b = braking
    root = b * b + 4 * (2 * b * distance_m + target * target - b * speed_now)
    return max(0.0, (-b + math.sqrt(max(root, 0.0))) / 2)


def _motion(
    route: Route, driver: Driver, rng: np.random.Generator, congestion: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[_Bend]]:
    factors = _stretch_factors(route, driver, rng, congestion)
    bends, constraints = _bends_and_constraints(route, driver, rng, congestion, factors)
    emergency_at = (
        route.length_m * rng.uniform(0.2, 0.8)
        if rng.random() < 0.04 + 0.25 * driver.style
        else math.inf
    )
    emergency_steps = int(rng.integers(1, 3))
    speeds, positions = [0.0], [0.0]
    x = v = accel = 0.0
    noise = 0.0
    first = 0  # constraints before this index are behind the car
    bend_index = 0
    dwell = 0
    arrived = False
    for _ in range(8 * 3600):
        while first < len(constraints) and constraints[first].at_m < x - 0.5:
            first += 1
        if dwell > 0:
            dwell -= 1
            accel, v_next = 0.0, 0.0
        elif arrived:
            break
        else:
            while bend_index < len(bends) and bends[bend_index].end_m < x:
                bend_index += 1
            segment = int(route.segment_at(np.array([x]))[0])
            noise = 0.8 * noise + rng.normal(0, 0.01)
            target = min(
                route.limits_kmh[segment] / 3.6 * (factors[segment] + noise), CAR_TOP_SPEED_MS
            )
            if bend_index < len(bends) and bends[bend_index].start_m <= x:
                target = min(target, math.sqrt(driver.lateral_ms2 * bends[bend_index].radius_m))
            allowed = target
            stop_ahead: _Constraint | None = None
            reach = v * v / (2 * driver.braking_ms2) + LOOKAHEAD_MARGIN_M
            for constraint in constraints[first:]:
                gap = constraint.at_m - x
                if gap > reach:
                    break
                allowed = min(allowed, _allowed(gap, v, constraint.speed_ms, driver.braking_ms2))
                if stop_ahead is None and constraint.speed_ms == 0.0:
                    stop_ahead = constraint
            if stop_ahead is not None and stop_ahead.at_m - x < max(2.5, 0.6 * v) and v <= 2.5:
                v_next = 0.0  # at the line
                dwell = stop_ahead.dwell_s
                first = constraints.index(stop_ahead) + 1
                arrived = first == len(constraints)
            elif x >= emergency_at and v > 8.0 and emergency_steps > 0:
                emergency_steps -= 1
                v_next = max(0.0, v - rng.uniform(5.5, HARD_BRAKING_MS2))
            elif allowed >= v:
                power_limited = driver.acceleration_ms2 * (1 - (v / CAR_TOP_SPEED_MS) ** 2)
                gain = min(allowed - v, power_limited, max(accel, 0.0) + JERK_MS3)
                v_next = v + max(gain, 0.0)
            else:
                v_next = max(allowed, v - MAX_BRAKING_MS2, 0.0)
            accel = v_next - v
        x += (v + v_next) / 2
        v = v_next
        speeds.append(v)
        positions.append(x)
    speed = np.array(speeds)
    along = np.array(positions)
    accel_long = np.append(np.diff(speed), 0.0)
    return speed, accel_long, along, bends


def _lateral(along: np.ndarray, speed: np.ndarray, bends: list[_Bend]) -> np.ndarray:
    lateral = np.zeros_like(speed)
    for bend in bends:
        inside = (along >= bend.start_m) & (along <= bend.end_m)
        lateral[inside] = bend.sign * speed[inside] ** 2 / bend.radius_m
    return lateral


def _known_limits(route: Route, along: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    known = rng.random(len(route.kinds)) < np.where(
        np.array([kind is RoadClass.residential for kind in route.kinds]), 0.8, 0.95
    )
    segment = route.segment_at(along)
    limits = np.where(known[segment], route.limits_kmh[segment], np.nan)
    return np.asarray(limits)


def drive(
    network: RoadNetwork,
    route: Route,
    driver: Driver,
    spec: PowertrainSpec,
    levels: EnergyLevels,
    *,
    outside_c: float,
    congestion: float,
    rng: np.random.Generator,
) -> DrivenTrip:
    """Drive ``route``; ``levels`` (fuel and charge left) are updated by what the trip used.

    ``congestion`` runs from 0 (empty roads) to 1 (rush hour): slower major roads, more queues
    and more red lights.
    """
    if not 0.0 <= congestion <= 1.0:
        raise ValueError("congestion runs from 0 to 1")
    speed, accel_long, along, bends = _motion(route, driver, rng, congestion)
    lateral = _lateral(along, speed, bends)
    lateral = lateral + rng.normal(0, 0.05, size=len(speed)) * (speed > 1.0)
    x, y = route.position(along)
    lat, lon = network.latlon(x, y)
    ahead_x, ahead_y = route.position(along + 5.0)
    heading = (np.degrees(np.arctan2(ahead_x - x, ahead_y - y)) + 360.0) % 360.0
    trace = run_powertrain(spec, speed, accel_long, levels, outside_c=outside_c)
    return DrivenTrip(
        speed_ms=speed,
        accel_long_ms2=accel_long,
        accel_lat_ms2=lateral,
        along_m=along,
        limit_kmh=_known_limits(route, along, rng),
        lat=lat,
        lon=lon,
        heading_deg=heading,
        ev_mode=trace.ev_mode,
        power_kw=trace.power_kw,
        fuel_used_l=trace.fuel_used_l,
        energy_used_kwh=trace.energy_used_kwh,
        regenerated_kwh=trace.regenerated_kwh,
    )
