"""A trip's 1 Hz samples as numpy arrays, and the figures the car reports beside them.

The car uploads parallel JSON arrays (docs/vehicle-protocol.md, ``trip_upload``). Everything
downstream works on one typed, checked shape so the scoring code never has to ask whether a value
may be missing: positions and speed limits that are unknown are NaN, flags are booleans, and the
arrays are checked once, here, for equal length, finite values and increasing time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from linkplus.protocol import vehicle as protocol

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MOVING_SPEED_KMH = 2.0
"""Below this the car counts as standing: idling at a red light is not driving time."""


class InvalidSamples(ValueError):
    """The arrays cannot describe one trip (different lengths, time going backwards, NaN speed)."""


@dataclass(frozen=True, slots=True, eq=False)
class TripSamples:
    """One trip at 1 Hz. ``t`` is seconds from the start; NaN marks an unknown position or limit.

    ``location_shared`` is False where privacy mode hid the position (lat/lon are then NaN);
    ``ev_mode`` exists for hybrids, ``power_kw`` (positive: drawn from the battery, negative:
    recovered) for electric cars.
    """

    t: FloatArray
    lat: FloatArray
    lon: FloatArray
    speed_kmh: FloatArray
    accel_long_ms2: FloatArray
    accel_lat_ms2: FloatArray
    speed_limit_kmh: FloatArray
    location_shared: BoolArray
    ev_mode: BoolArray | None = None
    power_kw: FloatArray | None = None

    def __post_init__(self) -> None:
        n = self.t.shape[0] if self.t.ndim == 1 else -1
        arrays: list[tuple[str, npt.NDArray[np.generic] | None]] = [
            ("t", self.t),
            ("lat", self.lat),
            ("lon", self.lon),
            ("speed_kmh", self.speed_kmh),
            ("accel_long_ms2", self.accel_long_ms2),
            ("accel_lat_ms2", self.accel_lat_ms2),
            ("speed_limit_kmh", self.speed_limit_kmh),
            ("location_shared", self.location_shared),
            ("ev_mode", self.ev_mode),
            ("power_kw", self.power_kw),
        ]
        for name, array in arrays:
            if array is not None and (array.ndim != 1 or array.shape[0] != n):
                raise InvalidSamples(f"{name} must be a flat array as long as t")
        for name in ("t", "speed_kmh", "accel_long_ms2", "accel_lat_ms2"):
            if not bool(np.all(np.isfinite(getattr(self, name)))):
                raise InvalidSamples(f"{name} must hold finite numbers only")
        if self.power_kw is not None and not bool(np.all(np.isfinite(self.power_kw))):
            raise InvalidSamples("power_kw must hold finite numbers only")
        if n > 1 and not bool(np.all(np.diff(self.t) > 0)):
            raise InvalidSamples("t must increase from one sample to the next")
        if bool(np.any(self.speed_kmh < 0)):
            raise InvalidSamples("speed_kmh cannot be negative")

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @property
    def duration_s(self) -> float:
        return float(self.t[-1] - self.t[0]) if len(self) > 1 else 0.0


@dataclass(frozen=True, slots=True)
class TripFigures:
    """The totals the car measured itself; more exact than anything summed from 1 Hz samples."""

    distance_m: float
    duration_s: float
    fuel_used_l: float | None = None
    energy_used_kwh: float | None = None  # net, drawn from the traction battery
    regenerated_kwh: float | None = None


def time_weights(t: FloatArray) -> FloatArray:
    """Seconds each sample stands for: half the gap to each neighbour (sum = t[-1] - t[0]).

    Weighting by time rather than counting samples keeps a trip's figures the same if the car
    drops a sample or sends a late one.
    """
    n = t.shape[0]
    if n < 2:
        return np.zeros(n, dtype=np.float64)
    weights = np.empty(n, dtype=np.float64)
    np.subtract(t[2:], t[:-2], out=weights[1:-1])
    weights[0] = t[1] - t[0]
    weights[-1] = t[-1] - t[-2]
    weights *= 0.5
    return weights


def _floats(values: object, name: str, n: int | None) -> FloatArray:
    if values is None:
        if n is None:
            raise InvalidSamples(f"{name} is missing")
        return np.full(n, np.nan, dtype=np.float64)
    if not isinstance(values, Sequence) or isinstance(values, str | bytes):
        raise InvalidSamples(f"{name} must be a list")
    out = np.empty(len(values), dtype=np.float64)
    for i, value in enumerate(values):
        if value is None:
            out[i] = math.nan
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[i] = float(value)
        else:
            raise InvalidSamples(f"{name}[{i}] must be a number or null")
    return out


def _flags(values: object, name: str) -> BoolArray:
    if not isinstance(values, Sequence) or isinstance(values, str | bytes):
        raise InvalidSamples(f"{name} must be a list")
    if not all(isinstance(value, bool) for value in values):
        raise InvalidSamples(f"{name} must hold true or false only")
    return np.array(values, dtype=np.bool_)


def samples_from_payload(trip: Mapping[str, object]) -> TripSamples:
    """Sample arrays given as JSON lists (``null`` for unknown) as ``TripSamples``.

    For data that has not been through ``protocol.Trip`` (imports, fixtures); uploads use
    ``from_protocol``.
    Where the car sends no ``location_shared`` list, a sample counts as shared when it has a
    position. Raises ``InvalidSamples`` with the offending field's name.
    """
    t = _floats(trip.get("t"), "t", None)
    n = t.shape[0]
    lat = _floats(trip.get("lat"), "lat", n)
    lon = _floats(trip.get("lon"), "lon", n)
    shared_raw = trip.get("location_shared")
    if shared_raw is None:
        location_shared = np.isfinite(lat) & np.isfinite(lon)
    else:
        location_shared = _flags(shared_raw, "location_shared")
    hidden = ~location_shared if location_shared.shape[0] == n else np.zeros(n, dtype=np.bool_)
    ev_raw = trip.get("ev_mode")
    power_raw = trip.get("power_kw")
    return TripSamples(
        t=t,
        # A position the car sends for a sample it marks private is not used.
        lat=np.where(hidden, np.nan, lat),
        lon=np.where(hidden, np.nan, lon),
        speed_kmh=_floats(trip.get("speed_kmh"), "speed_kmh", None),
        accel_long_ms2=_floats(trip.get("accel_long_ms2"), "accel_long_ms2", None),
        accel_lat_ms2=_floats(trip.get("accel_lat_ms2"), "accel_lat_ms2", None),
        speed_limit_kmh=_floats(trip.get("speed_limit_kmh"), "speed_limit_kmh", n),
        location_shared=location_shared,
        ev_mode=None if ev_raw is None else _flags(ev_raw, "ev_mode"),
        power_kw=None if power_raw is None else _floats(power_raw, "power_kw", None),
    )


def _optional_number(trip: Mapping[str, object], name: str) -> float | None:
    value = trip.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidSamples(f"{name} must be a number")
    return float(value)


def figures_from_payload(trip: Mapping[str, object]) -> TripFigures:
    """The ``trip_upload`` totals as ``TripFigures``."""
    distance = _optional_number(trip, "distance_m")
    duration = _optional_number(trip, "duration_s")
    if distance is None or duration is None:
        raise InvalidSamples("distance_m and duration_s are required")
    return TripFigures(
        distance_m=distance,
        duration_s=duration,
        fuel_used_l=_optional_number(trip, "fuel_used_l"),
        energy_used_kwh=_optional_number(trip, "energy_used_kwh"),
        regenerated_kwh=_optional_number(trip, "regenerated_kwh"),
    )


def _float_array(values: Sequence[float | int | None]) -> FloatArray:
    return np.array([math.nan if value is None else value for value in values], dtype=np.float64)


def from_protocol(trip: protocol.Trip) -> tuple[TripSamples, TripFigures]:
    """A validated ``trip_upload`` (``protocol.Trip``) as samples and figures.

    The protocol model has already checked lengths, ranges and privacy consistency, so this only
    changes the representation.
    """
    raw = trip.samples
    return (
        TripSamples(
            t=np.array(raw.t, dtype=np.float64),
            lat=_float_array(raw.lat),
            lon=_float_array(raw.lon),
            speed_kmh=np.array(raw.speed_kmh, dtype=np.float64),
            accel_long_ms2=np.array(raw.accel_long_ms2, dtype=np.float64),
            accel_lat_ms2=np.array(raw.accel_lat_ms2, dtype=np.float64),
            speed_limit_kmh=_float_array(raw.speed_limit_kmh),
            location_shared=np.array(raw.location_shared, dtype=np.bool_),
            ev_mode=None if raw.ev_mode is None else np.array(raw.ev_mode, dtype=np.bool_),
            power_kw=None if raw.power_kw is None else np.array(raw.power_kw, dtype=np.float64),
        ),
        TripFigures(
            distance_m=trip.distance_m,
            duration_s=float(trip.duration_s),
            fuel_used_l=trip.fuel_used_l,
            energy_used_kwh=trip.energy_used_kwh,
            regenerated_kwh=trip.regenerated_kwh,
        ),
    )
