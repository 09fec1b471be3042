"""Emergency event to the agents' console: the time from a car's SOS press (the moment its unit
publishes the ``emergency_button`` event) to the case's first appearance in the console's live
stream, under the ingest bench's telemetry load, against the bare MQTT one-way time.

Usage: ``.venv/bin/python bench/safety.py [--quick] [--events N] [--units M] [--rate R]``

The platform runs as ``linkplus serve`` in a process of its own (HTTP API, job worker, gateway),
on SQLite and the embedded broker with ``--quick``, otherwise on a real PostgreSQL and a real
Mosquitto (two listeners, per-VIN passwords and ACLs, as ``vehicle_link.mosquitto`` writes them),
both started from their binaries with the test suite's helpers (``tests/servers.py``).

* **load**: M telematics units, each with its own credential and connection, publish the ingest
  bench's telemetry (3 VSS signals a message, ``bench/_support.py``) at QoS 1, R messages a
  second in all, steadily, from 2 processes of their own, for the whole run.
* **ours**: an emergency agent's SSE client reads ``GET /api/v1/staff/safety/stream``. N SOS
  events, spread over the run at random intervals (so they do not keep step with the stream's
  poll), each from one of 10 cars connected as their units are (each event its own incident and
  position, which is how the bench tells the cases apart in the stream), are published at QoS 1;
  the time from just before each publish to the stream's ``opened`` line of its case.
* **bare**: in the same run, a plain subscriber on the same broker (the gateway's listener and
  credential, no processing) subscribed to the cars' event topic; the time from the same publish
  to its receiving the same message.

*Added* is ours minus bare, at p50 and p99. Two parts of ours come from the stream's own
timestamps (``at`` of the ``opened`` line, the platform's clock in the gateway's transaction; the
same machine's clock as the bench's): publish to the case's transaction, and that to the stream.
The last line of output is one line of JSON with the figures and the machine (cores, load
average before and after).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiomqtt
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # bench._support and tests.*: the helpers the other benches use

from bench._support import (  # noqa: E402
    Unit,
    cpu_seconds,
    create_database,
    machine,
    new_units,
    processed_total,
    publish_paced_until_told,
    register_units,
)
from tests.servers import free_port, mosquitto_server, postgres_server  # noqa: E402
from tests.support import bearer_for, make_staff  # noqa: E402

from linkplus.bootstrap import build_runtime  # noqa: E402
from linkplus.config import Settings  # noqa: E402
from linkplus.kit.clock import SystemClock  # noqa: E402
from linkplus.models.accounts import StaffRole  # noqa: E402
from linkplus.protocol.vehicle import (  # noqa: E402
    CallState,
    Channel,
    EmergencyButton,
    encode,
    subscription,
    topic,
)
from linkplus.safety import msd  # noqa: E402
from linkplus.safety.rules import STREAM_POLL_SECONDS  # noqa: E402
from linkplus.vehicle_link import credentials, mosquitto  # noqa: E402
from linkplus.vehicle_link.acl import GATEWAY_USERNAME  # noqa: E402
from linkplus.vehicle_link.client import (  # noqa: E402
    BrokerAddress,
    MqttVersion,
    connected,
    gateway_client,
    vehicle_client,
)

SECRET_KEY = "safety-bench-secret-key-long-enough-for-hs256-signing"  # noqa: S105 - local only
SCRIPT = str(Path(__file__).resolve())
STREAM = "/api/v1/staff/safety/stream"
SOS_CARS = 10  # cars taking turns to press SOS; each press is an incident of its own
PUBLISHERS = 2  # telemetry processes
WAIT_SECONDS = 30.0  # an event not in the stream this long after its publish counts as missing
START_SECONDS = 90.0  # serve starting, the units connecting; only reached when something is wrong
WARM_UP_TRY_SECONDS = 3.0  # a warm-up press not in the stream by then: press again
SETTLE_SECONDS = 2.0  # load running before the first measured event
SEED = 13
BASE_LATITUDE = 40.0  # event i is at (40 + i/1000, 3 + i/1000): its position names it
BASE_LONGITUDE = 3.0


def position_of(index: int) -> msd.Position:
    return msd.Position(
        latitude=BASE_LATITUDE + index / 1000, longitude=BASE_LONGITUDE + index / 1000
    )


def index_of(latitude: float | None) -> int | None:
    return None if latitude is None else round((latitude - BASE_LATITUDE) * 1000)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


# --- the load process ------------------------------------------------------------------------


def run_load(spec_path: Path) -> None:
    logging.getLogger("mqtt").setLevel(logging.ERROR)  # "pending publish calls" when behind
    spec = json.loads(spec_path.read_text())
    print(json.dumps(asyncio.run(publish_paced_until_told(spec))), flush=True)


# --- the platform ----------------------------------------------------------------------------


@dataclass
class Platform:
    http_port: int
    vehicles: BrokerAddress
    gateway: BrokerAddress
    gateway_secret: str
    pid: int
    database: str
    broker: str


def settings_for(url: str, work: Path) -> Settings:
    return Settings(
        data_dir=work,
        database_url=url,
        secret_key=SECRET_KEY,
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        argon2_parallelism=1,
    )


@contextlib.contextmanager
def serve(
    url: str, work: Path, *, mqtt_url: str | None, mqtt_port: int | None
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """``linkplus serve`` in its own process; yields its HTTP port once it answers ``/readyz``."""
    port = free_port()
    env = {
        **os.environ,
        "LINKPLUS_DATABASE_URL": url,
        "LINKPLUS_SECRET_KEY": SECRET_KEY,
        "LINKPLUS_LOG_LEVEL": "WARNING",
        "LINKPLUS_LOG_JSON": "true",
    }
    if mqtt_url is not None:
        env["LINKPLUS_MQTT_URL"] = mqtt_url
    command = [sys.executable, "-m", "linkplus", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--data-dir", str(work)]
    if mqtt_port is not None:
        command += ["--mqtt-port", str(mqtt_port)]
    log = (work / "serve.log").open("wb")
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"linkplus serve exited with {process.returncode}:\n"
                    + (work / "serve.log").read_text(errors="replace")[-3000:]
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("linkplus serve did not become ready")
            time.sleep(0.1)  # a process starting up: nothing to wait on but time
        print(f"linkplus serve ready in {time.monotonic() - started:.1f} s", flush=True)
        try:
            yield port, process
        except BaseException:
            text = (work / "serve.log").read_text(errors="replace")
            print(f"linkplus serve's log ends:\n{text[-4000:]}", file=sys.stderr, flush=True)
            raise
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


@contextlib.contextmanager
def mosquitto_broker(
    units: list[Unit], gateway_secret: str
) -> Iterator[tuple[BrokerAddress, BrokerAddress]]:
    def configure(directory: Path, ports: list[int]) -> Path:
        setup = mosquitto.write_setup(
            directory,
            vehicles=mosquitto.Listener(ports[0]),
            gateway=mosquitto.Listener(ports[1]),
            gateway_username=GATEWAY_USERNAME,
            gateway_secret=gateway_secret,
            vehicle_entries=[(vin, mosquitto.password_hash(s)) for vin, s, _ in units],
            persistence=False,
        )
        with setup.config.open("a", encoding="utf-8") as config:
            config.write("max_queued_messages 0\nmax_queued_bytes 0\n")  # as the ingest bench
        return setup.config

    with mosquitto_server(configure, listeners=2) as server:
        yield (
            BrokerAddress(server.host, server.ports[0], MqttVersion.v5),
            BrokerAddress(server.host, server.ports[1], MqttVersion.v5),
        )


async def staff_headers(url: str, work: Path) -> dict[str, str]:
    """An emergency agent and a bearer token for them, written straight into the database as
    the tests write them (``tests/support.py``)."""
    runtime = build_runtime(settings_for(url, work), clock=SystemClock())
    try:
        agent = await make_staff(runtime, role=StaffRole.emergency_agent)
        return await bearer_for(runtime, agent)
    finally:
        await runtime.db.dispose()


# --- the measurement ---------------------------------------------------------------------------


@dataclass
class Event:
    index: int
    vin: str
    incident: uuid.UUID
    published: float = 0.0  # perf_counter just before the publish
    published_wall: float = 0.0  # time.time() at the same moment
    streamed: float | None = None
    stored_wall: float | None = None  # the ``at`` of the ``opened`` line
    bare: float | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)


class Watch:
    """Both sides' arrivals, keyed back to the events."""

    def __init__(self) -> None:
        self.events: dict[int, Event] = {}
        self.by_incident: dict[str, Event] = {}
        self.stream_lines = 0

    def add(self, event: Event) -> None:
        self.events[event.index] = event
        self.by_incident[str(event.incident)] = event

    def streamed(self, data: dict[str, Any], seen: float) -> None:
        if data.get("action") != "opened":
            return
        event = self.events.get(index_of(data["case"].get("latitude")) or -1)
        if event is None or event.streamed is not None:
            return
        event.streamed = seen
        event.stored_wall = datetime.fromisoformat(data["at"]).timestamp()
        if event.bare is not None:
            event.done.set()

    def bare(self, incident: str | None, seen: float) -> None:
        event = self.by_incident.get(incident or "")
        if event is None or event.bare is not None:
            return
        event.bare = seen
        if event.streamed is not None:
            event.done.set()


async def read_stream(
    http: httpx.AsyncClient, headers: dict[str, str], watch: Watch, ready: asyncio.Event
) -> None:
    async with http.stream(
        "GET", STREAM, headers={**headers, "Accept": "text/event-stream"}
    ) as answer:
        if answer.status_code != 200:
            await answer.aread()
            raise RuntimeError(f"the console's stream answered {answer.status_code}: {answer.text}")
        ready.set()  # the answer has begun: the stream's starting point is taken
        async for line in answer.aiter_lines():
            seen = time.perf_counter()
            if line.startswith("data:"):
                watch.streamed(json.loads(line[5:]), seen)


async def read_bare(
    address: BrokerAddress, secret: str, watch: Watch, ready: asyncio.Event
) -> None:
    async with connected(gateway_client(address, secret=secret, instance="bench_bare")) as client:
        await client.subscribe(subscription(Channel.events), qos=1)
        ready.set()
        async for message in client.messages:
            seen = time.perf_counter()
            body = message.payload
            if isinstance(body, bytes | bytearray):
                watch.bare(json.loads(body).get("incident_id"), seen)


async def until(ready: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    """Wait for ``ready``; a task that ends meanwhile ends the wait with its error."""
    waiter = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    for task in done:
        if task is not waiter:
            task.result()
            raise RuntimeError("a reader of the bench ended before it was ready")


@contextlib.asynccontextmanager
async def sos_cars(address: BrokerAddress, cars: list[Unit]) -> AsyncIterator[list[Any]]:
    """The SOS cars' units, connected (as a unit is, before anything happens to the car)."""
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for vin, secret, _hash in cars:
            client = await stack.enter_async_context(
                connected(vehicle_client(address, vin=vin, secret=secret))
            )
            clients.append((vin, client))
        yield clients


async def press(client: aiomqtt.Client, event: Event, seq: int) -> None:
    """The SOS button: the unit publishes the first attempt of a new incident."""
    now = datetime.now(UTC)
    data = msd.to_text(
        msd.encode(
            msd.MinimumSetOfData(
                message_id=1,
                activation=msd.Activation.manual,
                test_call=False,
                position_trusted=True,
                vehicle_type=msd.VehicleType.passenger_m1,
                vin=event.vin,
                propulsion=frozenset({msd.Propulsion.petrol}),
                timestamp=now.replace(microsecond=0),
                position=position_of(event.index),
                direction_deg=90,
                previous=(),
                passengers=1,
            )
        )
    )
    body = encode(
        EmergencyButton(
            msg_id=uuid.uuid4(),
            sent_at=now,
            seq=seq,
            occurred_at=now,
            type="emergency_button",
            incident_id=event.incident,
            attempt=1,
            call=CallState.connected,
            msd=data,
        )
    )
    event.published_wall = time.time()
    event.published = time.perf_counter()
    await client.publish(topic(event.vin, Channel.events), body, qos=1)


@dataclass
class Figures:
    database: str
    broker: str
    events: int
    missing: int
    ours_p50_ms: float
    ours_p99_ms: float
    ours_max_ms: float
    bare_p50_ms: float
    bare_p99_ms: float
    added_p50_ms: float
    added_p99_ms: float
    publish_to_case_p50_ms: float
    publish_to_case_p99_ms: float
    over_1s: int
    case_to_stream_p50_ms: float
    case_to_stream_p99_ms: float
    stream_poll_ms: float
    units: int
    telemetry_rate_asked: float
    telemetry_published: int
    telemetry_published_per_s: float
    telemetry_processed_per_s: float
    serve_cpu_s: float
    run_s: float


async def measure(
    platform: Platform,
    headers: dict[str, str],
    units: list[Unit],
    cars: list[Unit],
    args: argparse.Namespace,
    work: Path,
) -> Figures:
    rng = random.Random(SEED)
    watch = Watch()
    span = args.events / args.events_per_s
    load_seconds = SETTLE_SECONDS + span + 60  # ends with the run, or by itself soon after
    groups = [units[i::PUBLISHERS] for i in range(PUBLISHERS)]
    loads = []
    for number, group in enumerate(groups):
        spec = work / f"load-{number}.json"
        spec.write_text(
            json.dumps(
                {
                    "host": platform.vehicles.host,
                    "port": platform.vehicles.port,
                    "rate": args.rate * len(group) / len(units),
                    "seconds": load_seconds,
                    "first_seq": 1,
                    "mqtt5": platform.vehicles.version is MqttVersion.v5,
                    "units": group,
                }
            )
        )
        loads.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                SCRIPT,
                "--load",
                str(spec),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
        )
    bare_ready, stream_ready = asyncio.Event(), asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    try:
        async with (
            httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{platform.http_port}",
                timeout=httpx.Timeout(60, read=None),
            ) as http,
            sos_cars(platform.vehicles, cars) as clients,
        ):
            tasks.append(asyncio.create_task(read_stream(http, headers, watch, stream_ready)))
            tasks.append(
                asyncio.create_task(
                    read_bare(platform.gateway, platform.gateway_secret, watch, bare_ready)
                )
            )
            async with asyncio.timeout(START_SECONDS):
                await until(bare_ready, tasks)
                await until(stream_ready, tasks)
                for load in loads:
                    assert load.stdout is not None
                    line = (await load.stdout.readline()).strip()
                    if line != b"connected":
                        raise RuntimeError(f"a load process did not connect: {line!r}")
            started = time.monotonic()
            processed_before = await asyncio.to_thread(processed_total, [platform.http_port])
            cpu_before = cpu_seconds([platform.pid])
            seqs = dict.fromkeys((vin for vin, _ in clients), 0)
            index = 0

            async def one(measured: bool, wait: float = WAIT_SECONDS) -> Event:
                nonlocal index
                vin, client = clients[index % len(clients)]
                event = Event(index=index, vin=vin, incident=uuid.uuid4())
                index += 1
                seqs[vin] += 1
                watch.add(event)
                await press(client, event, seqs[vin])
                if not measured:
                    async with asyncio.timeout(wait):
                        await event.done.wait()
                return event

            # Warm-up, not measured: the stream connected, the gateway subscribed, the first
            # case's imports and caches. Pressed until one arrives (a starting gateway may not
            # have subscribed yet: its first press is then not in the stream), then once more.
            async def first_through() -> None:
                while True:
                    tried = time.monotonic()
                    try:
                        await one(measured=False, wait=WARM_UP_TRY_SECONDS)
                        return
                    except TimeoutError:
                        last = watch.events[index - 1]
                        count = await asyncio.to_thread(processed_total, [platform.http_port])
                        print(
                            f"  warm-up press not through after {time.monotonic() - tried:.1f} s"
                            f" (bare {'yes' if last.bare else 'no'}, stream "
                            f"{'yes' if last.streamed else 'no'}; the platform processed "
                            f"{count:,} messages so far); again",
                            flush=True,
                        )

            try:
                async with asyncio.timeout(START_SECONDS):
                    await first_through()
            except TimeoutError:
                count = await asyncio.to_thread(processed_total, [platform.http_port])
                raise RuntimeError(
                    f"no SOS press reached the console within {START_SECONDS:.0f} s: the platform "
                    f"processed {count:,} messages, the load asked {args.rate:,.0f} a second. An "
                    "event waits behind the telemetry the gateway has not taken yet, so a "
                    "platform that cannot keep up never shows it. Try a lower --rate."
                ) from None
            await one(measured=False)
            print(
                f"stream, load and gateway ready; warm-up took {time.monotonic() - started:.1f} s",
                flush=True,
            )
            await asyncio.sleep(max(0.0, SETTLE_SECONDS - (time.monotonic() - started)))
            presses = []
            mean_gap, due = 1 / args.events_per_s, time.monotonic()
            for _ in range(args.events):
                due += rng.uniform(0.2, 1.8) * mean_gap  # spread, not in step with the poll
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                presses.append(asyncio.create_task(one(measured=True)))  # on time, not in turn
            measured = list(await asyncio.gather(*presses))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(WAIT_SECONDS):
                    await asyncio.gather(*(event.done.wait() for event in measured))
            run_s = time.monotonic() - started
            serve_cpu = cpu_seconds([platform.pid]) - cpu_before
            processed = await asyncio.to_thread(processed_total, [platform.http_port])
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        outputs = [await load.communicate(b"stop\n") for load in loads]  # and stdin closed
    published, load_s = 0, 0.0
    for output, _ in outputs:
        figures = json.loads(output.decode().strip().splitlines()[-1])
        published += int(figures["messages"])
        load_s = max(load_s, float(figures["seconds"]))
    complete = [e for e in measured if e.streamed is not None and e.bare is not None]
    if not complete:
        raise RuntimeError("no emergency event reached both the console and the bare subscriber")
    ours = [(e.streamed - e.published) * 1000 for e in complete if e.streamed is not None]
    bare = [(e.bare - e.published) * 1000 for e in complete if e.bare is not None]
    to_case = [
        (e.stored_wall - e.published_wall) * 1000 for e in complete if e.stored_wall is not None
    ]
    to_stream = [o - c for o, c in zip(ours, to_case, strict=True)]
    return Figures(
        database=platform.database,
        broker=platform.broker,
        events=len(measured),
        missing=len(measured) - len(complete),
        ours_p50_ms=round(statistics.median(ours), 1),
        ours_p99_ms=round(percentile(ours, 0.99), 1),
        ours_max_ms=round(max(ours), 1),
        bare_p50_ms=round(statistics.median(bare), 2),
        bare_p99_ms=round(percentile(bare, 0.99), 2),
        added_p50_ms=round(statistics.median(ours) - statistics.median(bare), 1),
        added_p99_ms=round(percentile(ours, 0.99) - percentile(bare, 0.99), 1),
        publish_to_case_p50_ms=round(statistics.median(to_case), 1),
        publish_to_case_p99_ms=round(percentile(to_case, 0.99), 1),
        over_1s=sum(1 for value in ours if value > 1000),
        case_to_stream_p50_ms=round(statistics.median(to_stream), 1),
        case_to_stream_p99_ms=round(percentile(to_stream, 0.99), 1),
        stream_poll_ms=STREAM_POLL_SECONDS * 1000,
        units=len(units),
        telemetry_rate_asked=args.rate,
        telemetry_published=published,
        telemetry_published_per_s=round(published / max(load_s, 1e-6)),
        telemetry_processed_per_s=round((processed - processed_before) / max(run_s, 1e-6)),
        serve_cpu_s=round(serve_cpu, 1),
        run_s=round(run_s, 1),
    )


# --- the run -----------------------------------------------------------------------------------


def aim(met: bool) -> str:
    return "met" if met else "NOT met"


def report(row: Figures) -> None:
    print(
        f"{row.database} + {row.broker}: {row.events} SOS events over {row.run_s:.0f} s while "
        f"{row.units} units published telemetry ({row.telemetry_published_per_s:,.0f} msg/s "
        f"published, {row.telemetry_processed_per_s:,.0f} msg/s processed by the platform; "
        f"asked {row.telemetry_rate_asked:,.0f}); {row.missing} missing.",
        flush=True,
    )
    print(
        f"  car's publish -> case in the console's stream: p50 {row.ours_p50_ms:.1f} ms, "
        f"p99 {row.ours_p99_ms:.1f} ms (max {row.ours_max_ms:.1f} ms; {row.over_1s} of "
        f"{row.events - row.missing} over 1 s)",
        flush=True,
    )
    print(
        f"  bare MQTT one-way, same messages: p50 {row.bare_p50_ms:.2f} ms, "
        f"p99 {row.bare_p99_ms:.2f} ms",
        flush=True,
    )
    print(
        f"  added by the platform: p50 {row.added_p50_ms:.1f} ms, p99 {row.added_p99_ms:.1f} ms "
        f"(publish -> case's transaction p50 {row.publish_to_case_p50_ms:.1f} ms, p99 "
        f"{row.publish_to_case_p99_ms:.1f} ms; that -> the "
        f"stream p50 {row.case_to_stream_p50_ms:.1f} ms, p99 {row.case_to_stream_p99_ms:.1f} ms, "
        f"the stream polling every {row.stream_poll_ms:.0f} ms)",
        flush=True,
    )
    print(
        f"  aims: p99 <= 1000 ms under load {aim(row.ours_p99_ms <= 1000)}; added p50 <= 50 ms "
        f"{aim(row.added_p50_ms <= 50)}. The platform process used {row.serve_cpu_s:.1f} CPU s.",
        flush=True,
    )


def _quiet_disconnects(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Units disconnected at the end leave aiomqtt futures with a disconnection error: that is
    the end of the connection, not a failure of the run."""
    if isinstance(context.get("exception"), aiomqtt.MqttError):
        return
    loop.default_exception_handler(context)


async def main_async(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    asyncio.get_running_loop().set_exception_handler(_quiet_disconnects)
    logging.getLogger("mqtt").setLevel(logging.ERROR)
    before = machine()
    units = new_units(args.units)
    cars = new_units(SOS_CARS, prefix="LPSAFE")
    secret = credentials.gateway_secret(settings_for("sqlite://", work))
    started = time.monotonic()
    if args.quick:
        url = f"sqlite+aiosqlite:///{work / 'bench.db'}"
        await register_units(url, units + cars)
        headers = await staff_headers(url, work)
        print(f"database ready in {time.monotonic() - started:.1f} s", flush=True)
        mqtt_port = free_port()
        address = BrokerAddress("127.0.0.1", mqtt_port, MqttVersion.v311)
        with serve(url, work, mqtt_url=None, mqtt_port=mqtt_port) as (port, process):
            platform = Platform(port, address, address, secret, process.pid, "sqlite", "embedded")
            row = await measure(platform, headers, units, cars, args, work)
    else:
        with postgres_server() as pg, mosquitto_broker(units + cars, secret) as (vehicles, gate):
            url = await create_database(pg, "safety_bench")
            await register_units(url, units + cars)
            headers = await staff_headers(url, work)
            print(f"database ready in {time.monotonic() - started:.1f} s", flush=True)
            mqtt_url = f"mqtt://{gate.host}:{gate.port}"
            with serve(url, work, mqtt_url=mqtt_url, mqtt_port=None) as (port, process):
                platform = Platform(
                    port, vehicles, gate, secret, process.pid, "postgresql", "mosquitto"
                )
                row = await measure(platform, headers, units, cars, args, work)
    report(row)
    after = machine()
    return {
        "bench": "safety",
        "quick": args.quick,
        "events": args.events,
        "units": args.units,
        "rate": args.rate,
        "result": asdict(row),
        "aims": {
            "p99_at_most_1000_ms": row.ours_p99_ms <= 1000,
            "added_p50_at_most_50_ms": row.added_p50_ms <= 50,
        },
        "seconds": round(time.monotonic() - started, 1),
        "machine": {**after, "load_average_before": before["load_average"]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="Under a minute: SQLite, embedded broker."
    )
    parser.add_argument("--events", type=int, default=None, help="Measured SOS events.")
    parser.add_argument("--units", type=int, default=None, help="Telemetry units of the load.")
    parser.add_argument("--rate", type=float, default=None, help="Telemetry messages a second.")
    parser.add_argument(
        "--events-per-s", type=float, default=2.0, help="Mean rate of the SOS events."
    )
    parser.add_argument("--load", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load is not None:
        run_load(args.load)
        return
    args.units = args.units or (20 if args.quick else 50)
    args.events = args.events or (30 if args.quick else 300)
    args.rate = args.rate or (200.0 if args.quick else 500.0)
    with tempfile.TemporaryDirectory(prefix="linkplus-safety-") as tmp:
        figures = asyncio.run(main_async(args, Path(tmp)))
    print(json.dumps(figures, separators=(",", ":")))


if __name__ == "__main__":
    main()
