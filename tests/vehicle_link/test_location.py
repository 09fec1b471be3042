"""Find my car from trip uploads, the trip inbox, and the retention purge of location data."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx

from linkplus.jobs import ScheduledRun, enqueue_task
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.protocol.vehicle import Channel, topic
from linkplus.runtime import Runtime
from linkplus.vehicle_link import repository, service
from linkplus.vehicle_link.gateway import Result
from linkplus.vehicle_link.tasks import purge
from tests.vehicle_link.support import gateway, make_car, telemetry

LAT = "Vehicle.CurrentLocation.Latitude"
LON = "Vehicle.CurrentLocation.Longitude"
SOC = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"


def event(type_: str, at: datetime, seq: int, **extra: Any) -> bytes:
    body = {
        "msg_id": str(uuid.uuid4()),
        "seq": seq,
        "sent_at": at.isoformat(),
        "occurred_at": at.isoformat(),
        "type": type_,
        **extra,
    }
    return json.dumps(body).encode()


def trip(started: datetime, *, shared_at_end: bool) -> dict[str, Any]:
    n = 3
    return {
        "trip_id": str(uuid.uuid4()),
        "started_at": started.isoformat(),
        "ended_at": (started + timedelta(seconds=2)).isoformat(),
        "distance_m": 30.0,
        "duration_s": 2,
        "energy_used_kwh": 0.01,
        "samples": {
            "t": [0, 1, 2],
            "lat": [48.0, 48.001, 48.002 if shared_at_end else None],
            "lon": [11.0, 11.001, 11.002 if shared_at_end else None],
            "speed_kmh": [20.0] * n,
            "accel_long_ms2": [0.0] * n,
            "accel_lat_ms2": [0.0] * n,
            "speed_limit_kmh": [50] * n,
            "location_shared": [True, True, shared_at_end],
        },
    }


async def test_a_trip_upload_is_kept_for_the_trips_feature_and_sets_the_parked_position(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await make_car(runtime, client, model_code="UX300E")
    started = clock.now() - timedelta(minutes=10)
    upload = event(
        "trip_upload", started + timedelta(seconds=3), 1, trip=trip(started, shared_at_end=True)
    )
    tally = await gateway(runtime).process([(topic(car.vin, Channel.events), upload)])
    assert tally[Result.processed] == 1

    msg_id = uuid.UUID(json.loads(upload)["msg_id"])
    async with runtime.db.transaction() as session:
        stored = await service.trip_upload(session, msg_id=msg_id)
        assert stored is not None
        assert stored.payload["trip"]["samples"]["t"] == [0, 1, 2]
        await service.mark_trip_consumed(session, msg_id=msg_id, now=clock.now())
        assert await repository.trip_uploads(session, vin=car.vin) == []
    where = await client.get(f"/api/v1/vehicles/{car.vin}/location", headers=car.owner.headers)
    assert where.status_code == 200, where.text
    assert where.json()["latitude"] == 48.002
    assert where.json()["parked_at"] == (started + timedelta(seconds=2)).isoformat().replace(
        "+00:00", "Z"
    )


async def test_a_trip_that_ended_in_privacy_mode_leaves_no_parked_position(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await make_car(runtime, client, model_code="UX300E")
    started = clock.now() - timedelta(minutes=10)
    messages = [
        (
            topic(car.vin, Channel.events),
            event(
                "privacy_mode_changed", started + timedelta(seconds=2), 1, location_sharing=False
            ),
        ),
        (
            topic(car.vin, Channel.events),
            event(
                "trip_upload",
                started + timedelta(seconds=3),
                2,
                trip=trip(started, shared_at_end=False),
            ),
        ),
    ]
    await gateway(runtime).process(messages)
    async with runtime.db.transaction() as session:
        state = await repository.get_link_state(session, car.vin)
    assert state is not None
    assert state.parked_at is None


async def test_location_older_than_the_retention_is_purged_daily(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, worker: Worker
) -> None:
    car = await make_car(runtime, client, model_code="UX300E")
    old = clock.now()
    await gateway(runtime).process(
        [
            (topic(car.vin, Channel.events), event("ignition_off", old, 1)),
            (
                topic(car.vin, Channel.telemetry),
                telemetry({LAT: 48.5, LON: 11.5, SOC: 50}, ts=old, seq=2),
            ),
        ]
    )
    clock.advance(days=runtime.settings.location_retention_days - 1)
    recent = clock.now()
    await gateway(runtime).process(
        [(topic(car.vin, Channel.telemetry), telemetry({LAT: 48.6, LON: 11.6}, ts=recent, seq=3))]
    )
    clock.advance(days=2)
    async with runtime.db.transaction() as session:
        await enqueue_task(session, purge, ScheduledRun(scheduled_for=clock.now()), now=clock.now())
    await worker.run_due()

    async with runtime.db.transaction() as session:
        positions = await repository.positions(session, vin=car.vin)
        state = await repository.get_link_state(session, car.vin)
        soc = await repository.history(session, vin=car.vin, path=SOC)
    assert [p.ts for p in positions] == [recent]
    assert state is not None
    assert state.parked_at == recent  # still parked: the newer fix is the parked position
    assert len(soc) == 1  # other history follows its own, longer retention

    clock.advance(days=runtime.settings.location_retention_days)
    async with runtime.db.transaction() as session:
        await enqueue_task(session, purge, ScheduledRun(scheduled_for=clock.now()), now=clock.now())
    await worker.run_due()
    async with runtime.db.transaction() as session:
        assert await repository.positions(session, vin=car.vin) == []
        state = await repository.get_link_state(session, car.vin)
        twin = {row.path for row in await repository.twin_signals(session, car.vin)}
    assert state is not None
    assert state.parked_at is None  # the parked position is location data too
    assert LAT not in twin
    assert SOC in twin
