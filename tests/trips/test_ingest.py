"""Taking in uploaded trips: through the gateway, the TripUploaded event and the trips job."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import httpx

from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.protocol.vehicle import TripUpload
from linkplus.runtime import Runtime
from linkplus.trips import service
from linkplus.vehicle_link import service as vehicle_link
from tests.support import bearer_for
from tests.trips_e2e.support import deliver, event, make_trip, trip_upload
from tests.vehicle_link.support import Car, make_car


async def _fresh(runtime: Runtime, car: Car) -> dict[str, str]:
    """A new sign-in: tests that move the clock outlive an access token."""
    return await bearer_for(runtime, car.owner.account)


async def _trips(runtime: Runtime, client: httpx.AsyncClient, car: Car) -> list[dict[str, object]]:
    answer = await client.get(
        f"/api/v1/vehicles/{car.vin}/trips", headers=await _fresh(runtime, car)
    )
    assert answer.status_code == 200, answer.text
    return [trip for month in answer.json()["months"] for trip in month["trips"]]


async def _missing(client: httpx.AsyncClient, car: Car) -> dict[str, int]:
    answer = await client.get(
        f"/api/v1/vehicles/{car.vin}/trips/missing", headers=car.owner.headers
    )
    assert answer.status_code == 200, answer.text
    return {r["reason"]: r["count"] for m in answer.json()["months"] for r in m["reasons"]}


async def test_an_uploaded_trip_is_saved_with_scores_once_the_job_ran(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, worker: Worker
) -> None:
    car = await make_car(runtime, client, model_code="NX450HP")
    started = clock.now() - timedelta(minutes=20)
    upload = trip_upload(make_trip(started), 1)
    await deliver(runtime, car.vin, upload)
    assert await _trips(runtime, client, car) == []  # the job has not run yet
    assert await worker.run_due() >= 1

    [trip] = await _trips(runtime, client, car)
    assert trip["started_at"] == started.isoformat().replace("+00:00", "Z")
    assert 0 <= trip["score"] <= 100
    assert trip["rebuilt"] is False
    assert trip["coaching_kind"] == "hybrid_coaching"
    async with runtime.db.transaction() as session:
        record = await vehicle_link.trip_upload(
            session, msg_id=uuid.UUID(json.loads(upload)["msg_id"])
        )
        assert record is not None
        assert record.consumed_at is not None


async def test_the_same_trip_sent_twice_is_saved_once(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, worker: Worker
) -> None:
    car = await make_car(runtime, client, model_code="UX300E")
    trip = make_trip(clock.now() - timedelta(minutes=30), powertrain="bev")
    await deliver(runtime, car.vin, trip_upload(trip, 1))
    await worker.run_due()
    await deliver(runtime, car.vin, trip_upload(trip, 2))  # re-sent after a reconnect: new msg_id
    await worker.run_due()
    assert len(await _trips(runtime, client, car)) == 1
    upload = TripUpload.model_validate_json(trip_upload(trip, 3))
    async with runtime.db.transaction() as session:
        again = await service.ingest_trip(session, runtime, vin=car.vin, upload=upload)
    assert again.already_known
    assert not again.saved


async def test_short_and_private_trips_are_not_saved_but_counted_with_their_reason(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, worker: Worker
) -> None:
    car = await make_car(runtime, client, model_code="NX450HP")
    now = clock.now()
    short = make_trip(now - timedelta(hours=3), seconds=8, cruise_kmh=10)
    ended_private = make_trip(now - timedelta(hours=2), seconds=600, private=(500, 601))
    await deliver(runtime, car.vin, trip_upload(short, 1), trip_upload(ended_private, 2))
    # The car reports privacy mode on; its next trip's samples still say "shared" at the end
    # (the unit's flag lagged): the platform's privacy history decides too.
    switched = now - timedelta(minutes=50)
    lagging = make_trip(now - timedelta(minutes=40), seconds=600)
    await deliver(
        runtime,
        car.vin,
        event("privacy_mode_changed", switched, 3, location_sharing=False),
        trip_upload(lagging, 4),
    )
    await worker.run_due()
    assert await _trips(runtime, client, car) == []
    assert await _missing(client, car) == {"privacy_mode": 2, "too_short": 1}


async def test_a_partly_private_trip_is_saved_with_the_gap_rebuilt(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, worker: Worker
) -> None:
    car = await make_car(runtime, client, model_code="NX450HP")
    trip = make_trip(clock.now() - timedelta(hours=1), seconds=900, private=(200, 400))
    await deliver(runtime, car.vin, trip_upload(trip, 1))
    await worker.run_due()
    [summary] = await _trips(runtime, client, car)
    assert summary["rebuilt"] is True
    assert "rebuilt" in str(summary["rebuilt_explanation"])
    detail = await client.get(
        f"/api/v1/vehicles/{car.vin}/trips/{summary['id']}", headers=car.owner.headers
    )
    lines = [f for f in detail.json()["route"]["features"] if f["geometry"]["type"] == "LineString"]
    assert [f["properties"]["rebuilt"] for f in lines] == [False, True, False]
    # The rebuilt stretch joins the last point before the gap to the first one after it.
    assert lines[1]["geometry"]["coordinates"][0] == lines[0]["geometry"]["coordinates"][-1]
    assert lines[1]["geometry"]["coordinates"][-1] == lines[2]["geometry"]["coordinates"][0]


async def test_trips_of_a_car_without_active_services_are_not_saved(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, worker: Worker
) -> None:
    car = await make_car(runtime, client, model_code="NX350", active=False)
    await deliver(
        runtime,
        car.vin,
        trip_upload(make_trip(clock.now() - timedelta(hours=1), powertrain="petrol"), 1),
    )
    await worker.run_due()
    answer = await client.get(f"/api/v1/vehicles/{car.vin}/trips", headers=car.owner.headers)
    assert answer.status_code == 409
    assert answer.json()["code"] == "service_not_active"
    assert "Driving analytics" in answer.json()["detail"]
    async with runtime.db.transaction() as session:
        assert await service.has_history(session, vin=car.vin)


async def test_a_trip_uploaded_hours_late_lands_by_its_start_time(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, worker: Worker
) -> None:
    car = await make_car(runtime, client, model_code="UX300E")
    now = clock.now()
    earlier = make_trip(now - timedelta(hours=6), powertrain="bev")
    later = make_trip(now - timedelta(hours=1), powertrain="bev")
    await deliver(runtime, car.vin, trip_upload(later, 2))
    await worker.run_due()
    clock.advance(hours=3)  # the car comes out of the car park; the older trip arrives now
    await deliver(runtime, car.vin, trip_upload(earlier, 1, sent_at=clock.now()))
    await worker.run_due()
    trips = await _trips(runtime, client, car)
    assert [t["started_at"] for t in trips] == [
        later["started_at"].replace("+00:00", "Z"),
        earlier["started_at"].replace("+00:00", "Z"),
    ]
    last = await client.get(
        f"/api/v1/vehicles/{car.vin}/trips/last", headers=await _fresh(runtime, car)
    )
    assert last.json()["trip"]["id"] == trips[0]["id"]
