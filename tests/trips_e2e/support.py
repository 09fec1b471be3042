"""Trip uploads made to measure, and sending them the way a car does, for the trips tests.

``make_trip`` drives north from a point in Munich: it speeds up, cruises and brakes to a stop, at
1 Hz, with the positions hidden where the test says location sharing was off.
"""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from linkplus.protocol.vehicle import Channel, topic
from linkplus.runtime import Runtime
from linkplus.vehicle_link import credentials
from linkplus.vehicle_link.client import BrokerAddress
from linkplus.vehicle_link.gateway import Gateway, Result

START_LAT, START_LON = 48.137, 11.575
METRES_PER_DEGREE = 111_320.0


def make_trip(
    started: datetime,
    *,
    seconds: int = 900,
    cruise_kmh: float = 50.0,
    accel_ms2: float = 1.5,
    private: tuple[int, int] | None = None,
    trip_id: uuid.UUID | None = None,
    powertrain: str = "phev",
    wobble: float = 0.0,
) -> dict[str, Any]:
    """A ``trip_upload`` trip: ``private`` is the [from, to) range of samples without location;
    ``wobble`` adds a speed oscillation (m/s²) that makes the cruise less steady."""
    n = seconds + 1
    speed_ms: list[float] = []
    v = 0.0
    cruise = cruise_kmh / 3.6
    for i in range(n):
        left = seconds - i
        if v > 0 and left * accel_ms2 <= v:
            v = max(v - accel_ms2, 0.0)
        elif v < cruise:
            v = min(v + accel_ms2, cruise)
        elif wobble:
            v = cruise + (wobble if i % 20 < 10 else -wobble)
        if i == seconds:
            v = 0.0
        speed_ms.append(v)
    accel = [0.0] + [round(b - a, 2) for a, b in itertools.pairwise(speed_ms)]
    lat, lon, shared = [], [], []
    north = 0.0
    for i, v in enumerate(speed_ms):
        north += v
        hidden = private is not None and private[0] <= i < private[1]
        shared.append(not hidden)
        lat.append(None if hidden else round(START_LAT + north / METRES_PER_DEGREE, 6))
        lon.append(None if hidden else START_LON)
    distance = sum(speed_ms)
    energy: dict[str, float] = {}
    if powertrain in ("phev", "bev"):
        energy["energy_used_kwh"] = round(distance / 1000.0 * 0.17, 3)
    if powertrain != "bev":
        energy["fuel_used_l"] = round(distance / 1000.0 * 0.05, 3)
    samples: dict[str, Any] = {
        "t": list(range(n)),
        "lat": lat,
        "lon": lon,
        "speed_kmh": [round(v * 3.6, 1) for v in speed_ms],
        "accel_long_ms2": accel,
        "accel_lat_ms2": [0.0] * n,
        "speed_limit_kmh": [50] * n,
        "location_shared": shared,
    }
    if powertrain in ("hev", "phev"):
        samples["ev_mode"] = [v * 3.6 < 40 for v in speed_ms]
    return {
        "trip_id": str(trip_id or uuid.uuid4()),
        "started_at": started.isoformat(),
        "ended_at": (started + timedelta(seconds=seconds)).isoformat(),
        "distance_m": round(distance, 1),
        "duration_s": seconds,
        **energy,
        "samples": samples,
    }


def event(
    type_: str, at: datetime, seq: int, *, sent_at: datetime | None = None, **extra: Any
) -> bytes:
    body = {
        "msg_id": str(uuid.uuid4()),
        "seq": seq,
        "sent_at": (sent_at or at).isoformat(),
        "occurred_at": at.isoformat(),
        "type": type_,
        **extra,
    }
    return json.dumps(body).encode()


def trip_upload(trip: dict[str, Any], seq: int, *, sent_at: datetime | None = None) -> bytes:
    ended = datetime.fromisoformat(trip["ended_at"])
    return event("trip_upload", ended, seq, sent_at=sent_at, trip=trip)


def gateway(runtime: Runtime) -> Gateway:
    """A gateway that is not connected to a broker: ``process`` is what it does per batch."""
    return Gateway(
        runtime, BrokerAddress("127.0.0.1", 1), secret=credentials.gateway_secret(runtime.settings)
    )


async def deliver(runtime: Runtime, vin: str, *messages: bytes) -> None:
    """Hand the car's event messages to the gateway, as the broker would."""
    tally = await gateway(runtime).process([(topic(vin, Channel.events), m) for m in messages])
    assert tally[Result.processed] == len(messages), tally
