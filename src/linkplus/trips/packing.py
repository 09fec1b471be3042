"""A trip's samples as one compact blob, and back.

The arrays are stored with numpy's own ``.npz`` format (zip-deflated, no pickling), so a
one-hour trip takes tens of kilobytes instead of the hundreds its JSON upload had. Positions keep
float64 (a float32 degree is only good to about a metre); the rest is float32, finer than any
sensor the car has. The rebuilt mask travels with the positions so a route can be drawn with the
made-up stretches marked.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from linkplus.trips.samples import BoolArray, FloatArray, TripSamples

_FLOAT32 = ("speed_kmh", "accel_long_ms2", "accel_lat_ms2", "speed_limit_kmh", "power_kw")
_FLOAT64 = ("t", "lat", "lon")
_FLAGS = ("location_shared", "ev_mode")


ROUTE_DELETED = b""
"""What a trip's ``samples`` hold once the location retention deleted them (docs/privacy.md,
"trip_route"): the trip's summary, scores and coaching stay; its route and 1 Hz samples are gone.
"""


class UnreadableSamples(ValueError):
    """The blob is not one ``pack`` wrote."""


@dataclass(frozen=True, slots=True, eq=False)
class StoredSamples:
    samples: TripSamples  # positions as drawn: rebuilt ones filled in
    rebuilt_mask: BoolArray


def pack(samples: TripSamples, rebuilt_mask: BoolArray) -> bytes:
    arrays: dict[str, np.ndarray] = {"rebuilt": rebuilt_mask.astype(np.bool_)}
    for name in _FLOAT64:
        arrays[name] = getattr(samples, name).astype(np.float64)
    for name in _FLOAT32:
        value = getattr(samples, name)
        if value is not None:
            arrays[name] = value.astype(np.float32)
    for name in _FLAGS:
        value = getattr(samples, name)
        if value is not None:
            arrays[name] = value.astype(np.bool_)
    out = io.BytesIO()
    np.savez_compressed(out, allow_pickle=False, **arrays)
    return out.getvalue()


def unpack(blob: bytes) -> StoredSamples:
    """The stored samples; none at all once the retention deleted them (``ROUTE_DELETED``)."""
    if blob == ROUTE_DELETED:
        return _NOTHING
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as stored:
            arrays: dict[str, np.ndarray] = {name: stored[name] for name in stored.files}
    except (OSError, ValueError, KeyError) as exc:
        raise UnreadableSamples(str(exc)) from exc

    def floats(name: str) -> FloatArray | None:
        value = arrays.get(name)
        return None if value is None else np.asarray(value, dtype=np.float64)

    def required(name: str) -> np.ndarray:
        if name not in arrays:
            raise UnreadableSamples(f"{name} is missing")
        return arrays[name]

    ev_mode = arrays.get("ev_mode")
    samples = TripSamples(
        t=required("t").astype(np.float64),
        lat=required("lat").astype(np.float64),
        lon=required("lon").astype(np.float64),
        speed_kmh=required("speed_kmh").astype(np.float64),
        accel_long_ms2=required("accel_long_ms2").astype(np.float64),
        accel_lat_ms2=required("accel_lat_ms2").astype(np.float64),
        speed_limit_kmh=required("speed_limit_kmh").astype(np.float64),
        location_shared=required("location_shared").astype(np.bool_),
        ev_mode=None if ev_mode is None else ev_mode.astype(np.bool_),
        power_kw=floats("power_kw"),
    )
    return StoredSamples(samples, required("rebuilt").astype(np.bool_))


def _no_samples() -> StoredSamples:
    empty = np.zeros(0, dtype=np.float64)
    samples = TripSamples(
        t=empty,
        lat=empty,
        lon=empty,
        speed_kmh=empty,
        accel_long_ms2=empty,
        accel_lat_ms2=empty,
        speed_limit_kmh=empty,
        location_shared=np.zeros(0, dtype=np.bool_),
    )
    return StoredSamples(samples, np.zeros(0, dtype=np.bool_))


_NOTHING = _no_samples()
