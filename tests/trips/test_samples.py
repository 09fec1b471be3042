"""The upload's arrays as TripSamples, and the checks on them."""

from __future__ import annotations

import json
import math
import uuid

import numpy as np
import pytest

from linkplus.protocol import vehicle as protocol
from linkplus.trips.samples import (
    InvalidSamples,
    TripFigures,
    TripSamples,
    figures_from_payload,
    from_protocol,
    samples_from_payload,
    time_weights,
)


def _payload(**changes: object) -> dict[str, object]:
    payload: dict[str, object] = {
        "trip_id": "t-1",
        "t": [0, 1, 2],
        "lat": [48.1, None, 48.2],
        "lon": [2.1, None, 2.2],
        "speed_kmh": [0, 10.5, 20],
        "accel_long_ms2": [0.0, 2.9, 2.8],
        "accel_lat_ms2": [0.0, 0.1, -0.1],
        "speed_limit_kmh": [50, None, 50],
        "location_shared": [True, False, True],
        "distance_m": 8.5,
        "duration_s": 2,
        "fuel_used_l": 0.001,
    }
    payload.update(changes)
    return payload


def test_payload_becomes_arrays_with_nan_for_unknown() -> None:
    samples = samples_from_payload(_payload())
    assert len(samples) == 3
    assert samples.duration_s == 2.0
    assert math.isnan(samples.lat[1])
    assert math.isnan(samples.speed_limit_kmh[1])
    assert samples.location_shared.tolist() == [True, False, True]
    assert samples.ev_mode is None
    assert samples.power_kw is None
    figures = figures_from_payload(_payload())
    assert figures.distance_m == 8.5
    assert figures.fuel_used_l == 0.001
    assert figures.energy_used_kwh is None


def test_a_position_sent_for_a_private_sample_is_dropped() -> None:
    samples = samples_from_payload(_payload(lat=[48.1, 48.15, 48.2], lon=[2.1, 2.15, 2.2]))
    assert math.isnan(samples.lat[1])
    assert math.isnan(samples.lon[1])


def test_without_sharing_flags_a_position_means_shared() -> None:
    payload = _payload()
    del payload["location_shared"]
    assert samples_from_payload(payload).location_shared.tolist() == [True, False, True]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"speed_kmh": [0, 1]}, "speed_kmh"),
        ({"t": [0, 2, 1]}, "t must increase"),
        ({"speed_kmh": [0, None, 1]}, "speed_kmh"),
        ({"ev_mode": [True, 1, False]}, "ev_mode"),
        ({"accel_lat_ms2": "fast"}, "accel_lat_ms2"),
        ({"speed_kmh": [0, -3, 1]}, "negative"),
        ({"speed_limit_kmh": [50, True, 50]}, "speed_limit_kmh"),
    ],
)
def test_bad_arrays_are_refused_by_name(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidSamples, match=field):
        samples_from_payload(_payload(**changes))


def test_figures_need_distance_and_duration() -> None:
    with pytest.raises(InvalidSamples, match="distance_m"):
        figures_from_payload(_payload(distance_m=None))


def test_time_weights_add_up_to_the_duration_even_with_a_dropped_sample() -> None:
    weights = time_weights(np.array([0.0, 1.0, 3.0, 4.0]))
    assert weights.tolist() == [0.5, 1.5, 1.5, 0.5]
    assert time_weights(np.array([5.0])).tolist() == [0.0]


def test_samples_must_be_as_long_as_time() -> None:
    with pytest.raises(InvalidSamples, match="lat"):
        TripSamples(
            t=np.zeros(1),
            lat=np.zeros(2),
            lon=np.zeros(1),
            speed_kmh=np.zeros(1),
            accel_long_ms2=np.zeros(1),
            accel_lat_ms2=np.zeros(1),
            speed_limit_kmh=np.zeros(1),
            location_shared=np.ones(1, dtype=bool),
        )


def test_a_validated_upload_converts_to_samples_and_figures() -> None:
    trip = protocol.Trip.model_validate_json(
        json.dumps(
            {
                "trip_id": str(uuid.uuid4()),
                "started_at": "2026-03-02T08:00:00+00:00",
                "ended_at": "2026-03-02T08:00:02+00:00",
                "distance_m": 8.5,
                "duration_s": 2,
                "energy_used_kwh": 0.01,
                "regenerated_kwh": 0.002,
                "samples": {
                    "t": [0, 1, 2],
                    "lat": [48.1, None, 48.2],
                    "lon": [2.1, None, 2.2],
                    "speed_kmh": [0.0, 10.5, 20.0],
                    "accel_long_ms2": [0.0, 2.9, 2.8],
                    "accel_lat_ms2": [0.0, 0.1, -0.1],
                    "speed_limit_kmh": [50, None, 50],
                    "location_shared": [True, False, True],
                    "power_kw": [1.0, 20.0, -5.0],
                },
            }
        )
    )
    samples, figures = from_protocol(trip)
    assert samples.t.tolist() == [0.0, 1.0, 2.0]
    assert math.isnan(samples.lat[1])
    assert samples.lon[2] == 2.2
    assert math.isnan(samples.speed_limit_kmh[1])
    assert samples.speed_limit_kmh[0] == 50.0
    assert samples.power_kw is not None
    assert samples.power_kw.tolist() == [1.0, 20.0, -5.0]
    assert samples.ev_mode is None
    assert figures == TripFigures(8.5, 2.0, None, 0.01, 0.002)
