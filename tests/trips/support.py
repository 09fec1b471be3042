"""Trips for the trips tests: hypothesis strategies and a small builder."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from hypothesis import strategies as st

from linkplus.trips.samples import TripSamples


def make_trip(
    speed_kmh: Sequence[float],
    accel_long_ms2: Sequence[float] | None = None,
    *,
    accel_lat_ms2: Sequence[float] | None = None,
    t: Sequence[float] | None = None,
    speed_limit_kmh: Sequence[float | None] | None = None,
    location_shared: Sequence[bool] | None = None,
    ev_mode: Sequence[bool] | None = None,
    power_kw: Sequence[float] | None = None,
    start: tuple[float, float] = (48.85, 2.35),
) -> TripSamples:
    """A 1 Hz trip driving north-east from ``start``; positions hidden where not shared."""
    n = len(speed_kmh)
    shared = np.array(location_shared if location_shared is not None else [True] * n, bool)
    steps = np.arange(n, dtype=float) * 1e-4
    limits = [np.nan if x is None else x for x in (speed_limit_kmh or [None] * n)]
    return TripSamples(
        t=np.array(t if t is not None else range(n), dtype=float),
        lat=np.where(shared, start[0] + steps, np.nan),
        lon=np.where(shared, start[1] + steps, np.nan),
        speed_kmh=np.array(speed_kmh, dtype=float),
        accel_long_ms2=np.array(accel_long_ms2 if accel_long_ms2 is not None else [0.0] * n, float),
        accel_lat_ms2=np.array(accel_lat_ms2 if accel_lat_ms2 is not None else [0.0] * n, float),
        speed_limit_kmh=np.array(limits, dtype=float),
        location_shared=shared,
        ev_mode=None if ev_mode is None else np.array(ev_mode, dtype=bool),
        power_kw=None if power_kw is None else np.array(power_kw, dtype=float),
    )


def smoothed(samples: TripSamples, factor: float) -> TripSamples:
    """The same route and speeds with every acceleration scaled toward zero."""
    return replace(
        samples,
        accel_long_ms2=samples.accel_long_ms2 * factor,
        accel_lat_ms2=samples.accel_lat_ms2 * factor,
    )


_speed = st.one_of(
    st.floats(0.0, 200.0),
    st.floats(60.0, 140.0),  # plenty of open-road samples, so constant speed is often scored
    st.just(0.0),
)


@st.composite
def trips(draw: st.DrawFn, max_samples: int = 240) -> TripSamples:
    n = draw(st.integers(1, max_samples))
    gaps = draw(st.lists(st.floats(0.25, 3.0), min_size=n, max_size=n))
    t = np.cumsum(gaps) - gaps[0]
    speed = draw(st.lists(_speed, min_size=n, max_size=n))
    accel = draw(st.lists(st.floats(-12.0, 12.0), min_size=n, max_size=n))
    lateral = draw(st.lists(st.floats(-10.0, 10.0), min_size=n, max_size=n))
    limits = draw(
        st.lists(
            st.one_of(st.none(), st.sampled_from([30.0, 50.0, 80.0, 110.0, 130.0])),
            min_size=n,
            max_size=n,
        )
    )
    shared = draw(
        st.one_of(
            st.just([True] * n),
            st.just([False] * n),
            st.lists(st.booleans(), min_size=n, max_size=n),
        )
    )
    return make_trip(
        speed,
        accel,
        accel_lat_ms2=lateral,
        t=t.tolist(),
        speed_limit_kmh=limits,
        location_shared=shared,
    )
