"""Reading the car's state: ``GET /api/v1/vehicles/{vin}/status`` on PostgreSQL, served by
several ``linkplus serve`` processes, against a bare Starlette + asyncpg handler in as many
processes that reads the same rows and returns the same JSON, in the same run.

Usage: ``.venv/bin/python bench/api.py [--quick] [--workers K] [--cars M] [--seconds S]
[--connections C]``

A real PostgreSQL is started from its binaries (``tests/servers.py``). M cars, each with its
primary owner (a signed-in session and an access token), the vehicle-status service active and a
twin of 20 signals (doors, windows, lights, tyres, odometer, battery), are put in a fresh
migrated database. Then K ``linkplus serve`` processes (HTTP only: no job worker, no gateway)
and K bare processes (``bench/api.py --bare-server``: Starlette on uvicorn, one asyncpg pool)
listen on ports of their own. The bare handler reads the rows the platform reads for the answer
(the car and its primary account, the link state, the twin) with three asyncpg statements,
builds the answer with the same pure rules (``vehicle_link.status``) and returns the same JSON:
checked once per car before timing. It does no authentication; the platform checks the token,
its sign-in session, the car's garage and the service's activation, as it must.

The load is C kept-alive HTTP/1.1 connections (spread over the K processes), each sending the
next request when the last answer is in, from a plain asyncio client in this process (a few
microseconds per request). Ours and bare take turns, S seconds each, twice; the figure is each
side's better turn. Every answer is checked to be 200.

The last line of output is one line of JSON with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.servers and the tests' helpers, as the other benches

from bench._serving import serving  # noqa: E402
from bench._support import create_database, machine  # noqa: E402
from tests.servers import free_port, postgres_server  # noqa: E402

from linkplus.config import Settings  # noqa: E402
from linkplus.vehicle_link import status  # noqa: E402
from linkplus.vehicles.catalogue import catalogue, market_capabilities  # noqa: E402

SECRET_KEY = "api-bench-secret-key-long-enough-for-hs256-signing"  # noqa: S105 (a bench)
MODEL = "NX450HP"
ONLINE_MINUTES = Settings.model_fields["vehicle_online_minutes"].default


def _signals(now: datetime) -> dict[str, Any]:
    """What a parked car has reported: a twin of 20 signals."""
    values: dict[str, Any] = {
        "Vehicle.TraveledDistance": 23_456.7,
        "Vehicle.Speed": 0.0,
        "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current": 81.5,
        "Vehicle.Powertrain.FuelSystem.RelativeLevel": 64.0,
        "Vehicle.Body.Trunk.Rear.IsOpen": False,
        "Vehicle.Body.Trunk.Rear.IsLocked": True,
        "Vehicle.Body.Hood.IsOpen": False,
        "Vehicle.Body.Lights.Beam.Low.IsOn": False,
        "Vehicle.Body.Lights.Beam.High.IsOn": False,
        "Vehicle.Body.Lights.Parking.IsOn": False,
        "Vehicle.Body.Lights.Hazard.IsSignaling": False,
        "Vehicle.LowVoltageBattery.CurrentVoltage": 12.6,
    }
    for row in ("Row1", "Row2"):
        for side in ("DriverSide", "PassengerSide"):
            values[f"Vehicle.Cabin.Door.{row}.{side}.IsOpen"] = False
            values[f"Vehicle.Cabin.Door.{row}.{side}.IsLocked"] = True
    return {path: (value, now - timedelta(minutes=3)) for path, value in values.items()}


async def _prepare(url: str, cars: int, work: Path) -> list[tuple[str, str]]:
    """The cars, their owners and twins; returns (VIN, bearer token) per car."""
    from tests.connected_services.support import ACCEPT_DE, activate, link, make_vehicle, owner

    from linkplus.app import create_app
    from linkplus.db import Database, create_engine
    from linkplus.kit.clock import SystemClock
    from linkplus.migrate import upgrade
    from linkplus.models.twin import TwinSignal, VehicleLinkState
    from linkplus.runtime import Runtime

    await asyncio.to_thread(upgrade, url)
    settings = Settings(
        data_dir=work,
        database_url=url,
        secret_key=SECRET_KEY,
        worker_enabled=False,
        gateway_enabled=False,
        log_level="WARNING",
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        argon2_parallelism=1,
    )
    runtime = Runtime(settings=settings, db=Database(create_engine(url)), clock=SystemClock())
    app = create_app(runtime, run_worker=False, run_gateway=False)
    out = []
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for _ in range(cars):
                person = await owner(runtime)
                vin = await make_vehicle(runtime, model_code=MODEL)
                since = runtime.clock.now() - timedelta(days=365)
                await link(runtime, person.account, vin, primary=True, since=since)
                activated = await activate(client, person, vin, accept=ACCEPT_DE)
                assert activated.status_code == 200, activated.text
                now = runtime.clock.now()
                async with runtime.db.transaction() as session:
                    for path, (value, ts) in _signals(now).items():
                        session.add(
                            TwinSignal(vin=vin, path=path, value=value, ts=ts, received_at=ts)
                        )
                    session.add(
                        VehicleLinkState(
                            vin=vin,
                            last_heard_at=now - timedelta(minutes=3),
                            last_seq=1,
                            last_ignition_on_at=now - timedelta(hours=1),
                            last_ignition_off_at=now - timedelta(minutes=5),
                            asleep_since=None,
                            awake_since=now - timedelta(hours=1),
                            parked_at=None,
                            parked_latitude=None,
                            parked_longitude=None,
                            parked_heading=None,
                        )
                    )
                out.append((vin, person.headers["Authorization"].split(" ", 1)[1]))
    finally:
        await runtime.db.dispose()
    return out


# --- the bare handler (its own process) --------------------------------------------------------

_CAR = """
SELECT v.model_code, v.market, p.since
FROM vehicles v JOIN primary_accounts p ON p.vin = v.vin
WHERE v.vin = $1
"""
_LINK = """
SELECT last_heard_at, last_ignition_on_at, last_ignition_off_at, asleep_since, awake_since
FROM vehicle_link_states WHERE vin = $1
"""
_TWIN = "SELECT path, value, ts FROM vehicle_twin_signals WHERE vin = $1"


def bare_app(dsn: str) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    pool: list[asyncpg.Pool] = []
    models = catalogue()
    online = timedelta(minutes=ONLINE_MINUTES)

    async def lifespan(_app: Any) -> Any:
        pool.append(await asyncpg.create_pool(dsn, min_size=2, max_size=10))
        yield
        await pool[0].close()

    async def vehicle_status(request: Request) -> Response:
        vin = request.path_params["vin"]
        async with pool[0].acquire() as conn:
            car = await conn.fetchrow(_CAR, vin)
            if car is None:
                return Response(status_code=404)
            link = await conn.fetchrow(_LINK, vin)
            twin = await conn.fetch(_TWIN, vin)
        model = models.get(car["model_code"])
        assert model is not None
        values = {
            r["path"]: (json.loads(r["value"]), r["ts"]) for r in twin if r["ts"] >= car["since"]
        }
        facts = None if link is None else status.LinkFacts(**dict(link))
        out = status.vehicle_status(
            vin,
            values,
            powertrain=model.powertrain,
            capabilities=market_capabilities(model, car["market"]),
            connection=status.connection(facts, now=datetime.now(UTC), online_within=online),
        )
        return Response(out.model_dump_json(), media_type="application/json")

    return Starlette(
        routes=[Route("/api/v1/vehicles/{vin}/status", vehicle_status)], lifespan=lifespan
    )


def run_bare_server(dsn: str, port: int) -> None:
    import uvicorn

    uvicorn.run(bare_app(dsn), host="127.0.0.1", port=port, log_level="warning", access_log=False)


@contextlib.contextmanager
def bare_servers(dsn: str, count: int) -> Iterator[list[int]]:
    ports = [free_port() for _ in range(count)]
    command = [sys.executable, str(Path(__file__).resolve()), "--bare-server", "--dsn", dsn]
    running = [
        subprocess.Popen([*command, "--port", str(port)], stdout=subprocess.DEVNULL)
        for port in ports
    ]
    try:
        deadline = time.monotonic() + 240  # as `serving`: a loaded machine
        for port in ports:
            while True:
                with (
                    contextlib.suppress(OSError),
                    contextlib.closing(
                        __import__("socket").create_connection(("127.0.0.1", port), 1)
                    ),
                ):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("the bare server did not start")
                time.sleep(0.1)  # a process starting up: nothing to wait on but time
        yield ports
    finally:
        for process in running:
            process.terminate()
        for process in running:
            process.wait(timeout=30)


# --- the load --------------------------------------------------------------------------------


async def _connection(
    port: int, requests: list[bytes], stop: float, counts: list[int], bad: list[str]
) -> None:
    """One kept-alive connection sending the next request when the last answer is in."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        i = random.randrange(len(requests))
        while time.monotonic() < stop:
            writer.write(requests[i % len(requests)])
            i += 1
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 200"):
                bad.append(head.split(b"\r\n", 1)[0].decode() + " " + body[:200].decode())
            counts[0] += 1
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def _requests(cars: list[tuple[str, str]], *, auth: bool) -> list[bytes]:
    out = []
    for vin, token in cars:
        head = f"GET /api/v1/vehicles/{vin}/status HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if auth:
            head += f"Authorization: Bearer {token}\r\n"
        out.append((head + "\r\n").encode())
    return out


async def _load(ports: list[int], requests: list[bytes], connections: int, seconds: float) -> float:
    counts = [0]
    bad: list[str] = []
    stop = time.monotonic() + seconds
    started = time.monotonic()
    await asyncio.gather(
        *(
            _connection(ports[i % len(ports)], requests, stop, counts, bad)
            for i in range(connections)
        )
    )
    elapsed = time.monotonic() - started
    if bad:
        raise RuntimeError(f"{len(bad)} answers were not 200, first: {bad[0]}")
    return counts[0] / elapsed


async def _same_answers(ours: int, bare: int, cars: list[tuple[str, str]]) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        for vin, token in cars:
            path = f"/api/v1/vehicles/{vin}/status"
            mine = await http.get(
                f"http://127.0.0.1:{ours}{path}", headers={"Authorization": f"Bearer {token}"}
            )
            theirs = await http.get(f"http://127.0.0.1:{bare}{path}")
            assert mine.status_code == theirs.status_code == 200, (mine.text, theirs.text)
            assert mine.json() == theirs.json(), (mine.json(), theirs.json())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 s turns (< 1 minute)")
    parser.add_argument("--workers", type=int, default=2, help="processes per side")
    parser.add_argument("--cars", type=int, default=None, help="cars (default 50; quick 10)")
    parser.add_argument("--seconds", type=float, default=None, help="per turn (default 15)")
    parser.add_argument("--connections", type=int, default=16, help="kept-alive connections")
    parser.add_argument("--bare-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dsn", default="", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        run_bare_server(args.dsn, args.port)
        return
    cars_wanted = args.cars or (10 if args.quick else 50)
    seconds = args.seconds or (5.0 if args.quick else 15.0)
    results: dict[str, Any] = {"bench": "api", "machine": machine()}
    began = time.monotonic()
    with postgres_server() as server, tempfile.TemporaryDirectory() as tmp:
        name = f"api_bench_{uuid.uuid4().hex[:8]}"
        url = asyncio.run(create_database(server, name))
        dsn = f"postgresql://{server.user}@{server.host}:{server.port}/{name}"
        cars = asyncio.run(_prepare(url, cars_wanted, Path(tmp)))
        with (
            serving(url, Path(tmp), secret_key=SECRET_KEY, processes=args.workers) as ours,
            bare_servers(dsn, args.workers) as bare,
        ):
            ours_ports = [port for port, _ in ours]
            asyncio.run(_same_answers(ours_ports[0], bare[0], cars))
            turns: dict[str, list[float]] = {"ours": [], "bare": []}
            for _ in range(2):
                turns["ours"].append(
                    asyncio.run(
                        _load(ours_ports, _requests(cars, auth=True), args.connections, seconds)
                    )
                )
                turns["bare"].append(
                    asyncio.run(_load(bare, _requests(cars, auth=False), args.connections, seconds))
                )
    ours_rate, bare_rate = max(turns["ours"]), max(turns["bare"])
    ratio = ours_rate / bare_rate
    print(
        f"GET /api/v1/vehicles/{{vin}}/status, PostgreSQL, {args.workers} processes a side, "
        f"{args.connections} connections: ours {ours_rate:,.0f}/s, bare {bare_rate:,.0f}/s, "
        f"ours / bare {ratio:.2f} (aim at least 0.5: {'met' if ratio >= 0.5 else 'not met'})",
        flush=True,
    )
    results.update(
        endpoint="GET /api/v1/vehicles/{vin}/status",
        database="postgresql",
        workers=args.workers,
        connections=args.connections,
        cars=cars_wanted,
        seconds_per_turn=seconds,
        ours_per_s=round(ours_rate, 1),
        bare_per_s=round(bare_rate, 1),
        ours_turns=[round(x, 1) for x in turns["ours"]],
        bare_turns=[round(x, 1) for x in turns["bare"]],
        ours_over_bare=round(ratio, 3),
        wall_seconds=round(time.monotonic() - began, 1),
    )
    results["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(results))


if __name__ == "__main__":
    main()
