"""Remote-command round trip: ``door-lock`` through the platform against a bare MQTT round trip.

Usage: ``.venv/bin/python bench/commands.py [--quick] [--mosquitto] [--levels 1,50,200]``

The platform runs in this process as ``serve`` runs it, on a fresh SQLite database: the HTTP app
(called in-process over ASGI), the job worker, the gateway and a command publisher, all on one
broker: the embedded amqtt broker by default, a real Mosquitto (started from its binary as the
tests start it) with ``--mosquitto``. Each car is a simulated telematics unit (``sim``) with its
own MQTT connection, signing key and owner; it answers at once (acknowledged, a status snapshot,
succeeded), exactly as in the end-to-end tests.

* **platform**: the wall time from the ``POST /api/v1/vehicles/{vin}/commands`` call to the
  command's ``completed`` state being committed (seen by a watcher that re-reads the command
  changes after every commit): accept and store, the send job, signing and publishing, the car,
  the gateway storing its three answers, the result jobs.
* **bare**: on the same broker and in the same run, a client with the gateway's credential
  publishes a request of the same size to a car's command topic; a responder connected as that
  car answers on its results topic at once; the time until the answer arrives. The answer is not
  a protocol message, so the platform's gateway drops it as malformed without database work.

At each level N, N commands (to N different cars) start together; rounds repeat that so every
level has enough samples for a p99. The platform's added time is platform minus bare, at p50
and at p99. The last line of output is one line of JSON with the figures and the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiomqtt
import httpx
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.*: the same Mosquitto and registry helpers as the tests

from tests.connected_services.support import ACCEPT_DE, link, make_vehicle  # noqa: E402
from tests.factories import bearer_for, make_owner  # noqa: E402
from tests.services import free_port, mosquitto_server  # noqa: E402

from linkplus.app import build_runtime, create_app  # noqa: E402
from linkplus.config import Settings  # noqa: E402
from linkplus.jobs.worker import Worker  # noqa: E402
from linkplus.kit.clock import SystemClock  # noqa: E402
from linkplus.migrate import upgrade  # noqa: E402
from linkplus.models.remote import RemoteCommandChange  # noqa: E402
from linkplus.remote import signing  # noqa: E402
from linkplus.runtime import Runtime  # noqa: E402
from linkplus.sim.car import SimulatedCar  # noqa: E402
from linkplus.sim.clock import ScaledClock  # noqa: E402
from linkplus.sim.commands import REMOTE_HANDLERS  # noqa: E402
from linkplus.sim.roads import build_network  # noqa: E402
from linkplus.sim.unit import TelematicsUnit  # noqa: E402
from linkplus.vehicle_link import credentials, mosquitto  # noqa: E402
from linkplus.vehicle_link.acl import GATEWAY_USERNAME  # noqa: E402
from linkplus.vehicle_link.broker import EmbeddedBroker  # noqa: E402
from linkplus.vehicle_link.client import (  # noqa: E402
    BrokerAddress,
    MqttVersion,
    gateway_client,
    vehicle_client,
)
from linkplus.vehicle_link.gateway import Gateway  # noqa: E402
from linkplus.vehicle_link.protocol import Channel, topic  # noqa: E402
from linkplus.vehicle_link.publisher import MqttCommandPublisher  # noqa: E402
from linkplus.vehicles.catalogue import catalogue  # noqa: E402

SECRET_KEY = "commands-bench-secret-key-long-enough-for-hs256-signing"  # noqa: S105 - local only
MODEL = "NX450HP"
SEED = 5
BOUND_SECONDS = 120.0  # one round never takes longer; only reached when something is wrong
REQUEST_BYTES = 420  # about a signed door-lock command on the wire
ANSWER_BYTES = 180  # about a command result


@dataclass
class Figures:
    level: int
    samples: int
    platform_p50_ms: float
    platform_p99_ms: float
    bare_p50_ms: float
    bare_p99_ms: float
    added_p50_ms: float
    added_p99_ms: float


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "date": datetime.now(UTC).date().isoformat(),
    }


# --- the platform side ---------------------------------------------------------------------------


class Completions:
    """When each command reached a final state: re-read after every commit, never polled."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.waiting: dict[uuid.UUID, asyncio.Future[tuple[str, float]]] = {}
        self._changed = asyncio.Event()
        self._last = 0
        runtime.db.on_commit(lambda _session: self._changed.set())

    def expect(self, command_id: uuid.UUID) -> asyncio.Future[tuple[str, float]]:
        future: asyncio.Future[tuple[str, float]] = asyncio.get_running_loop().create_future()
        self.waiting[command_id] = future
        self._changed.set()
        return future

    async def watch(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            async with self.runtime.db.sessions() as session:
                rows = (
                    await session.execute(
                        select(
                            RemoteCommandChange.id,
                            RemoteCommandChange.command_id,
                            RemoteCommandChange.state,
                        )
                        .where(RemoteCommandChange.id > self._last)
                        .where(RemoteCommandChange.state.in_(("completed", "failed", "expired")))
                        .order_by(RemoteCommandChange.id)
                    )
                ).all()
            seen = time.perf_counter()
            for change_id, command_id, state in rows:
                self._last = max(self._last, change_id)
                future = self.waiting.pop(command_id, None)
                if future is not None and not future.done():
                    future.set_result((state, seen))


@dataclass
class Car:
    vin: str
    secret: str
    headers: dict[str, str]
    unit: TelematicsUnit | None = None


async def register(runtime: Runtime, http: httpx.AsyncClient, count: int) -> list[Car]:
    """``count`` cars, each with its own primary owner and active services."""
    cars = []
    for index in range(count):
        person = await make_owner(runtime, email=f"bench.{index}@example.com")
        vin = await make_vehicle(runtime, model_code=MODEL, market="BE")
        await link(runtime, person, vin, primary=True)
        headers = await bearer_for(runtime, person)
        activated = await http.post(
            f"/api/v1/vehicles/{vin}/services/activate", json={"accept": ACCEPT_DE}, headers=headers
        )
        if activated.status_code != 200:
            raise RuntimeError(f"activation failed: {activated.text}")
        async with runtime.db.transaction() as session:
            secret = await credentials.provision(session, vin=vin, now=runtime.clock.now())
        cars.append(Car(vin, secret, headers))
    return cars


async def responders(runtime: Runtime, count: int) -> list[Car]:
    """Cars of their own for the bare round trip: registered and provisioned, nothing else (a
    responder never shares a client id, and so a session, with a simulated unit)."""
    cars = []
    for _ in range(count):
        vin = await make_vehicle(runtime, model_code=MODEL, market="BE")
        async with runtime.db.transaction() as session:
            secret = await credentials.provision(session, vin=vin, now=runtime.clock.now())
        cars.append(Car(vin, secret, {}))
    return cars


def simulated_units(
    cars: list[Car], address: BrokerAddress, settings: Settings
) -> list[TelematicsUnit]:
    network = build_network(SEED)
    now = datetime.now(UTC)
    clock = ScaledClock(now, 1.0)
    units = []
    for car in cars:
        simulated = SimulatedCar.create(
            vin=car.vin, model=catalogue().models[MODEL], network=network, seed=SEED, start=now
        )
        simulated.state.close_everything()
        simulated.state.smart_key_inside = False
        unit = TelematicsUnit(
            simulated,
            secret=car.secret,
            address=address,
            clock=clock,
            handlers=REMOTE_HANDLERS,
            plan=[],
            command_key=signing.command_key(settings, car.vin),
        )
        unit.send_status(now)
        car.unit = unit
        units.append(unit)
    return units


async def platform_round(
    http: httpx.AsyncClient, completions: Completions, cars: list[Car]
) -> list[float]:
    async def one(car: Car) -> float:
        started = time.perf_counter()
        answer = await http.post(
            f"/api/v1/vehicles/{car.vin}/commands", json={"type": "door-lock"}, headers=car.headers
        )
        if answer.status_code != 202:
            raise RuntimeError(f"the platform refused: {answer.text}")
        state, finished = await completions.expect(uuid.UUID(answer.json()["id"]))
        if state != "completed":
            raise RuntimeError(f"a door-lock ended {state}")
        return finished - started

    async with asyncio.timeout(BOUND_SECONDS):
        return list(await asyncio.gather(*(one(car) for car in cars)))


# --- the bare side -------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def bare_link(
    address: BrokerAddress, gateway_address: BrokerAddress, gateway_secret: str, cars: list[Car]
) -> AsyncIterator[Any]:
    """Responders connected as the cars (on the command topic only), and a requester."""
    waiting: dict[str, asyncio.Future[float]] = {}
    request = b"r" * REQUEST_BYTES
    answer = b"a" * ANSWER_BYTES

    async def respond(car: Car, ready: asyncio.Event) -> None:
        async with vehicle_client(address, vin=car.vin, secret=car.secret) as client:
            await client.subscribe(topic(car.vin, Channel.commands), qos=1)
            ready.set()
            async for _ in client.messages:
                await client.publish(topic(car.vin, Channel.command_results), answer, qos=1)

    async def collect(client: aiomqtt.Client) -> None:
        async for message in client.messages:
            vin = str(message.topic).split("/")[2]
            future = waiting.pop(vin, None)
            if future is not None and not future.done():
                future.set_result(time.perf_counter())

    async with gateway_client(
        gateway_address, secret=gateway_secret, instance=f"bare{uuid.uuid4().hex[:6]}"
    ) as requester:
        for car in cars:
            await requester.subscribe(topic(car.vin, Channel.command_results), qos=1)
        collector = asyncio.create_task(collect(requester))
        readies = [asyncio.Event() for _ in cars]
        tasks = [asyncio.create_task(respond(c, r)) for c, r in zip(cars, readies, strict=True)]
        try:
            async with asyncio.timeout(BOUND_SECONDS):
                await asyncio.gather(*(ready.wait() for ready in readies))

            async def round_(chosen: list[Car]) -> list[float]:
                async def one(car: Car) -> float:
                    future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
                    waiting[car.vin] = future
                    started = time.perf_counter()
                    await requester.publish(topic(car.vin, Channel.commands), request, qos=1)
                    return await future - started

                async with asyncio.timeout(BOUND_SECONDS):
                    return list(await asyncio.gather(*(one(car) for car in chosen)))

            yield {"round": round_}
        finally:
            for task in [*tasks, collector]:
                task.cancel()
            await asyncio.gather(*tasks, collector, return_exceptions=True)


# --- brokers -------------------------------------------------------------------------------------


@contextlib.contextmanager
def mosquitto_broker(
    entries: list[tuple[str, str]], gateway_secret: str
) -> Iterator[tuple[BrokerAddress, BrokerAddress]]:
    def configure(directory: Path, ports: list[int]) -> Path:
        return mosquitto.write_setup(
            directory,
            vehicles=mosquitto.Listener(ports[0]),
            gateway=mosquitto.Listener(ports[1]),
            gateway_username=GATEWAY_USERNAME,
            gateway_secret=gateway_secret,
            vehicle_entries=entries,
            persistence=False,
        ).config

    with mosquitto_server(configure, listeners=2) as server:
        yield (
            BrokerAddress(server.host, server.ports[0], MqttVersion.v5),
            BrokerAddress(server.host, server.ports[1], MqttVersion.v5),
        )


# --- the run -------------------------------------------------------------------------------------


def rounds_for(level: int, quick: bool) -> int:
    wanted = 40 if quick else 400  # samples per level, at least one round
    return max(1, -(-wanted // level))


async def measure(
    runtime: Runtime,
    http: httpx.AsyncClient,
    cars: list[Car],
    vehicles: BrokerAddress,
    gateway_address: BrokerAddress,
    gateway_secret: str,
    levels: list[int],
    quick: bool,
    bare_cars: list[Car],
) -> list[Figures]:
    settings = runtime.settings
    completions = Completions(runtime)
    stop = asyncio.Event()
    gateway = Gateway(runtime, gateway_address, secret=gateway_secret, instance="bench")
    publisher = MqttCommandPublisher(gateway_address, secret=gateway_secret, instance="bench.cmd")
    runtime.vehicle_link = publisher
    tasks = [
        asyncio.create_task(gateway.run(stop)),
        asyncio.create_task(Worker(runtime, name="bench").run_forever(stop)),
        asyncio.create_task(completions.watch()),
    ]
    figures = []
    try:
        async with asyncio.timeout(BOUND_SECONDS):
            await gateway.connected.wait()
        units = simulated_units(cars, vehicles, settings)
        tasks += [asyncio.create_task(unit.run(stop)) for unit in units]
        async with asyncio.timeout(BOUND_SECONDS):
            while not all(unit.connected and not unit.buffered for unit in units):  # noqa: ASYNC110
                await asyncio.sleep(0.01)  # connecting and sending the first status
        for level in levels:
            chosen = cars[:level]
            await platform_round(http, completions, chosen)  # warm-up
            platform_ms: list[float] = []
            bare_ms: list[float] = []
            rounds = rounds_for(level, quick)
            for _ in range(rounds):
                platform_ms += [s * 1000 for s in await platform_round(http, completions, chosen)]
            bare_link_ = bare_link(vehicles, gateway_address, gateway_secret, bare_cars[:level])
            async with bare_link_ as bare:
                await bare["round"](bare_cars[:level])  # warm-up
                for _ in range(rounds):
                    bare_ms += [s * 1000 for s in await bare["round"](bare_cars[:level])]
            row = Figures(
                level=level,
                samples=len(platform_ms),
                platform_p50_ms=round(statistics.median(platform_ms), 2),
                platform_p99_ms=round(percentile(platform_ms, 0.99), 2),
                bare_p50_ms=round(statistics.median(bare_ms), 2),
                bare_p99_ms=round(percentile(bare_ms, 0.99), 2),
                added_p50_ms=round(statistics.median(platform_ms) - statistics.median(bare_ms), 2),
                added_p99_ms=round(percentile(platform_ms, 0.99) - percentile(bare_ms, 0.99), 2),
            )
            figures.append(row)
            print(
                f"{level:>4} concurrent  platform p50 {row.platform_p50_ms:7.2f} ms "
                f"p99 {row.platform_p99_ms:7.2f} ms   bare p50 {row.bare_p50_ms:6.2f} ms "
                f"p99 {row.bare_p99_ms:6.2f} ms   added p50 {row.added_p50_ms:7.2f} ms "
                f"p99 {row.added_p99_ms:7.2f} ms  ({row.samples} samples)",
                flush=True,
            )
    finally:
        stop.set()
        tasks[2].cancel()  # the completions watcher
        await asyncio.gather(*tasks, return_exceptions=True)
        await publisher.close()
        runtime.vehicle_link = None
    return figures


def _quiet_disconnects(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A unit stopped between rounds leaves aiomqtt futures with a disconnection error; that is
    the end of the connection, not a failure of the run."""
    if isinstance(context.get("exception"), aiomqtt.MqttError):
        return
    loop.default_exception_handler(context)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    asyncio.get_running_loop().set_exception_handler(_quiet_disconnects)
    logging.getLogger("mqtt").setLevel(logging.ERROR)  # "pending publish calls" at 200 at once
    levels = [int(level) for level in args.levels.split(",")]
    work = Path(tempfile.mkdtemp(prefix="linkplus-commands-"))
    url = f"sqlite+aiosqlite:///{work / 'bench.db'}"
    upgrade(url)
    settings = Settings(
        data_dir=work,
        database_url=url,
        secret_key=SECRET_KEY,
        public_url="http://bench.invalid",
        smtp_url=None,
        worker_enabled=False,
        gateway_enabled=False,
        # Every owner sends one command at a time, many times over: the per-car and per-account
        # limits protect cars from people, not the benchmark from itself.
        command_rate_per_vehicle=1_000_000,
        command_rate_per_account=1_000_000,
        # At 200 at once the worker takes longer than the default 60 s expiry on this machine:
        # measure how long, rather than let commands expire.
        command_expiry_seconds=600,
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        argon2_parallelism=1,
        log_json=True,
        log_level="ERROR",
    )
    runtime = build_runtime(settings, clock=SystemClock())
    app = create_app(runtime, run_worker=False, run_gateway=False)
    secret = credentials.gateway_secret(settings)
    started = time.perf_counter()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench.invalid"
        ) as http:
            cars = await register(runtime, http, max(levels))
            bare_cars = await responders(runtime, max(levels))
            if args.mosquitto:
                async with runtime.db.transaction() as session:
                    entries = await credentials.broker_password_entries(session)
                with mosquitto_broker(entries, secret) as (vehicles, gateway_address):
                    figures = await measure(
                        runtime,
                        http,
                        cars,
                        vehicles,
                        gateway_address,
                        secret,
                        levels,
                        args.quick,
                        bare_cars,
                    )
            else:
                broker = EmbeddedBroker(runtime.db, gateway_secret=secret, port=free_port())
                async with broker:
                    figures = await measure(
                        runtime,
                        http,
                        cars,
                        broker.address,
                        broker.address,
                        secret,
                        levels,
                        args.quick,
                        bare_cars,
                    )
    finally:
        await runtime.db.dispose()
    return {
        "bench": "commands",
        "quick": args.quick,
        "broker": "mosquitto" if args.mosquitto else "embedded-amqtt",
        "database": "sqlite",
        "command": "door-lock",
        "results": [asdict(row) for row in figures],
        "seconds": round(time.perf_counter() - started, 1),
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Under a minute: fewer rounds.")
    parser.add_argument("--mosquitto", action="store_true", help="Use a real Mosquitto broker.")
    parser.add_argument("--levels", default="1,50,200", help="Concurrent commands per level.")
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    print(json.dumps(result, separators=(",", ":")))


if __name__ == "__main__":
    main()
