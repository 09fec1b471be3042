"""A door-lock over the real protocol: the API, the send job, the embedded MQTT broker, the
simulated car checking the signature and its state, the gateway, and the answer job."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from linkplus.jobs.worker import Worker
from linkplus.remote import signing
from linkplus.runtime import Runtime
from linkplus.sim.car import SimulatedCar
from linkplus.sim.clock import ManualClock as SimClock
from linkplus.sim.commands import REMOTE_HANDLERS
from linkplus.sim.roads import build_network
from linkplus.sim.unit import TelematicsUnit
from linkplus.vehicle_link.publisher import MqttCommandPublisher
from linkplus.vehicles.catalogue import catalogue
from tests.support import bearer_for
from tests.vehicle_link.support import make_car, vehicle_link

WAIT = 30.0  # seconds: a bound for broker, gateway and car, reached only when something is wrong


async def _connected(unit: TelematicsUnit) -> None:
    """Wait (bounded by the caller's timeout) for the unit's MQTT subscription."""
    while True:
        if unit.connected:
            return
        await asyncio.sleep(0.01)


async def _state(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> str:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    state: str = response.json()["state"]
    return state


@pytest.mark.parametrize(
    ("key_inside", "final", "code"),
    [(False, "completed", None), (True, "failed", "smart_key_inside")],
)
async def test_door_lock_through_broker_gateway_and_simulated_car(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    key_inside: bool,
    final: str,
    code: str | None,
) -> None:
    """The platform's twin knows nothing of the key; the car finds it and refuses itself."""
    car = await make_car(runtime, client, model_code="NX450HP")
    async with vehicle_link("amqtt", runtime, client, {"car": car}) as link:
        start = runtime.clock.now()
        simulated = SimulatedCar.create(
            vin=car.vin,
            model=catalogue().models["NX450HP"],
            network=build_network(3),
            seed=3,
            start=start,
        )
        simulated.state.close_everything()
        simulated.state.unlock()
        simulated.state.smart_key_inside = key_inside
        unit = TelematicsUnit(
            simulated,
            secret=car.secret,
            address=link.vehicles,
            clock=SimClock(start),
            handlers=REMOTE_HANDLERS,
            plan=[],
            command_key=signing.command_key(runtime.settings, car.vin),
        )
        stop = asyncio.Event()
        running = asyncio.create_task(unit.run(stop))
        publisher = MqttCommandPublisher(
            link.gateway_address, secret=link.gateway_secret, instance=f"t{uuid.uuid4().hex[:6]}"
        )
        runtime.vehicle_link = publisher
        try:
            async with asyncio.timeout(WAIT):
                await _connected(unit)
            headers = await bearer_for(runtime, car.owner.account)
            base = f"/api/v1/vehicles/{car.vin}/commands"
            response = await client.post(base, json={"type": "door-lock"}, headers=headers)
            assert response.status_code == 202, response.text
            url = f"{base}/{response.json()['id']}"
            await worker.run_due()
            async with asyncio.timeout(WAIT):
                while await _state(client, url, headers) not in ("completed", "failed"):
                    await asyncio.sleep(0.02)
                    await worker.run_due()
            outcome = (await client.get(url, headers=headers)).json()
            assert (outcome["state"], outcome["code"]) == (final, code)
            assert simulated.state.is_locked is (final == "completed")
            assert unit.last_counter == 1
        finally:
            stop.set()
            await running
            await publisher.close()
            runtime.vehicle_link = None
