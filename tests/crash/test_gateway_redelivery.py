"""A message the gateway could not store is not acknowledged: the broker delivers it again and
it is stored once the database works again (Mosquitto, both databases).

The database failure is real: the table of seen message ids is renamed away while the message
arrives, so every attempt to store it fails, and renamed back afterwards."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from sqlalchemy import text

from linkplus.kit.clock import ManualClock
from linkplus.protocol.vehicle import Channel, topic
from linkplus.runtime import Runtime
from linkplus.vehicle_link import credentials
from linkplus.vehicle_link import service as vehicle_link_service
from linkplus.vehicle_link.client import vehicle_client
from linkplus.vehicle_link.gateway import Gateway, Result
from tests.crash.support import eventually
from tests.vehicle_link.support import WAIT, make_car, mosquitto_broker, vehicle_link

SOC = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"


async def _rename(runtime: Runtime, old: str, new: str) -> None:
    async with runtime.db.transaction() as session:
        await session.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


async def test_a_message_that_failed_to_store_is_delivered_again_and_stored(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    cars = {"bev": await make_car(runtime, client, model_code="UX300E")}
    async with vehicle_link("mosquitto", runtime, client, cars) as link:
        await _rename(runtime, "vehicle_messages_seen", "vehicle_messages_seen_away")
        try:
            async with link.unit("bev") as unit:
                await unit.telemetry({SOC: 64.0}, ts=clock.now())

            async def failed() -> bool:
                return link.gateway.metrics.count(Result.failed) >= 1

            await eventually(failed, within=WAIT, what="the store to fail", every=0.02)
        finally:
            await _rename(runtime, "vehicle_messages_seen_away", "vehicle_messages_seen")
        # The gateway reconnects after its back-off and the broker delivers the message again.

        async def stored() -> bool:
            return link.gateway.metrics.count(Result.processed) >= 1

        await eventually(stored, within=WAIT, what="the message delivered again and stored")
    async with runtime.db.transaction() as session:
        values = await vehicle_link_service.twin_values(session, vin=cars["bev"].vin)
    assert link.gateway.metrics.count(Result.processed) == 1
    assert values[SOC][0] == 64.0


async def test_stored_messages_are_acknowledged_and_not_delivered_again(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """The other half: what was stored is acknowledged, so the next connection of the same
    session (a restarted gateway) gets none of it again."""
    cars = {"bev": await make_car(runtime, client, model_code="UX300E")}
    async with runtime.db.transaction() as session:
        entries = await credentials.broker_password_entries(session)
    secret = credentials.gateway_secret(runtime.settings)
    with mosquitto_broker(entries, secret) as (vehicles, address):
        first = Gateway(runtime, address, secret=secret, instance="same")
        second = Gateway(runtime, address, secret=secret, instance="same")
        async with _running(first):
            async with vehicle_client(
                vehicles, vin=cars["bev"].vin, secret=cars["bev"].secret
            ) as unit:
                for index in range(20):
                    payload = {
                        "msg_id": str(uuid.uuid4()),
                        "seq": index + 1,
                        "sent_at": clock.now().isoformat(),
                        "signals": [{"path": SOC, "value": index, "ts": clock.now().isoformat()}],
                    }
                    await unit.publish(
                        topic(cars["bev"].vin, Channel.telemetry), json.dumps(payload), qos=1
                    )

            async def all_stored() -> bool:
                return first.metrics.count(Result.processed) >= 20

            await eventually(all_stored, within=WAIT, what="20 messages stored")
        async with _running(second):
            await asyncio.sleep(1)  # time for the broker to deliver anything it still holds
    assert first.metrics.count(Result.processed) == 20
    assert second.handled == 0


@asynccontextmanager
async def _running(gateway: Gateway) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(gateway.run(stop))
    try:
        await asyncio.wait_for(gateway.connected.wait(), WAIT)
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)
