"""Remote-command round trip: ``door-lock`` through the platform against a bare MQTT round trip.

Usage: ``.venv/bin/python bench/commands.py [--quick] [--mosquitto] [--postgres]
[--levels 1,50,200]``

The platform runs in this process as ``serve`` runs it, on a fresh database (SQLite in a
temporary directory, or with ``--postgres`` a real PostgreSQL started from its binaries as the
tests start it): the HTTP app (called in-process over ASGI), the job worker, the gateway and a
command publisher, all on one broker: the embedded amqtt broker by default, a real Mosquitto
(started from its binary as the tests start it) with ``--mosquitto``. Each car is a simulated
telematics unit (``sim``) with its own MQTT connection, signing key and owner; it answers at once
(acknowledged, a status snapshot, succeeded), exactly as in the end-to-end tests.

* **platform**: the wall time from the ``POST /api/v1/vehicles/{vin}/commands`` call to the
  commit of the transaction that wrote the command's ``completed`` state (read from the
  committed session by an after-commit listener, so the bench adds no query of its own): the
  request storing the command, then signing and publishing it, the car, and the gateway storing
  the car's answers and moving the command in the same transaction.
* **bare**: on the same broker and in the same run, a client with the gateway's credential
  publishes a request of the same size to a car's command topic; a responder connected as that
  car answers on its results topic at once; the time until the answer arrives. The answer is not
  a protocol message, so the platform's gateway drops it as malformed without database work.

At each level N, N commands (to N different cars) start together; rounds repeat that so every
level has enough samples for a p99. The platform's added time is platform minus bare, at p50
and at p99, and the ratio is platform over bare. The last line of output is one line of JSON
with the figures and the machine.
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
import asyncpg
import httpx
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.*: the same Mosquitto and registry helpers as the tests

from tests.connected_services.support import ACCEPT_DE, link, make_vehicle  # noqa: E402
from tests.servers import free_port, mosquitto_server, postgres_server  # noqa: E402
from tests.support import bearer_for, make_owner  # noqa: E402

from linkplus.app import create_app  # noqa: E402
from linkplus.bootstrap import build_runtime  # noqa: E402
from linkplus.config import Settings  # noqa: E402
from linkplus.jobs.worker import Worker  # noqa: E402
from linkplus.kit.clock import SystemClock  # noqa: E402
from linkplus.migrate import upgrade  # noqa: E402
from linkplus.models.remote import RemoteCommand  # noqa: E402
from linkplus.protocol.vehicle import Channel, topic  # noqa: E402
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
    connected,
    gateway_client,
    vehicle_client,
)
from linkplus.vehicle_link.gateway import Gateway  # noqa: E402
from linkplus.vehicle_link.publisher import MqttCommandPublisher  # noqa: E402
from linkplus.vehicles.catalogue import catalogue  # noqa: E402

SECRET_KEY = "commands-bench-secret-key-long-enough-for-hs256-signing"  # noqa: S105 - local only
MODEL = "NX450HP"
SEED = 5
BOUND_SECONDS = 120.0  # one round never takes longer; only reached when something is wrong
REQUEST_BYTES = 420  # about a signed door-lock command on the wire
ANSWER_BYTES = 180  # about a command result
FINAL_STATES = ("completed", "failed", "expired")


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
    # Platform over bare, at p50 and p99 (issue 16's aims at 50 concurrent: at most 3 and 5).
    p50_ratio: float
    p99_ratio: float
    # Medians from the command rows' own timestamps (the platform's clock at the start of each
    # transaction): accepted -> sent is storing it and opening the publishing transaction;
    # sent -> finished is publishing, the car, and the gateway taking up the car's answers.
    accepted_to_sent_p50_ms: float
    sent_to_finished_p50_ms: float
    # This process's CPU time (all threads) over the measured platform rounds, per command: the
    # platform's work, the simulated cars' and, on the embedded broker, the broker's.
    cpu_ms_per_command: float


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
    """When each command reached a final state: the moment the transaction that wrote it
    committed. Commands flushed in a final state are noted on their session (an ORM flush
    listener) and resolved by an after-commit listener, so the bench adds no query of its own."""

    NOTE = "bench.finished_commands"

    def __init__(self, runtime: Runtime) -> None:
        self.waiting: dict[uuid.UUID, asyncio.Future[tuple[str, float]]] = {}
        self.early: dict[uuid.UUID, tuple[str, float]] = {}
        event.listen(Session, "after_flush", self._flushed)
        runtime.db.on_commit(self._committed)

    def _flushed(self, session: Session, _context: Any) -> None:
        for row in session.dirty:
            if isinstance(row, RemoteCommand) and row.state in FINAL_STATES:
                session.info.setdefault(self.NOTE, {})[row.id] = row.state

    def _committed(self, session: AsyncSession) -> None:
        seen = time.perf_counter()
        for command_id, state in session.info.pop(self.NOTE, {}).items():
            future = self.waiting.pop(command_id, None)
            if future is None:
                self.early[command_id] = (state, seen)
            elif not future.done():
                future.set_result((state, seen))

    def close(self) -> None:
        event.remove(Session, "after_flush", self._flushed)

    def expect(self, command_id: uuid.UUID) -> asyncio.Future[tuple[str, float]]:
        future: asyncio.Future[tuple[str, float]] = asyncio.get_running_loop().create_future()
        done = self.early.pop(command_id, None)
        if done is not None:  # finished before the API's answer reached the bench
            future.set_result(done)
        else:
            self.waiting[command_id] = future
        return future


@dataclass
class Car:
    vin: str
    secret: str
    headers: dict[str, str]
    unit: TelematicsUnit | None = None


SETUP_AT_ONCE = 8  # cars set up together: the credential hashes run on every core


async def provision(runtime: Runtime, vin: str) -> str:
    async with runtime.db.transaction() as session:
        return await credentials.provision(session, vin=vin, now=runtime.clock.now())


async def register(runtime: Runtime, http: httpx.AsyncClient, count: int) -> list[Car]:
    """``count`` cars, each with its own primary owner and active services."""

    async def one(index: int) -> Car:
        person = await make_owner(runtime, email=f"bench.{index}@example.com")
        vin = await make_vehicle(runtime, model_code=MODEL, market="BE")
        await link(runtime, person, vin, primary=True)
        headers = await bearer_for(runtime, person)
        activated = await http.post(
            f"/api/v1/vehicles/{vin}/services/activate", json={"accept": ACCEPT_DE}, headers=headers
        )
        if activated.status_code != 200:
            raise RuntimeError(f"activation failed: {activated.text}")
        return Car(vin, await provision(runtime, vin), headers)

    cars: list[Car] = []
    for start in range(0, count, SETUP_AT_ONCE):
        chunk = range(start, min(count, start + SETUP_AT_ONCE))
        cars += await asyncio.gather(*(one(index) for index in chunk))
    return cars


async def responders(runtime: Runtime, count: int) -> list[Car]:
    """Cars of their own for the bare round trip: registered and provisioned, nothing else (a
    responder never shares a client id, and so a session, with a simulated unit)."""

    async def one() -> Car:
        vin = await make_vehicle(runtime, model_code=MODEL, market="BE")
        return Car(vin, await provision(runtime, vin), {})

    cars: list[Car] = []
    for start in range(0, count, SETUP_AT_ONCE):
        cars += await asyncio.gather(*(one() for _ in range(min(SETUP_AT_ONCE, count - start))))
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
) -> list[tuple[float, uuid.UUID]]:
    async def one(car: Car) -> tuple[float, uuid.UUID]:
        started = time.perf_counter()
        answer = await http.post(
            f"/api/v1/vehicles/{car.vin}/commands", json={"type": "door-lock"}, headers=car.headers
        )
        if answer.status_code != 202:
            raise RuntimeError(f"the platform refused: {answer.text}")
        command_id = uuid.UUID(answer.json()["id"])
        state, finished = await completions.expect(command_id)
        if state != "completed":
            raise RuntimeError(f"a door-lock ended {state}")
        return finished - started, command_id

    async with asyncio.timeout(BOUND_SECONDS):
        return list(await asyncio.gather(*(one(car) for car in cars)))


async def stages(runtime: Runtime, command_ids: list[uuid.UUID]) -> tuple[float, float]:
    async with runtime.db.transaction() as session:
        rows = (
            await session.scalars(select(RemoteCommand).where(RemoteCommand.id.in_(command_ids)))
        ).all()

    def ms(later: datetime | None, earlier: datetime | None) -> float:
        assert later is not None
        assert earlier is not None
        return (later - earlier).total_seconds() * 1000

    to_sent = [ms(row.sent_at, row.created_at) for row in rows]
    to_finished = [ms(row.finished_at, row.sent_at) for row in rows]
    return round(statistics.median(to_sent), 2), round(statistics.median(to_finished), 2)


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
        while True:  # a responder whose CONNACK comes late tries again, as a unit does
            try:
                async with connected(vehicle_client(address, vin=car.vin, secret=car.secret)) as c:
                    await c.subscribe(topic(car.vin, Channel.commands), qos=1)
                    ready.set()
                    async for _ in c.messages:
                        await c.publish(topic(car.vin, Channel.command_results), answer, qos=1)
            except aiomqtt.MqttError:
                if ready.is_set():
                    raise
                await asyncio.sleep(1.0)

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
            if not quick or level == levels[0]:
                # Warm-up (imports, connection pool, caches); --quick warms up once, at the
                # first level, to stay under a minute with 200 cars.
                await platform_round(http, completions, chosen)
            platform_ms: list[float] = []
            bare_ms: list[float] = []
            measured: list[uuid.UUID] = []
            rounds = rounds_for(level, quick)
            cpu_started = time.process_time()
            for _ in range(rounds):
                for seconds, command_id in await platform_round(http, completions, chosen):
                    platform_ms.append(seconds * 1000)
                    measured.append(command_id)
            cpu_ms = round((time.process_time() - cpu_started) * 1000 / len(measured), 2)
            to_sent, to_finished = await stages(runtime, measured)
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
                p50_ratio=round(statistics.median(platform_ms) / statistics.median(bare_ms), 1),
                p99_ratio=round(percentile(platform_ms, 0.99) / percentile(bare_ms, 0.99), 1),
                accepted_to_sent_p50_ms=to_sent,
                sent_to_finished_p50_ms=to_finished,
                cpu_ms_per_command=cpu_ms,
            )
            figures.append(row)
            print(
                f"{level:>4} concurrent  platform p50 {row.platform_p50_ms:7.2f} ms "
                f"p99 {row.platform_p99_ms:7.2f} ms   bare p50 {row.bare_p50_ms:6.2f} ms "
                f"p99 {row.bare_p99_ms:6.2f} ms   added p50 {row.added_p50_ms:7.2f} ms "
                f"p99 {row.added_p99_ms:7.2f} ms   x bare p50 {row.p50_ratio} p99 "
                f"{row.p99_ratio}  ({row.samples} samples; accepted->sent "
                f"{to_sent} ms, sent->finished {to_finished} ms; CPU {cpu_ms} ms per command)",
                flush=True,
            )
    finally:
        stop.set()
        completions.close()
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


async def main_async(args: argparse.Namespace, url: str, work: Path) -> dict[str, Any]:
    asyncio.get_running_loop().set_exception_handler(_quiet_disconnects)
    logging.getLogger("mqtt").setLevel(logging.ERROR)  # "pending publish calls" at 200 at once
    levels = [int(level) for level in args.levels.split(",")]
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
            print(
                f"set up {len(cars)} cars and {len(bare_cars)} responders in "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
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
        "database": "postgresql" if args.postgres else "sqlite",
        "command": "door-lock",
        "results": [asdict(row) for row in figures],
        "seconds": round(time.perf_counter() - started, 1),
        "machine": machine(),
    }


async def _pg_database(server: Any, name: str) -> str:
    conn = await asyncpg.connect(f"postgresql://{server.user}@{server.host}:{server.port}/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url: str = server.url(name)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Under a minute: fewer rounds.")
    parser.add_argument("--mosquitto", action="store_true", help="Use a real Mosquitto broker.")
    parser.add_argument("--postgres", action="store_true", help="Use a real PostgreSQL.")
    parser.add_argument("--levels", default="1,50,200", help="Concurrent commands per level.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="linkplus-commands-") as tmp:
        work = Path(tmp)
        if args.postgres:
            with postgres_server() as server:
                url = asyncio.run(_pg_database(server, "commands_bench"))
                result = asyncio.run(main_async(args, url, work))
        else:
            url = f"sqlite+aiosqlite:///{work / 'bench.db'}"
            result = asyncio.run(main_async(args, url, work))
    print(json.dumps(result, separators=(",", ":")))


if __name__ == "__main__":
    main()
