"""A fleet of simulated cars on the embedded broker, side by side with the same fleet on
Mosquitto in the same run.

Usage: ``.venv/bin/python bench/fleet.py [--quick] [--cars 1000] [--statuses 5]
[--no-mosquitto]``

N simulated telematics units (``sim.unit.TelematicsUnit``, each with its own credential, client
id and connection) are started all at once on a broker, with a client signed in as the gateway
on the other side (``tests/sim/support.py``):

* **connect**: from starting every unit to every unit connected with its first status delivered
  (each unit's credential is checked by the broker: a salted SHA-256 on the embedded broker,
  PBKDF2 by Mosquitto's password file);
* **telemetry**: each unit sends ``--statuses`` status messages (every signal of the car, about
  1.4 kB each) at QoS 1; messages per second until the gateway side has them all;
* **commands**: one ``refresh`` to every car at once; p50 and p99 from publishing a command to
  the car's ``succeeded`` result arriving, and the time until every car had answered.

*ours* is the embedded amqtt broker as ``serve`` and ``demo`` run it (in this process, so it
shares one event loop with the units and the watcher, as it shares one with the platform
there); *reference* is Mosquitto 2 (started from its binary as the tests start it, with the
per-VIN password file and ACLs that ``vehicle_link.mosquitto`` writes), the broker a deployment
uses. ``connections`` above ``cars`` counts connections that were lost or refused and made
again. The database is SQLite in a temporary directory.

**Soak** (``bench/_soak.py``, issue 22): a real ``linkplus serve`` process (embedded broker,
gateway, SQLite) and ``--soak-cars`` simulated cars (``sim.fleet``: driving, parking, trips,
answering commands; registered through ``sim.registry`` in short transactions) for
``--soak-seconds``. It reports the most cars connected at once and the connections made, the
messages the cars had acknowledged (published) against those stored (``vehicle_messages_seen``),
the status read (``GET /vehicles/{vin}/status`` of a car with an owner, every 0.25 s) p50/p95
during the load, and CPU (share of one core) and resident memory per process.

``--quick``: only the soak, 100 cars for 20 s (under a minute); the last line of output is one
line of JSON with the figures and the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.*: the same Mosquitto helper and fleet as the tests

from bench._soak import soak  # noqa: E402
from tests.servers import free_port, mosquitto_server  # noqa: E402
from tests.sim.support import FleetFigures, provision_fleet, run_fleet  # noqa: E402

from linkplus.bootstrap import build_runtime  # noqa: E402
from linkplus.config import Settings  # noqa: E402
from linkplus.kit.clock import SystemClock  # noqa: E402
from linkplus.migrate import upgrade  # noqa: E402
from linkplus.vehicle_link import credentials, mosquitto  # noqa: E402
from linkplus.vehicle_link.acl import GATEWAY_USERNAME  # noqa: E402
from linkplus.vehicle_link.broker import EmbeddedBroker  # noqa: E402
from linkplus.vehicle_link.client import BrokerAddress  # noqa: E402

SECRET_KEY = "fleet-bench-secret-key-long-enough-for-hs256-signing"  # noqa: S105 - local only
BOUND_SECONDS = 300.0  # per phase; only reached when something is wrong


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
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "date": datetime.now(UTC).date().isoformat(),
    }


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
            BrokerAddress(server.host, server.ports[0]),
            BrokerAddress(server.host, server.ports[1]),
        )


def show(name: str, row: FleetFigures) -> None:
    print(
        f"{name:>9}: {row.cars} cars connected in {row.connect_s:.1f} s "
        f"({row.connections} connections); telemetry {row.telemetry_msg_per_s:,.0f} msg/s "
        f"({row.telemetry_messages} in {row.telemetry_s:.1f} s); commands p50 "
        f"{row.command_p50_ms:,.0f} ms p99 {row.command_p99_ms:,.0f} ms, all {row.commands} "
        f"answered in {row.command_all_s:.1f} s",
        flush=True,
    )


async def main_async(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    logging.getLogger("mqtt").setLevel(logging.ERROR)  # aiomqtt: "pending publish calls"
    url = f"sqlite+aiosqlite:///{work / 'fleet.db'}"
    upgrade(url)
    settings = Settings(
        data_dir=work,
        database_url=url,
        secret_key=SECRET_KEY,
        public_url="http://bench.invalid",
        smtp_url=None,
        worker_enabled=False,
        gateway_enabled=False,
        log_json=True,
        log_level="ERROR",
    )
    runtime = build_runtime(settings, clock=SystemClock())
    secret = credentials.gateway_secret(settings)
    started = time.perf_counter()
    rows: dict[str, FleetFigures] = {}
    try:
        cars = await provision_fleet(runtime, args.cars)
        print(f"set up {len(cars)} cars in {time.perf_counter() - started:.1f} s", flush=True)
        broker = EmbeddedBroker(runtime.db, gateway_secret=secret, port=free_port())
        async with broker:
            rows["ours"] = await run_fleet(
                cars,
                broker.address,
                broker.address,
                secret,
                statuses=args.statuses,
                bound=BOUND_SECONDS,
            )
        show("ours", rows["ours"])
        if args.mosquitto:
            async with runtime.db.transaction() as session:
                entries = await credentials.broker_password_entries(session)
            with mosquitto_broker(entries, secret) as (vehicles, gateway):
                rows["reference"] = await run_fleet(
                    cars, vehicles, gateway, secret, statuses=args.statuses, bound=BOUND_SECONDS
                )
            show("reference", rows["reference"])
    finally:
        await runtime.db.dispose()
    ours = rows["ours"]
    reference = rows.get("reference")
    return {
        "bench": "fleet",
        "quick": args.quick,
        "cars": args.cars,
        "statuses": args.statuses,
        "ours": {"broker": "embedded-amqtt", **asdict(ours)},
        "reference": {"broker": "mosquitto", **asdict(reference)} if reference else None,
        "ratio_telemetry": (
            round(ours.telemetry_msg_per_s / reference.telemetry_msg_per_s, 2)
            if reference
            else None
        ),
        "seconds": round(time.perf_counter() - started, 1),
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Under a minute: the soak only.")
    parser.add_argument("--cars", type=int, default=None, help="Cars (default 1000).")
    parser.add_argument("--statuses", type=int, default=5, help="Status messages per car.")
    parser.add_argument(
        "--no-mosquitto", dest="mosquitto", action="store_false", help="Skip the reference."
    )
    parser.add_argument("--soak-cars", type=int, default=None, help="Soak cars (1000; quick 100).")
    parser.add_argument(
        "--soak-seconds", type=float, default=None, help="Soak time (180; quick 20; 0: none)."
    )
    parser.add_argument(
        "--soak-speed",
        type=float,
        default=3600.0,
        help="Simulated time per real time: the cars replay seconds × speed of their past.",
    )
    args = parser.parse_args()
    if args.cars is None:
        args.cars = 300 if args.quick else 1000
    if args.soak_cars is None:
        args.soak_cars = 100 if args.quick else 1000
    if args.soak_seconds is None:
        args.soak_seconds = 20.0 if args.quick else 180.0
    if args.mosquitto and shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin") is None:
        print("mosquitto not found: no reference run", flush=True)
        args.mosquitto = False
    with tempfile.TemporaryDirectory(prefix="linkplus-fleet-") as tmp:
        result: dict[str, Any] = {"bench": "fleet", "quick": args.quick}
        if not args.quick:
            result = asyncio.run(main_async(args, Path(tmp) / "brokers"))
        if args.soak_seconds > 0:
            (Path(tmp) / "soak").mkdir()
            soaked = asyncio.run(
                soak(args.soak_cars, args.soak_seconds, args.soak_speed, Path(tmp) / "soak")
            )
            print(f"soak: {json.dumps(soaked)}", flush=True)
            result["soak"] = soaked
        result["machine"] = machine()
    print(json.dumps(result, separators=(",", ":")))


if __name__ == "__main__":
    main()
