"""Emergency events survive ``kill -9`` of ``linkplus serve`` between receiving and storing them.

Cars publish SOS attempts at QoS 1 to an external Mosquitto, which outlives the killed process;
a backlog waits in the gateway's persistent session, so at the kill most of it is in the
gateway's hands, read but not stored. After the restart each car also sends every attempt again
(a unit that is not sure its message arrived sends the very same one). Every attempt the broker
accepted must then be stored exactly once, with one case per incident.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from linkplus.protocol.vehicle import Channel, topic
from linkplus.runtime import Runtime
from linkplus.safety import msd
from linkplus.vehicle_link import credentials
from linkplus.vehicle_link.client import BrokerAddress, vehicle_client
from tests.crash.support import Reader, ServeProcess, eventually, open_gateway_session, reader
from tests.vehicle_link.support import Car, make_car, mosquitto_broker

CARS = 4
INCIDENTS_PER_CAR = 150
KILL_AFTER_STORED = 20
BATCH = 8
ATTEMPTS = "SELECT msg_id FROM safety_attempts"
ATTEMPT_COUNT = "SELECT count(*) FROM safety_attempts"
CASES = "SELECT incident_id, count(*) FROM safety_cases GROUP BY incident_id"


@dataclass
class Sent:
    """Per attempt the broker acknowledged: its payload (to send again) and its incident."""

    payloads: dict[uuid.UUID, tuple[Car, bytes, uuid.UUID]] = field(default_factory=dict)


def _attempt(car: Car, index: int, at: datetime) -> tuple[uuid.UUID, uuid.UUID, bytes]:
    data = msd.MinimumSetOfData(
        message_id=1,
        activation=msd.Activation.manual,
        test_call=False,
        position_trusted=True,
        vehicle_type=msd.VehicleType.passenger_m1,
        vin=car.vin,
        propulsion=frozenset({msd.Propulsion.electric}),
        timestamp=at.replace(microsecond=0),
        position=msd.Position(latitude=50.85, longitude=4.35),
        direction_deg=90,
        previous=(),
        passengers=1,
    )
    msg_id, incident = uuid.uuid4(), uuid.uuid4()
    payload = {
        "msg_id": str(msg_id),
        "seq": index,
        "sent_at": at.isoformat(),
        "occurred_at": at.isoformat(),
        "type": "emergency_button",
        "incident_id": str(incident),
        "attempt": 1,
        "call": "connected",
        "msd": msd.to_text(msd.encode(data)),
    }
    return msg_id, incident, json.dumps(payload).encode()


async def _publish_backlog(address: BrokerAddress, car: Car, sent: Sent, base: datetime) -> None:
    async with vehicle_client(address, vin=car.vin, secret=car.secret) as mqtt:
        for index in range(1, INCIDENTS_PER_CAR + 1):
            msg_id, incident, payload = _attempt(car, index, base + timedelta(seconds=index))
            await mqtt.publish(topic(car.vin, Channel.events), payload, qos=1)
            sent.payloads[msg_id] = (car, payload, incident)  # the broker's PUBACK came back


async def _send_again(address: BrokerAddress, car: Car, sent: Sent) -> None:
    async with vehicle_client(address, vin=car.vin, secret=car.secret) as mqtt:
        for owner, payload, _ in list(sent.payloads.values()):
            if owner is car:
                await mqtt.publish(topic(car.vin, Channel.events), payload, qos=1)


async def _stored(read: Reader) -> tuple[list[uuid.UUID], dict[uuid.UUID, int]]:
    attempts = [uuid.UUID(str(msg_id)) for (msg_id,) in await read.rows(ATTEMPTS)]
    cases = {uuid.UUID(str(incident)): int(n) for incident, n in await read.rows(CASES)}
    return attempts, cases


async def test_no_emergency_attempt_is_lost_or_doubled_by_kill_9_and_the_cars_retry(
    runtime: Runtime, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    cars = [await make_car(runtime, client, model_code="UX300E") for _ in range(CARS)]
    async with runtime.db.transaction() as session:
        entries = await credentials.broker_password_entries(session)
    secret = credentials.gateway_secret(runtime.settings)
    sent = Sent()
    with mosquitto_broker(entries, secret) as (vehicles, gateway):
        serve = ServeProcess(
            tmp_path,
            runtime.settings.resolved_database_url,
            secret_key=runtime.settings.resolved_secret_key,
            mqtt_url=f"mqtt://{gateway.host}:{gateway.port}",
            worker_enabled="false",
            gateway_batch_size=str(BATCH),  # small batches: the kill lands between two
        )
        await open_gateway_session(gateway, secret)
        async with reader(runtime.settings.resolved_database_url) as read:
            try:
                base = datetime.now(UTC) - timedelta(hours=1)
                await asyncio.gather(*(_publish_backlog(vehicles, c, sent, base) for c in cars))
                assert len(sent.payloads) == CARS * INCIDENTS_PER_CAR
                await serve.start()

                async def part_stored() -> bool:
                    return int(await read.value(ATTEMPT_COUNT)) >= KILL_AFTER_STORED

                await eventually(part_stored, within=60, what="some attempts stored", every=0.02)
                serve.kill()
                at_kill = int(await read.value(ATTEMPT_COUNT))
                assert at_kill < len(sent.payloads), "the kill came after everything was stored"
                print(f"attempts stored at the kill: {at_kill} of {len(sent.payloads)}")
                await serve.start()
                await asyncio.gather(*(_send_again(vehicles, c, sent) for c in cars))

                async def all_stored() -> bool:
                    attempts, _ = await _stored(read)
                    return set(sent.payloads) <= set(attempts)

                with contextlib.suppress(AssertionError):  # the asserts below say what is wrong
                    await eventually(all_stored, within=60, what="every attempt stored", every=0.3)
                await asyncio.sleep(1)  # the cars' copies are all handled by now, or late
                attempts, cases = await _stored(read)
            finally:
                serve.stop()
    missing = set(sent.payloads) - set(attempts)
    assert not missing, f"{len(missing)} accepted attempts not stored ({at_kill} at the kill)"
    assert len(attempts) == len(set(attempts)) == len(sent.payloads)
    incidents = {incident for _, _, incident in sent.payloads.values()}
    assert cases == dict.fromkeys(incidents, 1)
