"""A fleet of simulated telematics units on one broker, measured.

Used by ``tests/sim/test_fleet_load.py`` (a couple of hundred cars, with bounds) and by
``bench/fleet.py`` (a thousand and more). Each unit is the product's ``sim.unit.TelematicsUnit``
with its own credential and MQTT connection; on the other side a client signed in as the gateway
counts what arrives and sends the commands, so the figures are the broker's and the units', not
the database's.

Three phases, one after the other:

* **connect**: every unit started at once with one status queued; until every unit is connected
  and the watcher has every first status (the broker checks each unit's credential: a salted
  SHA-256 on the embedded broker, PBKDF2 in Mosquitto);
* **telemetry**: every unit queues ``statuses`` more status messages (all of its signals each);
  until the watcher has them all;
* **commands**: one ``refresh`` to every car at once; per command, from its publication to the
  arrival of the car's ``succeeded`` result (the car sends a status first, then the result).
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from linkplus.models.telematics import TelematicsCredential
from linkplus.models.vehicles import Vehicle
from linkplus.protocol.vehicle import (
    COMMAND_REFRESH,
    Channel,
    Command,
    CommandResult,
    CommandStatus,
    Telemetry,
    encode,
    parse,
    subscription,
    topic,
)
from linkplus.runtime import Runtime
from linkplus.sim.car import SimulatedCar
from linkplus.sim.clock import ScaledClock
from linkplus.sim.roads import build_network
from linkplus.sim.unit import TelematicsUnit
from linkplus.vehicle_link import credentials, mosquitto
from linkplus.vehicle_link.client import BrokerAddress, gateway_client
from linkplus.vehicles.catalogue import catalogue

SEED = 11
MODEL = "NX450HP"


@dataclass(frozen=True)
class FleetFigures:
    cars: int
    connect_s: float
    telemetry_messages: int
    telemetry_s: float
    telemetry_msg_per_s: float
    commands: int
    command_p50_ms: float
    command_p99_ms: float
    command_all_s: float
    connections: int  # MQTT connections the units made; above ``cars``: lost or refused ones


def fleet_vin(index: int) -> str:
    return f"LPFLT{index:012d}"


async def provision_fleet(runtime: Runtime, count: int) -> list[tuple[str, str]]:
    """``count`` registered cars with units, as ``(VIN, secret)``. They share one secret, hashed
    once, so that setting up a thousand cars takes seconds; the broker still checks each unit's
    credential on its own when it connects."""
    secret = credentials.new_secret()
    secret_hash = await asyncio.to_thread(credentials.hash_secret, secret)
    broker_hash = await asyncio.to_thread(mosquitto.password_hash, secret)
    now = runtime.clock.now()
    vins = [fleet_vin(index) for index in range(count)]
    async with runtime.db.transaction() as session:
        session.add_all(
            Vehicle(
                vin=vin,
                model_code=MODEL,
                model_year=2026,
                market="DE",
                multimedia="MMI3",
                first_delivery_date=None,
                registration_plate=None,
                plate_key=None,
                telematics_unit=True,
                head_unit_public_key=None,
                odometer_km=None,
                odometer_reported_at=None,
                created_at=now,
                updated_at=now,
            )
            for vin in vins
        )
        await session.flush()
        session.add_all(
            TelematicsCredential(
                vin=vin,
                secret_hash=secret_hash,
                broker_hash=broker_hash,
                created_at=now,
                rotated_at=None,
            )
            for vin in vins
        )
    return [(vin, secret) for vin in vins]


class Watcher:
    """The gateway's side: counts telemetry, notes when each command's result arrived."""

    def __init__(self) -> None:
        self.telemetry = 0
        self.results: dict[uuid.UUID, float] = {}
        self.refused: list[CommandResult] = []

    def take(self, topic_name: str, payload: bytes) -> None:
        message = parse(topic_name, payload).message
        if isinstance(message, Telemetry):
            self.telemetry += 1
        elif isinstance(message, CommandResult):
            if message.status is CommandStatus.succeeded:
                self.results.setdefault(message.command_id, time.perf_counter())
            elif message.status is not CommandStatus.acknowledged:
                self.refused.append(message)


async def until(predicate: Callable[[], bool], bound: float, what: str) -> None:
    try:
        async with asyncio.timeout(bound):
            # Polls counters that the units and the watcher move; bounded.
            while not predicate():  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"{what}: not done within {bound:.0f} s") from None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


async def run_fleet(
    cars: list[tuple[str, str]],
    vehicles: BrokerAddress,
    gateway: BrokerAddress,
    gateway_secret: str,
    *,
    statuses: int,
    bound: float,
) -> FleetFigures:
    """Connect every car, send telemetry, answer a command each; ``bound`` seconds per phase."""
    now = datetime.now(UTC)
    clock = ScaledClock(now, 1.0)
    network = build_network(SEED)
    model = catalogue().models[MODEL]
    units = [
        TelematicsUnit(
            SimulatedCar.create(vin=vin, model=model, network=network, seed=SEED, start=now),
            secret=secret,
            address=vehicles,
            clock=clock,
            plan=[],
        )
        for vin, secret in cars
    ]
    count = len(units)
    watcher = Watcher()
    stop = asyncio.Event()
    async with gateway_client(gateway, secret=gateway_secret, instance="fleet") as client:
        for channel in (Channel.telemetry, Channel.events, Channel.command_results):
            await client.subscribe(subscription(channel), qos=1)

        async def listen() -> None:
            async for message in client.messages:
                assert isinstance(message.payload, bytes)
                watcher.take(str(message.topic), message.payload)

        listener = asyncio.create_task(listen())
        tasks: list[asyncio.Task[None]] = []
        try:
            for unit in units:
                unit.send_status(clock.now())
            started = time.perf_counter()
            tasks = [asyncio.create_task(unit.run(stop)) for unit in units]
            await until(
                lambda: watcher.telemetry >= count and all(u.connected for u in units),
                bound,
                f"{count} units connecting",
            )
            connect_s = time.perf_counter() - started

            base = watcher.telemetry
            started = time.perf_counter()
            for _ in range(statuses):
                for unit in units:
                    unit.send_status(clock.now())
            await until(
                lambda: watcher.telemetry >= base + count * statuses,
                bound,
                f"{count * statuses} telemetry messages",
            )
            telemetry_s = time.perf_counter() - started

            sent: dict[uuid.UUID, float] = {}

            async def command(vin: str) -> None:
                at = clock.now()
                order = Command(
                    msg_id=uuid.uuid4(),
                    sent_at=at,
                    expires_at=at + timedelta(minutes=10),
                    type=COMMAND_REFRESH,
                )
                sent[order.msg_id] = time.perf_counter()
                await client.publish(topic(vin, Channel.commands), encode(order), qos=1)

            started = time.perf_counter()
            await asyncio.gather(*(command(vin) for vin, _ in cars))
            await until(
                lambda: all(key in watcher.results for key in sent),
                bound,
                f"{count} commands answered",
            )
            commands_s = time.perf_counter() - started
            assert not watcher.refused, watcher.refused[:3]
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
    trips = [(watcher.results[key] - at) * 1000 for key, at in sent.items()]
    return FleetFigures(
        cars=count,
        connect_s=round(connect_s, 2),
        telemetry_messages=count * statuses,
        telemetry_s=round(telemetry_s, 2),
        telemetry_msg_per_s=round(count * statuses / telemetry_s, 1),
        commands=len(trips),
        command_p50_ms=round(statistics.median(trips), 1),
        command_p99_ms=round(percentile(trips, 0.99), 1),
        command_all_s=round(commands_s, 2),
        connections=sum(unit.stats.connections for unit in units),
    )
