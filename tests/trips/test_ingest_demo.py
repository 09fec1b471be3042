"""The demo's past month of trips: through the same inbox and ingestion as a car's, once."""

from __future__ import annotations

from datetime import timedelta

import httpx

from linkplus.demo import DEMO_CARS
from linkplus.demo.history import HISTORY_DAYS, give_demo_history
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.runtime import Runtime
from linkplus.sim.roads import BRUSSELS
from linkplus.vehicles.catalogue import catalogue
from tests.vehicle_link.support import make_car

DEMO_RZ_VIN = next(spec.vin for spec in DEMO_CARS if spec.model_code == "RZ450E")


async def test_a_demo_car_gets_a_month_of_trips_once(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, worker: Worker
) -> None:
    # The demo's own electric car: its trips are derived from its VIN, so a random VIN would
    # make the month's count vary from run to run (one had only 14 trips).
    car = await make_car(runtime, client, model_code="RZ450E", vin=DEMO_RZ_VIN)
    model = catalogue().models["RZ450E"]
    async with runtime.db.transaction() as session:
        saved = await give_demo_history(
            session, runtime, vin=car.vin, model=model, now=clock.now(), home=BRUSSELS
        )
    assert saved > 15

    listing = await client.get(
        f"/api/v1/vehicles/{car.vin}/trips?limit=100", headers=car.owner.headers
    )
    trips = [t for month in listing.json()["months"] for t in month["trips"]]
    assert len(trips) == saved
    first_day = (clock.now() - timedelta(days=HISTORY_DAYS)).date().isoformat()
    assert min(t["started_at"] for t in trips)[:10] >= first_day
    assert max(t["ended_at"] for t in trips)[:10] < clock.now().date().isoformat()
    assert all(t["coaching_kind"] == "ev_coaching" for t in trips)
    detail = await client.get(
        f"/api/v1/vehicles/{car.vin}/trips/{trips[0]['id']}", headers=car.owner.headers
    )
    route = detail.json()["route"]
    assert route is not None
    assert abs(route["features"][0]["geometry"]["coordinates"][0][1] - BRUSSELS.lat) < 0.2

    # The jobs the uploads queued find every trip taken in; a second demo run adds nothing.
    assert await worker.run_due() >= saved
    async with runtime.db.transaction() as session:
        again = await give_demo_history(
            session, runtime, vin=car.vin, model=model, now=clock.now(), home=BRUSSELS
        )
    assert again == 0
    listing = await client.get(
        f"/api/v1/vehicles/{car.vin}/trips?limit=100", headers=car.owner.headers
    )
    assert sum(len(month["trips"]) for month in listing.json()["months"]) == saved
