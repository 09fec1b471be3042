"""The running vehicle link (real broker, gateway, three provisioned cars) for the gateway tests,
once on the embedded amqtt broker and once on Mosquitto."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from linkplus.runtime import Runtime
from tests.vehicle_link.support import VehicleLink, make_car, vehicle_link


@pytest.fixture(params=["amqtt", "mosquitto"])
async def vlink(
    request: pytest.FixtureRequest, runtime: Runtime, client: httpx.AsyncClient
) -> AsyncIterator[VehicleLink]:
    cars = {
        "phev": await make_car(runtime, client, model_code="NX450HP"),
        "bev": await make_car(runtime, client, model_code="UX300E"),
        "stranger": await make_car(runtime, client, model_code="NX450HP", active=False),
    }
    async with vehicle_link(request.param, runtime, client, cars) as link:
        yield link
