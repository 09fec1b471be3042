"""What several benches share: the telemetry load of many telematics units (the ingest bench's
messages, each unit with its own credential and connection), registering those units' cars,
a PostgreSQL database of their own, and a description of the machine a figure was taken on.

Imported by ``bench/ingest.py`` and ``bench/safety.py`` (run as scripts: the repository's root
is on ``sys.path`` there, so this is ``bench._support``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import re
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiomqtt
import asyncpg
import httpx

from linkplus.db import Database, create_engine
from linkplus.migrate import upgrade
from linkplus.models.telematics import TelematicsCredential
from linkplus.models.vehicles import Vehicle
from linkplus.protocol.vehicle import Channel, topic
from linkplus.vehicle_link import credentials, mosquitto

SIGNALS = (
    "Vehicle.Speed",
    "Vehicle.TraveledDistance",
    "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
)
T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
WINDOW = 64  # QoS 1 publishes in flight per unit: a unit sending its backlog after a car park

PROCESSED = re.compile(r'^linkplus_gateway_messages_total\{result="processed"\} ([0-9.e+]+)$', re.M)

Unit = tuple[str, str, str]
"""A telematics unit: its VIN, its secret, and the secret's hash as the platform stores it."""


def vin_of(index: int, prefix: str = "LPBENCH") -> str:
    return f"{prefix}{index:0{17 - len(prefix)}d}"


def new_units(count: int, *, prefix: str = "LPBENCH", first: int = 1) -> list[Unit]:
    """``count`` units with fresh secrets, hashed as the platform stores them."""
    units = []
    for i in range(first, first + count):
        secret = credentials.new_secret()
        units.append((vin_of(i, prefix), secret, credentials.hash_secret(secret)))
    return units


def payload(vin: str, seq: int) -> bytes:
    """One telemetry message: 3 VSS signals (speed, odometer, state of charge), rising times."""
    ts = (T0 + timedelta(seconds=seq)).isoformat()
    values = (round(30 + seq % 90, 1), round(10_000 + seq * 0.02, 2), round(90 - seq % 80, 1))
    signals = [{"path": p, "value": v, "ts": ts} for p, v in zip(SIGNALS, values, strict=True)]
    body = {"msg_id": str(uuid.uuid4()), "seq": seq, "sent_at": ts, "signals": signals}
    return json.dumps(body, separators=(",", ":")).encode()


def _unit_client(spec: dict[str, Any], vin: str, secret: str, **options: Any) -> aiomqtt.Client:
    return aiomqtt.Client(
        spec["host"],
        spec["port"],
        username=vin,
        password=secret,
        identifier=vin,
        protocol=aiomqtt.ProtocolVersion.V5
        if spec.get("mqtt5", True)
        else aiomqtt.ProtocolVersion.V311,
        timeout=60,
        **options,
    )


async def publish(spec: dict[str, Any]) -> None:
    """Every unit of ``spec["units"]`` (VIN, secret, count) publishes its count of telemetry
    messages at QoS 1 as fast as it can (``WINDOW`` in flight)."""
    first_seq: int = spec["first_seq"]

    async def one(vin: str, secret: str, count: int) -> None:
        bodies = [payload(vin, first_seq + i) for i in range(count)]  # built before timing
        async with _unit_client(spec, vin, secret, max_inflight_messages=WINDOW) as client:
            name = topic(vin, Channel.telemetry)
            for start in range(0, len(bodies), WINDOW):
                chunk = bodies[start : start + WINDOW]
                await asyncio.gather(*(client.publish(name, body, qos=1) for body in chunk))

    async with asyncio.TaskGroup() as group:
        for vin, secret, count in spec["units"]:
            group.create_task(one(vin, secret, count))


async def publish_paced(
    spec: dict[str, Any], stop: asyncio.Event | None = None
) -> dict[str, float]:
    """A steady load: every unit of ``spec["units"]`` (VIN, secret, ignored) publishes telemetry
    at QoS 1, all of them together ``spec["rate"]`` messages per second, for ``spec["seconds"]``
    or until ``stop`` is set. A unit that falls behind its schedule catches up (up to ``WINDOW``
    in flight) rather than lowering the rate. ``spec["mqtt5"]`` false: MQTT 3.1.1 (the embedded
    broker). Prints ``connected`` once every unit is connected; returns what it published and
    over how long."""
    units = spec["units"]
    per_unit = spec["rate"] / len(units)
    connected = 0
    all_connected = asyncio.Event()
    sent = 0
    start = asyncio.Event()
    began = 0.0

    async def one(index: int, vin: str, secret: str) -> None:
        nonlocal connected, sent
        async with _unit_client(spec, vin, secret, max_inflight_messages=WINDOW) as client:
            connected += 1
            if connected == len(units):
                all_connected.set()
            await start.wait()
            name = topic(vin, Channel.telemetry)
            offset = index / spec["rate"]  # units take turns, not all at the same instant
            seq = spec["first_seq"]
            pending: set[asyncio.Task[None]] = set()
            while True:
                due = began + offset + (seq - spec["first_seq"]) / per_unit
                if due - began >= spec["seconds"] or (stop is not None and stop.is_set()):
                    break
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)  # the schedule of a paced load
                while len(pending) >= WINDOW:
                    _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                task = asyncio.create_task(client.publish(name, payload(vin, seq), qos=1))
                pending.add(task)
                seq += 1
                sent += 1
            if pending:
                await asyncio.gather(*pending)

    async def run() -> None:
        nonlocal began
        await all_connected.wait()
        print("connected", flush=True)
        began = time.monotonic()
        start.set()

    async with asyncio.TaskGroup() as group:
        for index, (vin, secret, _hash) in enumerate(units):
            group.create_task(one(index, vin, secret))
        group.create_task(run())
    return {"messages": sent, "seconds": time.monotonic() - began}


async def publish_paced_until_told(spec: dict[str, Any]) -> dict[str, float]:
    """``publish_paced`` in a process of its own: a line on (or the end of) standard input
    stops it early."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    reader = loop.run_in_executor(None, sys.stdin.readline)
    reader.add_done_callback(lambda _done: stop.set())
    return await publish_paced(spec, stop)


async def register_units(url: str, units: list[Unit], *, migrate: bool = True) -> None:
    """Migrated database (unless ``migrate`` is false) with the units' cars registered and
    their credentials stored."""
    if migrate:
        await asyncio.to_thread(upgrade, url)
    db = Database(create_engine(url))
    try:
        async with db.transaction() as session:
            for vin, _secret, _hash in units:
                session.add(
                    Vehicle(
                        vin=vin,
                        model_code="UX300E",
                        model_year=2025,
                        market="DE",
                        multimedia="mm21",
                        first_delivery_date=None,
                        registration_plate=None,
                        plate_key=None,
                        telematics_unit=True,
                        head_unit_public_key=None,
                        odometer_km=None,
                        odometer_reported_at=None,
                        created_at=T0,
                        updated_at=T0,
                    )
                )
            await session.flush()
            for vin, secret, secret_hash in units:
                session.add(
                    TelematicsCredential(
                        vin=vin,
                        secret_hash=secret_hash,
                        broker_hash=mosquitto.password_hash(secret),
                        created_at=T0,
                        rotated_at=None,
                    )
                )
    finally:
        await db.dispose()


async def create_database(server: Any, name: str) -> str:
    """A new database on a ``tests.servers.postgres_server``; its SQLAlchemy URL."""
    conn = await asyncpg.connect(f"postgresql://{server.user}@{server.host}:{server.port}/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return str(server.url(name))


def machine() -> dict[str, Any]:
    """The machine a figure was taken on: cores, CPU model, Python, load average, date."""
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
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "date": datetime.now(UTC).date().isoformat(),
    }


def processed_total(ports: list[int]) -> int:
    """Messages the gateways listening on these metrics ports (``/metrics``) have processed."""
    total = 0
    for port in ports:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        match = PROCESSED.search(text)
        total += int(float(match.group(1))) if match else 0
    return total


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user and system) the processes used so far, from ``/proc``."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total
