"""A running vehicle link for the end-to-end tests, once on the embedded amqtt broker and once on
Mosquitto: a car with a primary owner and active services whose unit the simulator drives, and
a second provisioned car for the misbehaving-unit test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from linkplus.runtime import Runtime
from tests.e2e.support import MODEL
from tests.vehicle_link.support import VehicleLink, make_car, vehicle_link


@pytest.fixture(params=["amqtt", "mosquitto"])
async def road(
    request: pytest.FixtureRequest, runtime: Runtime, client: httpx.AsyncClient
) -> AsyncIterator[VehicleLink]:
    cars = {
        "car": await make_car(runtime, client, model_code=MODEL),
        "other": await make_car(runtime, client, model_code="UX300E"),
    }
    async with vehicle_link(request.param, runtime, client, cars) as link:
        yield link
