"""Clock-driven flows through a real broker: sleep after 9 idle days, refresh commands reaching the
car, and the post-trip alert some minutes after engine-off."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import httpx

from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.notifications import Category
from linkplus.notifications import service as notifications
from linkplus.protocol.vehicle import Channel, Command, topic
from linkplus.runtime import Runtime
from linkplus.vehicle_link import credentials
from linkplus.vehicle_link.broker import EmbeddedBroker
from linkplus.vehicle_link.client import vehicle_client
from linkplus.vehicle_link.gateway import Result
from linkplus.vehicle_link.publisher import MqttCommandPublisher
from tests.servers import free_port
from tests.vehicle_link.support import WAIT, VehicleLink, make_car, running_gateway

WINDOW = "Vehicle.Cabin.Door.Row1.PassengerSide.Window.Position"
LOCKED = "Vehicle.Cabin.Door.Row2.DriverSide.IsLocked"
HAZARD = "Vehicle.Body.Lights.Hazard.IsSignaling"
SOC = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"


async def test_nine_idle_days_put_the_car_to_sleep_and_refresh_is_refused(
    vlink: VehicleLink, clock: ManualClock
) -> None:
    async with vlink.unit("bev") as unit:
        await unit.event("ignition_off", at=clock.now())
    await vlink.settle()

    clock.advance(days=8, hours=23)
    status = (await vlink.get("bev", "status")).json()
    assert status["connection"]["state"] == "offline"
    assert "Not heard from since 2026-11-21 09:00 UTC" in status["connection"]["message"]

    clock.advance(hours=1)
    status = (await vlink.get("bev", "status")).json()
    assert status["connection"]["state"] == "asleep"
    assert "Start the engine" in status["connection"]["message"]
    refused = await vlink.post("bev", "refresh")
    assert refused.status_code == 409
    assert refused.json()["code"] == "vehicle_asleep"
    assert "start the engine" in refused.json()["detail"].lower()

    async with vlink.unit("bev") as unit:  # the driver starts the car: it wakes
        await unit.event("waking", at=clock.now())
        await unit.event("ignition_on", at=clock.now())
    await vlink.settle()
    assert (await vlink.get("bev", "status")).json()["connection"]["state"] == "online"
    assert (await vlink.post("bev", "refresh")).status_code == 202


async def test_the_sleeping_event_marks_the_car_asleep_until_it_wakes(
    vlink: VehicleLink, clock: ManualClock
) -> None:
    async with vlink.unit("phev") as unit:
        await unit.event("ignition_off", at=clock.now() - timedelta(days=2))
        await unit.event("sleeping", at=clock.now() - timedelta(minutes=1))
    await vlink.settle()
    assert (await vlink.get("phev", "status")).json()["connection"]["state"] == "asleep"
    assert (await vlink.post("phev", "refresh")).json()["code"] == "vehicle_asleep"


async def test_refresh_sends_the_refresh_command_to_the_car(
    vlink: VehicleLink, clock: ManualClock, worker: Worker
) -> None:
    car = vlink.cars["phev"]
    publisher = MqttCommandPublisher(
        vlink.gateway_address, secret=vlink.gateway_secret, instance="test.commands"
    )
    vlink.runtime.vehicle_link = publisher
    try:
        async with vehicle_client(vlink.vehicles, vin=car.vin, secret=car.secret) as unit:
            await unit.subscribe(topic(car.vin, Channel.commands), qos=1)
            accepted = await vlink.post("phev", "refresh")
            assert accepted.status_code == 202, accepted.text
            assert accepted.json()["status"] == "queued"
            assert await worker.run_due() == 1

            async def first() -> bytes:
                async for message in unit.messages:
                    assert isinstance(message.payload, bytes)
                    return message.payload
                raise AssertionError("no command")

            received = Command.model_validate_json(await asyncio.wait_for(first(), WAIT))
    finally:
        await publisher.close()
        vlink.runtime.vehicle_link = None
    assert received.type == "refresh"
    assert received.msg_id == uuid.UUID(accepted.json()["command_id"])
    assert received.expires_at > clock.now()


async def test_post_trip_alert_arrives_once_after_the_delay_and_names_what_to_check(
    vlink: VehicleLink, clock: ManualClock, worker: Worker
) -> None:
    car = vlink.cars["phev"]
    off = clock.now()
    async with vlink.unit("phev") as unit:
        await unit.event("ignition_off", at=off)
        await unit.telemetry({WINDOW: 40, LOCKED: False, HAZARD: False}, ts=off)
        await unit.event("alert", at=off + timedelta(seconds=20), kind="rear_seat_reminder")
    await vlink.settle()

    await worker.run_due()
    assert await _alerts(vlink, car.owner.account.id) == []
    clock.advance(minutes=vlink.runtime.settings.post_trip_alert_minutes)
    await worker.run_due()
    clock.advance(minutes=30)
    await worker.run_due()

    found = await _alerts(vlink, car.owner.account.id)
    assert len(found) == 1
    title, body = found[0]
    assert "Lexus NX 450h+" in title
    assert "Window open: front right" in body
    assert "Doors unlocked" in body
    assert "Check the rear seat" in body
    assert "Hazard" not in body


async def test_no_post_trip_alert_when_the_car_is_closed_or_driven_on(
    vlink: VehicleLink, clock: ManualClock, worker: Worker
) -> None:
    car = vlink.cars["bev"]
    off = clock.now()
    async with vlink.unit("bev") as unit:
        await unit.event("ignition_off", at=off)
        await unit.telemetry({WINDOW: 0, LOCKED: True}, ts=off)
        await unit.event("ignition_off", at=off + timedelta(minutes=20))
        await unit.event("alert", at=off + timedelta(minutes=20), kind="hood_open")
        await unit.event("ignition_on", at=off + timedelta(minutes=22))
    await vlink.settle()
    clock.advance(minutes=40)
    await worker.run_due()
    assert await _alerts(vlink, car.owner.account.id) == []


async def _alerts(vlink: VehicleLink, account_id: uuid.UUID) -> list[tuple[str, str]]:
    async with vlink.runtime.db.transaction() as session:
        inbox = await notifications.inbox(session, account_id=account_id)
    return [
        (n.title, n.body)
        for n in inbox
        if n.category == Category.vehicle_alerts.value and n.kind == "post_trip_alert"
    ]


async def test_the_gateway_reconnects_when_the_broker_comes_back(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await make_car(runtime, client, model_code="UX300E")
    secret = credentials.gateway_secret(runtime.settings)
    port = free_port()
    broker = EmbeddedBroker(runtime.db, gateway_secret=secret, port=port)
    await broker.start()
    async with running_gateway(runtime, broker.address, secret) as gateway:
        await broker.stop()  # the broker goes away under the gateway
        async with asyncio.timeout(WAIT):
            await gateway.disconnected.wait()
        broker = EmbeddedBroker(runtime.db, gateway_secret=secret, port=port)
        await broker.start()
        try:
            async with asyncio.timeout(WAIT):
                await gateway.connected.wait()
            async with vehicle_client(broker.address, vin=car.vin, secret=car.secret) as unit:
                payload = json.dumps(
                    {
                        "msg_id": str(uuid.uuid4()),
                        "seq": 1,
                        "sent_at": clock.now().isoformat(),
                        "signals": [{"path": SOC, "value": 33.0, "ts": clock.now().isoformat()}],
                    }
                ).encode()
                await unit.publish(topic(car.vin, Channel.telemetry), payload, qos=1)
            async with asyncio.timeout(WAIT):
                await gateway.wait_handled(1)
        finally:
            await broker.stop()
    assert gateway.metrics.count(Result.processed) == 1
