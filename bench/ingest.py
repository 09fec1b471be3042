"""Vehicle telemetry ingest: messages per second fully processed by the gateway (twin updated,
history stored) against a bare MQTT subscriber that only counts the same messages.

Usage: ``.venv/bin/python bench/ingest.py [--quick] [--units M] [--messages N]
[--processes 1,2,4]``

A real Mosquitto (two listeners, per-VIN passwords and ACLs, as ``vehicle_link.mosquitto``
writes them) and a real PostgreSQL are started from their binaries with the test suite's helpers
(``tests/servers.py``); SQLite is a file. M telematics units, each with its own credential,
publish N telemetry messages in all (3 VSS signals each: speed, odometer, state of charge, with
rising vehicle timestamps) at QoS 1 as fast as they can, from a separate process. In the same
run, a bare subscriber (one aiomqtt connection on the gateway listener, no parsing) counts the
same messages, and K ``linkplus gateway --share-group`` processes (MQTT 5 shared subscription)
store them. Rates are N divided by the time from the first message the bare subscriber saw to
the last one it saw (bare) or to the moment every gateway's ``processed`` counter (Prometheus)
added up to N (ours). Because everything shares the machine's cores, two more figures: the CPU
time the gateway processes used (``/proc``), as messages per CPU second of gateway (MQTT reading
included; at live rates batches are small, so this understates capacity), and a *backlog*
scenario (skip it with ``--no-drain``): one gateway, then a bare subscriber, take N messages the
broker held for their persistent sessions, with nothing else running. The last line of output
is one line of JSON with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiomqtt
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.servers: the same PostgreSQL and Mosquitto helpers

from bench._support import (  # noqa: E402
    SIGNALS,
    cpu_seconds,
    create_database,
    machine,
    new_units,
    processed_total,
    publish,
)
from bench._support import register_units as prepare  # noqa: E402
from tests.servers import free_port, mosquitto_server, postgres_server  # noqa: E402

from linkplus.config import Settings  # noqa: E402
from linkplus.protocol.vehicle import Channel, encode, subscription, topic  # noqa: E402
from linkplus.protocol.vehicle import Waking as WakingEvent  # noqa: E402
from linkplus.vehicle_link import credentials, mosquitto  # noqa: E402
from linkplus.vehicle_link.acl import GATEWAY_USERNAME  # noqa: E402
from linkplus.vehicle_link.client import BrokerAddress, MqttVersion, gateway_client  # noqa: E402

SECRET_KEY = "ingest-bench-secret-key-long-enough-for-hs256-signing"  # noqa: S105
SCRIPT = str(Path(__file__).resolve())
BOUND_SECONDS = 600.0  # one scenario never takes longer; only reached when something is wrong


# --- the publishing process -----------------------------------------------------------------


async def publish_waking(spec: dict[str, Any]) -> None:
    """One ``waking`` event per unit: only the gateway subscribes to events, not the bare
    subscriber, so this can be repeated until a starting gateway has subscribed."""
    now = datetime.now(UTC)

    async def one(vin: str, secret: str) -> None:
        body = WakingEvent(msg_id=uuid.uuid4(), sent_at=now, seq=0, occurred_at=now, type="waking")
        client = aiomqtt.Client(
            spec["host"],
            spec["port"],
            username=vin,
            password=secret,
            identifier=vin,
            protocol=aiomqtt.ProtocolVersion.V5,
            timeout=60,
        )
        async with client:
            await client.publish(topic(vin, Channel.events), encode(body), qos=1)

    async with asyncio.TaskGroup() as group:
        for vin, secret, _count in spec["units"]:
            group.create_task(one(vin, secret))


def run_publisher(spec_path: Path) -> None:
    asyncio.run(publish(json.loads(spec_path.read_text())))


async def count_bare(spec: dict[str, Any]) -> dict[str, float]:
    """The bare subscriber: counts; notes when the first measured and the last message came."""
    address = BrokerAddress(spec["host"], spec["port"], MqttVersion.v5)
    warm, total = spec["warm"], spec["warm"] + spec["messages"]
    count, first, last = 0, 0.0, 0.0
    instance = spec.get("instance") or f"bare-{os.getpid()}"
    client = gateway_client(address, secret=spec["secret"], instance=instance)
    async with client:
        await client.subscribe(subscription(Channel.telemetry), qos=1)
        print("subscribed", flush=True)
        if spec.get("prime"):  # only leave a persistent session the broker queues for
            return {"first": 0.0, "last": 0.0}
        async for _message in client.messages:
            count += 1
            if count == warm + 1:
                first = time.monotonic()
            if count >= total:
                last = time.monotonic()
                break
    return {"first": first, "last": last}


def run_bare(spec_path: Path) -> None:
    print(json.dumps(asyncio.run(count_bare(json.loads(spec_path.read_text())))), flush=True)


# --- the bench ------------------------------------------------------------------------------


@dataclass
class Result:
    database: str
    processes: int
    messages: int
    bare_per_s: float
    ours_per_s: float
    ratio: float
    publish_s: float
    gateway_cpu_s: float
    msgs_per_gateway_cpu_s: float


@contextlib.contextmanager
def gateways(
    count: int, *, url: str, mqtt_url: str, data_dir: Path, run: str, shared: bool = True
) -> Iterator[tuple[list[int], list[int]]]:
    """K gateway processes; yields their metrics ports and their process ids."""
    ports = [free_port() for _ in range(count)]
    env = {
        **os.environ,
        "LINKPLUS_DATABASE_URL": url,
        "LINKPLUS_SECRET_KEY": SECRET_KEY,
        "LINKPLUS_MQTT_URL": mqtt_url,
        "LINKPLUS_LOG_LEVEL": "WARNING",
        "LINKPLUS_LOG_JSON": "true",
    }
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "linkplus",
                "gateway",
                "--instance",
                f"{run}.{i}",
                "--share-group",
                f"bench.{run}" if shared else "",
                "--metrics-port",
                str(port),
                "--data-dir",
                str(data_dir),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i, port in enumerate(ports)
    ]
    try:
        deadline = time.monotonic() + 60
        for port in ports:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1)
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("a gateway process did not start")
                time.sleep(0.1)  # a process starting up: nothing to wait on but time
        yield ports, [process.pid for process in processes]
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


async def processed(ports: list[int]) -> int:
    return await asyncio.to_thread(processed_total, ports)


async def wait_processed(ports: list[int], target: int, what: str) -> float:
    deadline = time.monotonic() + BOUND_SECONDS
    while await processed(ports) < target:
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)  # polling counters other processes move
    return time.monotonic()


def _spec_file(work: Path, spec: dict[str, Any]) -> Path:
    path = work / f"spec-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(spec))
    return path


async def scenario(
    *,
    database: str,
    url: str,
    processes: int,
    units: list[tuple[str, str, str]],
    messages: int,
    publishers: int,
    vehicles: BrokerAddress,
    gateway_address: BrokerAddress,
    work: Path,
    run: str,
    next_seq: int,
) -> Result:
    secret = credentials.gateway_secret(Settings(secret_key=SECRET_KEY, data_dir=work))
    mqtt_url = f"mqtt://{gateway_address.host}:{gateway_address.port}"
    per_unit = messages // len(units)
    total = per_unit * len(units)
    warm = len(units)
    bare_spec = {
        "host": gateway_address.host,
        "port": gateway_address.port,
        "secret": secret,
        "warm": warm,
        "messages": total,
    }
    script = SCRIPT
    bare = await asyncio.create_subprocess_exec(
        sys.executable,
        script,
        "--bare",
        str(_spec_file(work, bare_spec)),
        stdout=asyncio.subprocess.PIPE,
    )
    assert bare.stdout is not None
    assert (await bare.stdout.readline()).strip() == b"subscribed"
    with gateways(processes, url=url, mqtt_url=mqtt_url, data_dir=work, run=run) as (ports, pids):
        # Warm-up: one message per unit, so every gateway is connected and subscribed.
        await publish(_spec(units, 1, vehicles, next_seq))
        baseline = await wait_processed(ports, warm, "the warm-up") and await processed(ports)
        groups = [units[i::publishers] for i in range(publishers)]
        cpu_before = cpu_seconds(pids)
        started = time.monotonic()
        senders = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                script,
                "--publish",
                str(_spec_file(work, _spec(group, per_unit, vehicles, next_seq + 1))),
            )
            for group in groups
            if group
        ]
        done = await wait_processed(ports, baseline + total, "the gateways")
        gateway_cpu = cpu_seconds(pids) - cpu_before
        for sender in senders:
            await sender.wait()
        publish_s = time.monotonic() - started
    output, _ = await bare.communicate()
    times = json.loads(output.decode().strip().splitlines()[-1])
    origin = times["first"]
    bare_rate = total / max(times["last"] - origin, 1e-6)
    ours_rate = total / max(done - origin, 1e-6)
    return Result(
        database=database,
        processes=processes,
        messages=total,
        bare_per_s=round(bare_rate),
        ours_per_s=round(ours_rate),
        ratio=round(ours_rate / bare_rate, 3),
        publish_s=round(publish_s, 2),
        gateway_cpu_s=round(gateway_cpu, 2),
        msgs_per_gateway_cpu_s=round(total / max(gateway_cpu, 1e-6)),
    )


@dataclass
class Drain:
    database: str
    messages: int
    bare_per_s: float
    ours_per_s: float
    ratio: float
    gateway_cpu_s: float
    msgs_per_gateway_cpu_s: float


async def drain_scenario(
    *,
    database: str,
    url: str,
    units: list[tuple[str, str, str]],
    messages: int,
    publishers: int,
    vehicles: BrokerAddress,
    gateway_address: BrokerAddress,
    work: Path,
    run: str,
    next_seq: int,
) -> Drain:
    """A backlog: the broker holds N messages for a gateway that was away (its persistent
    session), then one gateway process, and separately a bare subscriber, take them all. Nothing
    else runs meanwhile, so this is what one gateway process carries when it is not sharing the
    cores with the load generator."""
    secret = credentials.gateway_secret(Settings(secret_key=SECRET_KEY, data_dir=work))
    mqtt_url = f"mqtt://{gateway_address.host}:{gateway_address.port}"
    per_unit = messages // len(units)
    total = per_unit * len(units)
    bare_spec = {
        "host": gateway_address.host,
        "port": gateway_address.port,
        "secret": secret,
        "instance": f"bare-{run}",
        "warm": 0,
        "messages": total,
    }

    async def bare_process(prime: bool) -> asyncio.subprocess.Process:
        spec = _spec_file(work, {**bare_spec, "prime": prime})
        process = await asyncio.create_subprocess_exec(
            sys.executable, SCRIPT, "--bare", str(spec), stdout=asyncio.subprocess.PIPE
        )
        assert process.stdout is not None
        assert (await process.stdout.readline()).strip() == b"subscribed"
        return process

    await (await bare_process(prime=True)).communicate()
    # The gateway's session: subscribe (shown by a stored event), leave.
    with gateways(1, url=url, mqtt_url=mqtt_url, data_dir=work, run=run, shared=False) as (
        ports,
        _pids,
    ):
        deadline = time.monotonic() + 60
        while await processed(ports) == 0:
            if time.monotonic() > deadline:
                raise RuntimeError("the backlog gateway never subscribed")
            await publish_waking(_spec(units, 1, vehicles, next_seq))
            await asyncio.sleep(0.5)  # the gateway storing what it got, if it had subscribed
    senders = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            SCRIPT,
            "--publish",
            str(_spec_file(work, _spec(group, per_unit, vehicles, next_seq + 1))),
        )
        for group in (units[i::publishers] for i in range(publishers))
        if group
    ]
    for sender in senders:
        await sender.wait()
    bare = await bare_process(prime=False)
    output, _ = await bare.communicate()
    times = json.loads(output.decode().strip().splitlines()[-1])
    bare_rate = (total - 1) / max(times["last"] - times["first"], 1e-6)
    with gateways(1, url=url, mqtt_url=mqtt_url, data_dir=work, run=run, shared=False) as (
        ports,
        pids,
    ):
        first = await wait_processed(ports, 1, "the backlog's first message")
        counted, cpu_before = await processed(ports), cpu_seconds(pids)
        done = await wait_processed(ports, total, "the backlog")
        gateway_cpu = cpu_seconds(pids) - cpu_before
    ours_rate = (total - counted) / max(done - first, 1e-6)
    return Drain(
        database=database,
        messages=total,
        bare_per_s=round(bare_rate),
        ours_per_s=round(ours_rate),
        ratio=round(ours_rate / bare_rate, 3),
        gateway_cpu_s=round(gateway_cpu, 2),
        msgs_per_gateway_cpu_s=round((total - counted) / max(gateway_cpu, 1e-6)),
    )


def _spec(
    units: list[tuple[str, str, str]], per_unit: int, vehicles: BrokerAddress, first_seq: int
) -> dict[str, Any]:
    return {
        "host": vehicles.host,
        "port": vehicles.port,
        "first_seq": first_seq,
        "units": [(vin, secret, per_unit) for vin, secret, _ in units],
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    counts = [int(p) for p in args.processes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="linkplus-ingest-"))
    units = new_units(args.units)
    gateway_secret = credentials.gateway_secret(Settings(secret_key=SECRET_KEY, data_dir=work))

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
        # A gateway that falls behind gets everything queued at the broker, nothing dropped.
        with setup.config.open("a", encoding="utf-8") as config:
            config.write("max_queued_messages 0\nmax_queued_bytes 0\n")
        return setup.config

    results: list[Result] = []
    with postgres_server() as pg, mosquitto_server(configure, listeners=2) as broker:
        vehicles = BrokerAddress(broker.host, broker.ports[0], MqttVersion.v5)
        gateway_address = BrokerAddress(broker.host, broker.ports[1], MqttVersion.v5)
        sqlite_url = f"sqlite+aiosqlite:///{work / 'bench.db'}"
        pg_url = await create_database(pg, "ingest_bench")
        for url in (sqlite_url, pg_url):
            await prepare(url, units)
        plan = [("sqlite", sqlite_url, 1)] + [("postgresql", pg_url, k) for k in counts]
        seq = 1
        for index, (database, url, k) in enumerate(plan):
            result = await scenario(
                database=database,
                url=url,
                processes=k,
                units=units,
                messages=args.messages,
                publishers=args.publishers,
                vehicles=vehicles,
                gateway_address=gateway_address,
                work=work,
                run=f"r{index}",
                next_seq=seq,
            )
            seq += args.messages + 10
            results.append(result)
            print(
                f"{database:10} gateways={k}  bare {result.bare_per_s:>7,.0f} msg/s  "
                f"ours {result.ours_per_s:>7,.0f} msg/s  ratio {result.ratio:.2f}  "
                f"({result.messages:,} messages, published in {result.publish_s:.1f} s; "
                f"gateways used {result.gateway_cpu_s:.1f} CPU s: "
                f"{result.msgs_per_gateway_cpu_s:,.0f} msg per CPU second)",
                flush=True,
            )
        drains: list[Drain] = []
        if args.drain:
            drain = await drain_scenario(
                database="postgresql",
                url=pg_url,
                units=units,
                messages=args.messages,
                publishers=args.publishers,
                vehicles=vehicles,
                gateway_address=gateway_address,
                work=work,
                run="drain",
                next_seq=seq,
            )
            drains.append(drain)
            print(
                f"postgresql backlog, 1 gateway: bare {drain.bare_per_s:>7,.0f} msg/s  ours "
                f"{drain.ours_per_s:>7,.0f} msg/s  ratio {drain.ratio:.2f}  (gateway used "
                f"{drain.gateway_cpu_s:.1f} CPU s: {drain.msgs_per_gateway_cpu_s:,.0f} msg per "
                "CPU second)",
                flush=True,
            )
    pg_results = [r for r in results if r.database == "postgresql"]
    one = next((r for r in pg_results if r.processes == 1), None)
    scaling = {str(r.processes): round(r.ours_per_s / one.ours_per_s, 2) for r in pg_results if one}
    return {
        "bench": "ingest",
        "quick": args.quick,
        "units": args.units,
        "messages": args.messages,
        "signals_per_message": len(SIGNALS),
        "results": [asdict(r) for r in results],
        "postgresql_scaling_vs_one_process": scaling,
        "backlog": [asdict(d) for d in drains],
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Under a minute: fewer messages.")
    parser.add_argument("--units", type=int, default=None, help="Simulated telematics units.")
    parser.add_argument("--messages", type=int, default=None, help="Messages per scenario.")
    parser.add_argument("--processes", default=None, help="Gateway process counts, e.g. 1,2,4.")
    parser.add_argument("--publishers", type=int, default=2, help="Publishing processes.")
    parser.add_argument(
        "--no-drain",
        dest="drain",
        action="store_false",
        help="Skip the backlog scenario (one gateway taking N messages the broker held).",
    )
    parser.add_argument("--publish", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--bare", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.publish is not None:
        run_publisher(args.publish)
        return
    if args.bare is not None:
        run_bare(args.bare)
        return
    args.units = args.units or (20 if args.quick else 50)
    args.messages = args.messages or (4_000 if args.quick else 40_000)
    args.processes = args.processes or ("1,2" if args.quick else "1,2,4")
    figures = asyncio.run(main_async(args))
    print(json.dumps(figures, separators=(",", ":")))


if __name__ == "__main__":
    main()
