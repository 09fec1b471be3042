"""Routes as stretches, GeoJSON and GPX, and the samples blob: pure functions on arrays."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from linkplus.trips import export, packing
from linkplus.trips.samples import TripSamples

NS = {"g": export.GPX_NS, "lp": export.LINKPLUS_NS}
START = datetime(2026, 11, 2, 7, 30, tzinfo=UTC)


def _line(n: int) -> tuple[np.ndarray, np.ndarray]:
    return 48.0 + np.arange(n) * 1e-4, np.full(n, 11.0)


def test_a_gap_becomes_a_rebuilt_stretch_joined_to_its_neighbours() -> None:
    lat, lon = _line(10)
    rebuilt = np.zeros(10, dtype=np.bool_)
    rebuilt[4:7] = True
    parts = export.stretches(lat, lon, rebuilt)
    assert [(p.rebuilt, p.indices) for p in parts] == [
        (False, (0, 1, 2, 3)),
        (True, (3, 4, 5, 6, 7)),
        (False, (7, 8, 9)),
    ]


def test_a_route_rebuilt_at_its_start_begins_with_the_rebuilt_stretch() -> None:
    lat, lon = _line(6)
    rebuilt = np.array([True, True, False, False, False, False])
    parts = export.stretches(lat, lon, rebuilt)
    assert [(p.rebuilt, p.indices) for p in parts] == [(True, (0, 1, 2)), (False, (2, 3, 4, 5))]


def test_unknown_positions_leave_no_route() -> None:
    lat = np.full(5, np.nan)
    assert export.route_geojson(lat, lat.copy(), np.zeros(5, dtype=np.bool_)) is None


@given(
    n=st.integers(min_value=2, max_value=400),
    gaps=st.lists(st.booleans(), min_size=2, max_size=400),
    max_points=st.integers(min_value=2, max_value=50),
)
def test_thinning_keeps_the_ends_and_every_stretch_boundary(
    n: int, gaps: list[bool], max_points: int
) -> None:
    lat, lon = _line(n)
    rebuilt = np.resize(np.array(gaps, dtype=np.bool_), n)
    full = export.stretches(lat, lon, rebuilt)
    thin = export.stretches(lat, lon, rebuilt, max_points=max_points)
    assert [(p.rebuilt, p.indices[0], p.indices[-1]) for p in thin] == [
        (p.rebuilt, p.indices[0], p.indices[-1]) for p in full
    ]
    assert thin[0].indices[0] == 0 or rebuilt[0]
    assert all(list(p.indices) == sorted(set(p.indices)) for p in thin)


def _trip(n: int, rebuilt_from: int, rebuilt_to: int) -> export.RouteTrip:
    lat, lon = _line(n)
    rebuilt = np.zeros(n, dtype=np.bool_)
    rebuilt[rebuilt_from:rebuilt_to] = True
    return export.RouteTrip(
        id=uuid.uuid4(),
        started_at=START,
        ended_at=START,
        distance_m=1234.0,
        score=81.4,
        t=np.arange(n, dtype=np.float64),
        lat=lat,
        lon=lon,
        rebuilt=rebuilt,
    )


def test_gpx_has_a_track_per_trip_a_segment_per_stretch_and_times_from_the_start() -> None:
    trips = [_trip(20, 5, 8), _trip(4, 0, 0)]
    document = ET.fromstring(export.trips_gpx(trips, created_at=START))  # noqa: S314 - ours
    tracks = document.findall("g:trk", NS)
    assert len(tracks) == 2
    segments = tracks[0].findall("g:trkseg", NS)
    assert len(segments) == 3
    flagged = [s.find("g:extensions/lp:rebuilt", NS) is not None for s in segments]
    assert flagged == [False, True, False]
    first = segments[0].findall("g:trkpt", NS)
    assert first[0].get("lat") == "48.0"
    assert first[2].findtext("g:time", namespaces=NS) == "2026-11-02T07:30:02Z"
    assert tracks[0].findtext("g:desc", namespaces=NS) == "1.2 km, score 81"


def test_geojson_export_tags_each_stretch_with_its_trip() -> None:
    trip = _trip(20, 5, 8)
    features = export.trips_geojson([trip])["features"]
    assert [f["properties"]["rebuilt"] for f in features] == [False, True, False]
    assert {f["properties"]["trip_id"] for f in features} == {str(trip.id)}
    assert features[0]["geometry"]["coordinates"][0] == [11.0, 48.0]


def test_the_samples_blob_gives_back_what_was_packed() -> None:
    n = 3600
    rng = np.random.default_rng(7)
    samples = TripSamples(
        t=np.arange(n, dtype=np.float64),
        lat=48.0 + rng.random(n) * 0.1,
        lon=11.0 + rng.random(n) * 0.1,
        speed_kmh=rng.random(n) * 130,
        accel_long_ms2=rng.normal(0, 1, n),
        accel_lat_ms2=rng.normal(0, 1, n),
        speed_limit_kmh=np.where(rng.random(n) < 0.2, np.nan, 50.0),
        location_shared=rng.random(n) < 0.9,
        ev_mode=rng.random(n) < 0.5,
        power_kw=None,
    )
    mask = ~samples.location_shared
    blob = packing.pack(samples, mask)
    assert len(blob) < n * 40  # well under the JSON upload's size
    back = packing.unpack(blob)
    assert np.array_equal(back.samples.lat, samples.lat)
    assert np.array_equal(back.rebuilt_mask, mask)
    assert np.allclose(back.samples.speed_kmh, samples.speed_kmh, atol=1e-4)
    assert np.array_equal(np.isnan(back.samples.speed_limit_kmh), np.isnan(samples.speed_limit_kmh))
    assert back.samples.ev_mode is not None
    assert np.array_equal(back.samples.ev_mode, samples.ev_mode)
    assert back.samples.power_kw is None
