"""Telemetry survives ``kill -9`` of ``linkplus serve`` in the middle of storing it.

Cars publish at QoS 1 to an external Mosquitto, which outlives the killed process. The gateway's
persistent session is in place before ``serve`` starts, and a backlog waits in it: the broker
hands the whole backlog over as soon as the gateway connects, so at the kill (once part of it is
stored) most of it is in the gateway's hands, read but not yet stored. Cars keep publishing
throughout, also while the process is dead. After a restart every message the broker accepted
from a car must be stored exactly once.

A gateway that acknowledged messages to the broker on receipt, before committing them, loses
what it held at the kill (the broker never delivers an acknowledged message again): this test
then finds them missing.
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
from linkplus.vehicle_link import credentials
from linkplus.vehicle_link.client import BrokerAddress, vehicle_client
from tests.crash.support import Reader, ServeProcess, eventually, open_gateway_session, reader
from tests.vehicle_link.support import Car, make_car, mosquitto_broker

CARS = 6
BACKLOG_PER_CAR = 400  # waiting in the broker when the gateway connects
STREAM_PAUSE = 0.05  # seconds between a car's messages while the process runs, dies, returns
IN_FLIGHT_PER_CAR = 8  # aiomqtt warns above 10 unacknowledged publishes
KILL_AFTER_STORED = 150  # of the backlog: the kill lands while most of it is in flight
PATH = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"  # kept in the history
SEEN = "SELECT msg_id FROM vehicle_messages_seen"
SEEN_COUNT = "SELECT count(*) FROM vehicle_messages_seen"
HISTORY = "SELECT vin, ts FROM vehicle_signal_history WHERE path = :path"


@dataclass
class Accepted:
    """What the broker acknowledged to the cars: (VIN, reading time) per msg_id."""

    messages: dict[uuid.UUID, tuple[str, datetime]] = field(default_factory=dict)


async def _publish(
    address: BrokerAddress,
    car: Car,
    accepted: Accepted,
    *,
    base: datetime,
    first: int,
    count: int,
    pause: float = 0.0,
    stop: asyncio.Event | None = None,
) -> None:
    """``count`` telemetry messages from ``car``, numbered from ``first``; with ``stop``, one
    at a time, ``pause`` apart, until ``stop`` is set."""
    gate = asyncio.Semaphore(IN_FLIGHT_PER_CAR)

    async def one(index: int) -> None:
        async with gate:
            msg_id = uuid.uuid4()
            # Each reading its own time: one history row per message, so a message stored
            # twice or not at all shows in the row count.
            ts = base + timedelta(milliseconds=index)
            payload = {
                "msg_id": str(msg_id),
                "seq": index,
                "sent_at": ts.isoformat(),
                "signals": [{"path": PATH, "value": index % 100, "ts": ts.isoformat()}],
            }
            await mqtt.publish(topic(car.vin, Channel.telemetry), json.dumps(payload), qos=1)
            accepted.messages[msg_id] = (car.vin, ts)  # the broker's PUBACK came back
            await asyncio.sleep(pause)

    async with vehicle_client(address, vin=car.vin, secret=car.secret) as mqtt:
        if stop is None:
            await asyncio.gather(*(one(i) for i in range(first, first + count)))
            return
        index = first
        while not stop.is_set():
            await one(index)
            index += 1


async def _stored(read: Reader) -> tuple[set[uuid.UUID], dict[tuple[str, datetime], int]]:
    """Message ids the gateway recorded as seen, and history rows per (VIN, reading time)."""
    seen = {uuid.UUID(str(msg_id)) for (msg_id,) in await read.rows(SEEN)}
    history: dict[tuple[str, datetime], int] = {}
    for vin, ts in await read.rows(HISTORY, path=PATH):
        moment = ts if isinstance(ts, datetime) else datetime.fromisoformat(str(ts))
        key = (vin, moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment)
        history[key] = history.get(key, 0) + 1
    return seen, history


async def test_no_message_the_broker_accepted_is_lost_or_doubled_by_kill_9(
    runtime: Runtime, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    cars = [await make_car(runtime, client, model_code="UX300E", active=False) for _ in range(CARS)]
    async with runtime.db.transaction() as session:
        entries = await credentials.broker_password_entries(session)
    secret = credentials.gateway_secret(runtime.settings)
    with mosquitto_broker(entries, secret) as (vehicles, gateway):
        serve = ServeProcess(
            tmp_path,
            runtime.settings.resolved_database_url,
            secret_key=runtime.settings.resolved_secret_key,
            mqtt_url=f"mqtt://{gateway.host}:{gateway.port}",
            worker_enabled="false",
        )
        await open_gateway_session(gateway, secret)
        async with reader(runtime.settings.resolved_database_url) as read:
            try:
                accepted, at_kill = await _kill_mid_backlog(serve, read, vehicles, cars)
                seen, history = await _stored(read)
            finally:
                serve.stop()
    missing = set(accepted.messages) - seen
    assert not missing, (
        f"{len(missing)} of {len(accepted.messages)} messages the broker accepted are not "
        f"stored ({at_kill} were stored at the kill); the process said:\n{serve.log()[-3000:]}"
    )
    expected = {(vin, ts) for vin, ts in accepted.messages.values()}
    assert {key: n for key, n in history.items() if key in expected} == dict.fromkeys(expected, 1)


async def _kill_mid_backlog(
    serve: ServeProcess, read: Reader, vehicles: BrokerAddress, cars: list[Car]
) -> tuple[Accepted, int]:
    """Backlog, start, kill once part of it is stored, start again with the cars still
    publishing; returns what the broker accepted once everything is stored (or 30 s passed)
    and how much was stored at the kill."""
    accepted = Accepted()
    base = datetime.now(UTC) - timedelta(hours=1)
    await asyncio.gather(
        *(
            _publish(vehicles, car, accepted, base=base, first=1, count=BACKLOG_PER_CAR)
            for car in cars
        )
    )
    assert len(accepted.messages) == CARS * BACKLOG_PER_CAR
    stop = asyncio.Event()
    stream = asyncio.gather(
        *(
            _publish(
                vehicles,
                car,
                accepted,
                base=base,
                first=BACKLOG_PER_CAR + 1,
                count=0,
                pause=STREAM_PAUSE,
                stop=stop,
            )
            for car in cars
        )
    )
    await serve.start()

    async def part_stored() -> bool:
        return int(await read.value(SEEN_COUNT)) >= KILL_AFTER_STORED

    await eventually(part_stored, within=30, what="the gateway storing the backlog", every=0.02)
    serve.kill()
    at_kill = int(await read.value(SEEN_COUNT))
    assert at_kill < CARS * BACKLOG_PER_CAR, "the kill came after the backlog was stored"
    streamed_at_kill = len(accepted.messages)
    await serve.start()
    await asyncio.sleep(1)  # the cars keep publishing to the process that came back
    stop.set()
    await stream
    assert streamed_at_kill < len(accepted.messages), "no car published after the kill"

    async def all_stored() -> bool:
        return set(accepted.messages) <= (await _stored(read))[0]

    with contextlib.suppress(AssertionError):  # what is missing is reported by the test
        await eventually(all_stored, within=30, what="every accepted message stored", every=0.3)
    duplicates = await serve.metric("linkplus_gateway_messages_total", 'result="duplicate"')
    # Evidence, shown with -s: redelivered messages the restarted gateway had stored already.
    print(f"stored at the kill: {at_kill}; duplicates after the restart: {duplicates:.0f}")
    return accepted, at_kill
