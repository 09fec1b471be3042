"""The trip_upload payload: parallel arrays that must agree, and privacy kept per sample."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from linkplus.protocol.errors import MalformedMessage
from linkplus.protocol.vehicle import Channel, TripUpload, encode, parse, topic
from linkplus.sim.history import past_trips
from linkplus.vehicles.catalogue import catalogue

VIN = "JTH2PXSJ2SJ000001"
T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def _body(**trip_changes: Any) -> dict[str, Any]:
    samples = {
        "t": [0, 1, 2],
        "lat": [50.84, 50.8401, None],
        "lon": [4.35, 4.3501, None],
        "speed_kmh": [0.0, 3.6, 0.0],
        "accel_long_ms2": [1.0, -1.0, 0.0],
        "accel_lat_ms2": [0.0, 0.1, 0.0],
        "speed_limit_kmh": [30, 30, None],
        "location_shared": [True, True, False],
        "ev_mode": [True, True, False],
    }
    trip: dict[str, Any] = {
        "trip_id": str(uuid.uuid4()),
        "started_at": T0.isoformat(),
        "ended_at": (T0 + timedelta(seconds=2)).isoformat(),
        "distance_m": 2.0,
        "duration_s": 2,
        "fuel_used_l": 0.001,
        "samples": samples,
    }
    for key, value in trip_changes.items():
        if key in samples:
            samples[key] = value
        else:
            trip[key] = value
    return {
        "msg_id": str(uuid.uuid4()),
        "seq": 1,
        "sent_at": trip["ended_at"],
        "occurred_at": trip["ended_at"],
        "type": "trip_upload",
        "trip": trip,
    }


def _parse(body: dict[str, Any]) -> TripUpload:
    message = parse(topic(VIN, Channel.events), json.dumps(body).encode()).message
    assert isinstance(message, TripUpload)
    return message


def test_a_valid_upload_parses_with_nulls_where_unknown_or_private() -> None:
    upload = _parse(_body())
    assert upload.trip.samples.lat[2] is None
    assert upload.trip.samples.speed_limit_kmh[2] is None
    assert upload.trip.samples.power_kw is None
    assert _parse(json.loads(encode(upload))) == upload


@pytest.mark.parametrize(
    "changes",
    [
        {"speed_kmh": [0.0, 3.6]},  # one sample short
        {"ev_mode": [True]},
        {"t": [0, 2, 1]},  # not increasing
        {"lat": [50.84, 50.8401, 50.8402], "lon": [4.35, 4.3501, 4.3502]},  # shared while off
        {"lat": [50.84, None, None]},  # lat without lon
        {"speed_kmh": [0.0, -3.0, 0.0]},
        {"fuel_used_l": None},  # neither fuel nor energy
        {"duration_s": 1},  # a sample after the end
        {"ended_at": (T0 - timedelta(seconds=1)).isoformat()},
        {"t": []},
    ],
)
def test_inconsistent_uploads_are_malformed(changes: dict[str, Any]) -> None:
    with pytest.raises(MalformedMessage):
        _parse(_body(**changes))


def test_the_simulator_sometimes_hides_positions_for_privacy() -> None:
    model = catalogue().models["UX300E"]
    hidden = 0
    for seed in range(12):
        for upload in past_trips(model, seed=seed, start=T0, days=14, vin=f"JTH2PXSJ2SJ{seed:06d}"):
            samples = upload.trip.samples
            private = [not shared for shared in samples.location_shared]
            if any(private):
                hidden += 1
                assert all(lat is None for lat, p in zip(samples.lat, private, strict=True) if p)
    assert hidden > 0
