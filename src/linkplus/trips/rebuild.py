"""The route of a trip where positions are missing, rebuilt from the known points around them.

Each missing position is placed on the great circle between the last known point before it and
the next known point after it, at the fraction of that stretch's time that had passed. This is
not the road actually driven, which is why the trip is marked ``rebuilt`` and the app says the
route may look wrong. Before the first known point and after the last one there is nothing to
interpolate towards, so those samples take the nearest known position.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from linkplus.trips.samples import BoolArray, FloatArray, TripSamples

_ALMOST_SAME_POINT_RAD = 1e-12


@dataclass(frozen=True, slots=True)
class RebuiltTrip:
    samples: TripSamples  # positions filled in; ``location_shared`` still says which were hidden
    rebuilt: bool
    rebuilt_mask: BoolArray  # True where the position was made up here


def _unit_vectors(lat: FloatArray, lon: FloatArray) -> FloatArray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=-1)


def great_circle_points(
    lat0: FloatArray, lon0: FloatArray, lat1: FloatArray, lon1: FloatArray, fraction: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Points ``fraction`` (0..1) of the way from point 0 to point 1 along the great circle."""
    p0 = _unit_vectors(lat0, lon0)
    p1 = _unit_vectors(lat1, lon1)
    cos_angle = np.clip(np.sum(p0 * p1, axis=-1), -1.0, 1.0)
    angle = np.arccos(cos_angle)
    sin_angle = np.sin(angle)
    tiny = sin_angle < _ALMOST_SAME_POINT_RAD
    safe = np.where(tiny, 1.0, sin_angle)
    a = np.where(tiny, 1.0 - fraction, np.sin((1.0 - fraction) * angle) / safe)
    b = np.where(tiny, fraction, np.sin(fraction * angle) / safe)
    p = a[:, None] * p0 + b[:, None] * p1
    lat = np.degrees(np.arctan2(p[:, 2], np.hypot(p[:, 0], p[:, 1])))
    lon = np.degrees(np.arctan2(p[:, 1], p[:, 0]))
    return lat, lon


def rebuild_route(samples: TripSamples) -> RebuiltTrip:
    known = samples.location_shared & np.isfinite(samples.lat) & np.isfinite(samples.lon)
    missing = ~known
    n = len(samples)
    if not bool(np.any(missing)) or not bool(np.any(known)):
        # Nothing missing, or nothing to rebuild from: a trip with no position has no route.
        return RebuiltTrip(samples, False, np.zeros(n, dtype=np.bool_))
    index = np.arange(n)
    before = np.maximum.accumulate(np.where(known, index, -1))
    after = np.minimum.accumulate(np.where(known, index, n)[::-1])[::-1]
    first, last = int(np.argmax(known)), n - 1 - int(np.argmax(known[::-1]))
    before = np.where(before < 0, first, before)
    after = np.where(after >= n, last, after)
    t = samples.t
    span = t[after] - t[before]
    fraction = np.where(span > 0, (t - t[before]) / np.where(span > 0, span, 1.0), 0.0)
    lat, lon = great_circle_points(
        samples.lat[before], samples.lon[before], samples.lat[after], samples.lon[after], fraction
    )
    rebuilt = replace(
        samples,
        lat=np.where(missing, lat, samples.lat),
        lon=np.where(missing, lon, samples.lon),
    )
    return RebuiltTrip(rebuilt, True, missing)
