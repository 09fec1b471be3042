"""A driven trip as the unit uploads it at engine-off (``protocol.TripUpload``).

Values are rounded to what the sensors resolve (positions to about a metre, speed to 0.1 km/h)
so a one-hour trip stays well inside one MQTT message.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import numpy as np

from linkplus.protocol.vehicle import Trip, TripSamples, TripUpload
from linkplus.sim.car import DriveOutcome


def _floats(values: np.ndarray, digits: int) -> list[float]:
    return [float(v) for v in np.round(values, digits)]


def trip_of(outcome: DriveOutcome) -> Trip:
    driven = outcome.driven
    shared = outcome.location_shared
    lat = [float(v) if s else None for v, s in zip(np.round(driven.lat, 5), shared, strict=True)]
    lon = [float(v) if s else None for v, s in zip(np.round(driven.lon, 5), shared, strict=True)]
    limits = [None if np.isnan(v) else int(v) for v in driven.limit_kmh]
    samples = TripSamples(
        t=list(range(len(driven.speed_ms))),
        lat=lat,
        lon=lon,
        speed_kmh=_floats(driven.speed_ms * 3.6, 1),
        accel_long_ms2=_floats(driven.accel_long_ms2, 2),
        accel_lat_ms2=_floats(driven.accel_lat_ms2, 2),
        speed_limit_kmh=limits,
        location_shared=[bool(s) for s in shared],
        ev_mode=None if driven.ev_mode is None else [bool(v) for v in driven.ev_mode],
        power_kw=None if driven.power_kw is None else _floats(driven.power_kw, 1),
    )

    def rounded(value: float | None, digits: int) -> float | None:
        return None if value is None else round(value, digits)

    return Trip(
        trip_id=outcome.trip_id,
        started_at=outcome.started_at,
        ended_at=outcome.ended_at,
        distance_m=round(driven.distance_m, 1),
        duration_s=driven.duration_s,
        fuel_used_l=rounded(driven.fuel_used_l, 3),
        energy_used_kwh=rounded(driven.energy_used_kwh, 3),
        regenerated_kwh=rounded(driven.regenerated_kwh, 3),
        samples=samples,
    )


def trip_upload(
    outcome: DriveOutcome, *, msg_id: uuid.UUID, seq: int, sent_at: datetime
) -> TripUpload:
    return TripUpload(
        msg_id=msg_id,
        seq=seq,
        sent_at=sent_at,
        occurred_at=outcome.ended_at,
        type="trip_upload",
        trip=trip_of(outcome),
    )
