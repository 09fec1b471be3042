"""Rebuilding the hidden stretch of a route along the great circle, over time."""

from __future__ import annotations

import math

import numpy as np
import pytest

from linkplus.trips.rebuild import great_circle_points, rebuild_route
from tests.trips.support import make_trip


def _distance_km(lat0: float, lon0: float, lat1: float, lon1: float) -> float:
    p0, p1, dl = math.radians(lat0), math.radians(lat1), math.radians(lon1 - lon0)
    c = math.sin(p0) * math.sin(p1) + math.cos(p0) * math.cos(p1) * math.cos(dl)
    return 6371.0 * math.acos(min(1.0, max(-1.0, c)))


def test_hidden_stretch_is_filled_along_the_line_in_proportion_to_time() -> None:
    shared = [i <= 10 or i >= 30 for i in range(41)]
    samples = make_trip([50.0] * 41, location_shared=shared)
    result = rebuild_route(samples)
    assert result.rebuilt
    assert result.rebuilt_mask.tolist() == [not s for s in shared]
    lat, lon = result.samples.lat, result.samples.lon
    assert np.isfinite(lat).all()
    assert np.isfinite(lon).all()
    # Known points are untouched; the one halfway in time sits halfway along the stretch.
    assert lat[10] == samples.lat[10]
    assert lon[30] == samples.lon[30]
    whole = _distance_km(lat[10], lon[10], lat[30], lon[30])
    assert _distance_km(lat[10], lon[10], lat[20], lon[20]) == pytest.approx(whole / 2, rel=1e-6)
    assert _distance_km(lat[20], lon[20], lat[30], lon[30]) == pytest.approx(whole / 2, rel=1e-6)
    # The rebuilt trip still says which samples were hidden.
    assert result.samples.location_shared.tolist() == shared


def test_great_circle_midpoint_across_the_atlantic_is_not_the_lat_lon_average() -> None:
    lat, lon = great_circle_points(
        np.array([48.85]),
        np.array([2.35]),
        np.array([40.71]),
        np.array([-74.0]),
        np.array([0.5]),
    )
    assert lat[0] > 50.0  # the great circle bends north of both ends
    paris_mid = _distance_km(48.85, 2.35, lat[0], lon[0])
    mid_ny = _distance_km(lat[0], lon[0], 40.71, -74.0)
    assert paris_mid == pytest.approx(mid_ny, rel=1e-9)


def test_ends_without_a_known_point_take_the_nearest_known_one() -> None:
    shared = [5 <= i <= 15 for i in range(21)]
    result = rebuild_route(make_trip([30.0] * 21, location_shared=shared))
    assert result.samples.lat[0] == pytest.approx(result.samples.lat[5])
    assert result.samples.lon[20] == pytest.approx(result.samples.lon[15])


def test_fully_shared_or_fully_hidden_trips_are_left_alone() -> None:
    shared = make_trip([30.0] * 20)
    assert not rebuild_route(shared).rebuilt
    assert rebuild_route(shared).samples is shared
    hidden = rebuild_route(make_trip([30.0] * 20, location_shared=[False] * 20))
    assert not hidden.rebuilt
    assert np.isnan(hidden.samples.lat).all()
