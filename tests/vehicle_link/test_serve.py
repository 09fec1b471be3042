"""``serve`` starts the embedded broker and the gateway in its lifespan; /metrics counts."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx

from linkplus.app import create_app
from linkplus.kit.clock import ManualClock
from linkplus.protocol.vehicle import Channel, topic
from linkplus.runtime import Runtime
from linkplus.vehicle_link.client import BrokerAddress, MqttVersion, vehicle_client
from tests.servers import free_port
from tests.vehicle_link.support import WAIT, make_car


async def test_the_app_runs_the_embedded_broker_and_the_gateway(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await make_car(runtime, client, model_code="UX300E")
    runtime.settings.mqtt_port = free_port()
    app = create_app(runtime, run_worker=False, run_gateway=True)
    async with app.router.lifespan_context(app):
        address = BrokerAddress("127.0.0.1", runtime.settings.mqtt_port, MqttVersion.v311)
        assert runtime.vehicle_link is not None  # commands can be sent from this process
        async with vehicle_client(address, vin=car.vin, secret=car.secret) as unit:
            await unit.publish(topic(car.vin, Channel.telemetry), b"garbage", qos=1)
            payload = {
                "msg_id": str(uuid.uuid4()),
                "seq": 1,
                "sent_at": clock.now().isoformat(),
                "signals": [
                    {
                        "path": "Vehicle.TraveledDistance",
                        "value": 20_000,
                        "ts": clock.now().isoformat(),
                    }
                ],
            }
            await unit.publish(
                topic(car.vin, Channel.telemetry), json.dumps(payload).encode(), qos=1
            )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            async with asyncio.timeout(WAIT):
                while True:
                    status = await http.get(
                        f"/api/v1/vehicles/{car.vin}/status", headers=car.owner.headers
                    )
                    if status.json()["odometer"]["km"] is not None:
                        break
                    await asyncio.sleep(0.02)  # the gateway works in the background: poll, bounded
            metrics = (await http.get("/metrics")).text
    assert status.json()["odometer"]["km"] == 20_000
    assert 'linkplus_gateway_messages_total{result="malformed"} 1.0' in metrics
    assert 'linkplus_gateway_messages_total{result="processed"} 1.0' in metrics
    assert runtime.vehicle_link is None  # closed with the app
