"""The platform soak of ``bench/fleet.py``: a real ``linkplus serve`` (embedded broker, SQLite)
and a fleet of simulated cars driving, parking and answering commands (``sim.fleet``), for a
bounded time; what it reports is described in ``bench/fleet.py``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from tests.servers import free_port
from tests.support import bearer_for
from tests.vehicle_link.support import make_car

from linkplus.app import create_app
from linkplus.bootstrap import build_runtime
from linkplus.config import Settings
from linkplus.kit.clock import SystemClock
from linkplus.migrate import upgrade
from linkplus.models.twin import SeenMessage
from linkplus.remote import signing
from linkplus.sim.fleet import Fleet
from linkplus.sim.registry import register_fleet
from linkplus.vehicle_link.client import BrokerAddress, MqttVersion

SECRET_KEY = "fleet-soak-secret-key-long-enough-for-hs256-signing"  # noqa: S105 - local only
STATUS_EVERY = 0.25  # seconds between two status reads of the watched car


def process_figures(pid: int, cpu_before: float, seconds: float) -> dict[str, float]:
    """CPU (share of one core over the run) and resident memory (MB) of one process."""
    ticks = os.sysconf("SC_CLK_TCK")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    rss_kb = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss_kb = int(line.split()[1])
    return {
        "cpu_percent": round(100 * (cpu - cpu_before) / seconds, 1),
        "rss_mb": round(rss_kb / 1024, 1),
    }


def cpu_of(pid: int) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / ticks


async def soak(cars_count: int, seconds: float, speed: float, work: Path) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{work / 'soak.db'}"
    upgrade(url)
    port, mqtt_port = free_port(), free_port()
    settings = Settings(
        data_dir=work,
        database_url=url,
        secret_key=SECRET_KEY,
        public_url=f"http://127.0.0.1:{port}",
        smtp_url=None,
        worker_enabled=False,
        log_json=True,
        log_level="ERROR",
    )
    runtime = build_runtime(settings, clock=SystemClock())
    figures: dict[str, Any] = {"cars": cars_count, "seconds": seconds, "speed": speed}
    serve: subprocess.Popen[bytes] | None = None
    try:
        started = time.perf_counter()
        cars = await register_fleet(runtime, vehicles_count=cars_count, seed=5)
        figures["registration_s"] = round(time.perf_counter() - started, 1)
        print(f"soak: {len(cars)} cars registered in {figures['registration_s']} s", flush=True)
        app = create_app(runtime, run_worker=False)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as local:
            watched = await make_car(runtime, local, model_code="UX300E")
        headers = await bearer_for(runtime, watched.owner.account)
        environment = {k: v for k, v in os.environ.items() if not k.startswith("LINKPLUS_")}
        environment.update(
            {
                "LINKPLUS_DATA_DIR": str(work / "serve"),
                "LINKPLUS_DATABASE_URL": url,
                "LINKPLUS_SECRET_KEY": SECRET_KEY,
                "LINKPLUS_LOG_LEVEL": "ERROR",
            }
        )
        log = (work / "serve.log").open("wb")
        command = [sys.executable, "-m", "linkplus", "serve", "--port", str(port)]
        serve = subprocess.Popen(  # noqa: ASYNC220 - started once, before the load
            [*command, "--mqtt-port", str(mqtt_port)],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            deadline = time.monotonic() + 120
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/readyz")).status_code == 200:
                        break
                if time.monotonic() > deadline or serve.poll() is not None:
                    raise RuntimeError("serve did not start:\n" + (work / "serve.log").read_text())
                await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)  # the embedded broker starts with the app
            print("soak: serve ready; the cars drive", flush=True)
            now = runtime.clock.now().replace(microsecond=0)
            fleet = Fleet(
                cars,
                BrokerAddress("127.0.0.1", mqtt_port, MqttVersion.v311),
                seed=5,
                speed=speed,
                # The cars replay the last ``seconds × speed`` of their days (trips, parking,
                # charging) and reach the platform's time as the soak ends.
                start=now - timedelta(seconds=seconds * speed),
                platform_start=now,
                command_master=signing.master_secret(settings),
            )
            stop = asyncio.Event()
            cpu_serve, cpu_bench = cpu_of(serve.pid), cpu_of(os.getpid())
            async with runtime.db.read() as session:
                stored_before = int(
                    await session.scalar(select(func.count(SeenMessage.msg_id))) or 0
                )
            driving = asyncio.create_task(fleet.run(stop))
            statuses: list[float] = []
            codes: dict[int, int] = {}
            most_connected = 0
            run_started = time.perf_counter()
            vin = watched.vin
            while time.perf_counter() - run_started < seconds:
                begun = time.perf_counter()
                response = await http.get(f"/api/v1/vehicles/{vin}/status", headers=headers)
                statuses.append((time.perf_counter() - begun) * 1000)
                codes[response.status_code] = codes.get(response.status_code, 0) + 1
                most_connected = max(most_connected, sum(u.connected for u in fleet.units))
                await asyncio.sleep(STATUS_EVERY)
            ran = time.perf_counter() - run_started
            published = fleet.stats.sent
            connections = sum(unit.stats.connections for unit in fleet.units)
            stop.set()
            print("soak: stopping the cars", flush=True)
            await driving
            processes = {
                "serve": process_figures(serve.pid, cpu_serve, ran),
                "cars (this bench)": process_figures(os.getpid(), cpu_bench, ran),
            }
            await asyncio.sleep(3)  # what the broker took in is stored meanwhile
            async with runtime.db.read() as session:
                stored = int(await session.scalar(select(func.count(SeenMessage.msg_id))) or 0)
        stored -= stored_before
        ordered = sorted(statuses)
        figures.update(
            {
                "cars_connected_max": most_connected,
                "connections": connections,
                "published": published,
                "stored": stored,
                "stored_per_published": round(stored / published, 3) if published else None,
                "published_per_s": round(published / ran, 1),
                "status_reads": len(statuses),
                "status_codes": codes,
                "status_p50_ms": round(statistics.median(ordered), 1),
                "status_p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
                "processes": processes,
            }
        )
    finally:
        if serve is not None and serve.poll() is None:
            serve.terminate()
            try:
                serve.wait(timeout=20)
            except subprocess.TimeoutExpired:
                serve.kill()
        await runtime.db.dispose()
    return figures
