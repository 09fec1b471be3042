"""Who may see a car's status, refresh it and find it; and which parts each model shows.

Messages go straight into ``Gateway.process`` here (no broker): what is tested is the API.
"""

from __future__ import annotations

import httpx
import pytest

from linkplus.kit.clock import ManualClock
from linkplus.protocol.vehicle import Channel, topic
from linkplus.runtime import Runtime
from linkplus.vehicle_link.gateway import Result
from tests.connected_services.support import link, owner
from tests.vehicle_link.support import gateway, make_car, telemetry

ENDPOINTS = [("get", "status"), ("post", "refresh"), ("get", "location")]


async def call(
    client: httpx.AsyncClient, method: str, vin: str, tail: str, headers: dict[str, str]
) -> httpx.Response:
    return await client.request(method, f"/api/v1/vehicles/{vin}/{tail}", headers=headers)


@pytest.mark.parametrize(("method", "tail"), ENDPOINTS)
async def test_another_accounts_car_is_not_found(
    runtime: Runtime, client: httpx.AsyncClient, method: str, tail: str
) -> None:
    car = await make_car(runtime, client, model_code="NX450HP")
    stranger = await owner(runtime)
    response = await call(client, method, car.vin, tail, stranger.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "vehicle_not_found"


@pytest.mark.parametrize(("method", "tail"), ENDPOINTS)
async def test_a_secondary_account_is_refused(
    runtime: Runtime, client: httpx.AsyncClient, method: str, tail: str
) -> None:
    car = await make_car(runtime, client, model_code="NX450HP")
    driver = await owner(runtime)
    await link(runtime, driver.account, car.vin, primary=False)
    response = await call(client, method, car.vin, tail, driver.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "not_primary_account"


@pytest.mark.parametrize(("method", "tail"), ENDPOINTS)
async def test_inactive_services_are_refused_with_what_to_do(
    runtime: Runtime, client: httpx.AsyncClient, method: str, tail: str
) -> None:
    car = await make_car(runtime, client, model_code="NX450HP", active=False)
    response = await call(client, method, car.vin, tail, car.owner.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "service_not_active"
    assert "Connected Services Centre" in response.json()["detail"]


async def test_each_model_shows_only_the_parts_it_has(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    electric = await make_car(runtime, client, model_code="UX300E")
    hybrid = await make_car(runtime, client, model_code="UX250H")  # MM18: no tyre pressure
    now = clock.now()
    values = {
        "Vehicle.Powertrain.FuelSystem.RelativeLevel": 40,
        "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current": 66,
        "Vehicle.Private.LinkPlus.WarningLights.Active": ["tire_pressure", "engine"],
    }
    tally = await gateway(runtime).process(
        [
            (topic(electric.vin, Channel.telemetry), telemetry(values, ts=now)),
            (topic(hybrid.vin, Channel.telemetry), telemetry(values, ts=now)),
        ]
    )
    assert tally[Result.processed] == 2

    bev = (await call(client, "get", electric.vin, "status", electric.owner.headers)).json()
    assert bev["fuel"] is None
    assert bev["battery"]["charge_percent"] == 66
    assert bev["charging"] is not None
    assert bev["tyres"] is not None
    assert bev["warning_lights"]["active"] == ["engine", "tire_pressure"]
    assert bev["sunroof"] is None  # never reported: the car has none

    hev = (await call(client, "get", hybrid.vin, "status", hybrid.owner.headers)).json()
    assert hev["fuel"]["level_percent"] == 40
    assert hev["battery"] is None
    assert hev["charging"] is None
    assert hev["tyres"] is None
    assert hev["connection"]["state"] == "online"


async def test_a_car_never_heard_from_says_so(runtime: Runtime, client: httpx.AsyncClient) -> None:
    car = await make_car(runtime, client, model_code="NX450HP")
    body = (await call(client, "get", car.vin, "status", car.owner.headers)).json()
    assert body["connection"]["state"] == "unknown"
    assert body["doors"]["all_locked"] is None
    assert body["odometer"] == {"km": None, "reported_at": None}
    missing = await call(client, "get", car.vin, "location", car.owner.headers)
    assert missing.status_code == 409
    assert missing.json()["code"] == "location_unknown"
