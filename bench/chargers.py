"""Home chargers over OCPP (the issue's ``bench/ocpp.py``; named ``chargers.py`` because a script's
folder comes first on Python's path, so a ``bench/ocpp.py`` would stand in for the ``ocpp``
library in every bench that imports the platform): N simulated chargers (OCPP 2.0.1, the
``ocpp`` library as a charging station, one WebSocket each, HTTP Basic auth) connected to one
``linkplus ocpp`` process, each in a charging session, send meter values on a compressed clock
(every message is a quarter hour of charging) as fast as the answers come back.

Usage: ``.venv/bin/python bench/chargers.py [--quick] [--chargers N] [--messages K]``

* **ours**: the platform's central system (``linkplus ocpp``, a process of its own, on a SQLite
  file in a temporary data dir): each message authenticated at connect, each meter value stored
  and the session's energy and cost brought up to date, one transaction per message.
* **bare**: in the same run, a bare ``ocpp`` central system in a process of its own that only
  answers (the same library and WebSocket server, no database, nothing stored).

Both get the same N chargers sending K meter values each. Reported: chargers held at once,
messages per second (meter values answered / wall time of that phase) and p50/p99 answer time
(from the charger's send to its receiving the answer), and ours as a share of the bare rate.
``--quick``: 50 chargers, 10 messages each (under a minute on an idle machine). The default:
1,000 chargers, 30 messages each.
The last line of output is one line of JSON with the figures and the machine (cores, load).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # bench._support and tests.*: the helpers the other benches use

from bench._support import machine  # noqa: E402
from tests.support import make_owner  # noqa: E402

from linkplus.bootstrap import build_runtime  # noqa: E402
from linkplus.config import Settings  # noqa: E402
from linkplus.kit.secrets import token_hash  # noqa: E402
from linkplus.migrate import upgrade  # noqa: E402
from linkplus.models.charging import Charger  # noqa: E402
from linkplus.sim.charger import ChargerSpec, SimCharger, connect  # noqa: E402

PASSWORD = "bench-charger-password-0001"  # noqa: S105 - the bench's own chargers
ID_TAG = "BENCHTAG0001"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit(f"the server on port {port} ended while starting")
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        await asyncio.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port}")


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@contextlib.asynccontextmanager
async def _process(args: list[str], port: int, env: dict[str, str]) -> AsyncIterator[None]:
    process = _spawn(args, env)
    try:
        await _wait_listening(port, process)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


async def _prepare(data_dir: Path, count: int) -> None:
    """The platform's database: one owner with N onboarded chargers (as the label would)."""
    settings = Settings(
        data_dir=data_dir, log_level="WARNING", argon2_time_cost=1, argon2_memory_kib=8192
    )
    upgrade(settings.resolved_database_url)
    runtime = build_runtime(settings)
    try:
        owner = await make_owner(runtime)
        now = runtime.clock.now()
        async with runtime.db.transaction() as session:
            for index in range(count):
                session.add(
                    Charger(
                        identity=f"BENCH-{index:05d}",
                        activation_code_hash=token_hash(f"code-{index}"),
                        registered_at=now,
                        account_id=owner.id,
                        onboarded_at=now,
                        password_hash=token_hash(PASSWORD),
                        id_tag=ID_TAG,
                        price_per_kwh_e4=3000,
                        currency="EUR",
                        max_power_w=11_000,
                        connected=False,
                        next_transaction=1,
                    )
                )
    finally:
        await runtime.db.dispose()


async def _one_charger(
    spec: ChargerSpec, url: str, messages: int, ready: asyncio.Barrier, go: asyncio.Event
) -> list[float]:
    times: list[float] = []
    async with connect(spec, url) as charger:
        await charger.boot()
        await _start(charger)
        await ready.wait()
        await go.wait()
        for _ in range(messages):
            began = time.perf_counter()
            await charger.charge_for(900)  # a quarter hour of charging per message
            times.append(time.perf_counter() - began)
        await ready.wait()  # hold the connection until every charger is done
    return times


async def _start(charger: SimCharger) -> None:
    if not await charger.start_locally(ID_TAG):
        raise SystemExit("the central system refused the bench's token")


async def _run(url: str, count: int, messages: int) -> dict[str, Any]:
    ready = asyncio.Barrier(count + 1)
    go = asyncio.Event()
    specs = [ChargerSpec(f"BENCH-{i:05d}", PASSWORD, protocol="ocpp2.0.1") for i in range(count)]
    tasks = [asyncio.create_task(_one_charger(s, url, messages, ready, go)) for s in specs]
    connect_started = time.perf_counter()
    waiting = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait([waiting, *tasks], return_when=asyncio.FIRST_COMPLETED)
    if waiting not in done:
        for task in done:
            task.result()  # a charger failed before everyone was ready: say why
    connected_s = time.perf_counter() - connect_started
    started = time.perf_counter()
    go.set()
    finishing = asyncio.create_task(ready.wait())
    results = await asyncio.gather(*tasks, finishing)
    wall = time.perf_counter() - started
    times = sorted(t for per in results[:-1] for t in per)
    return {
        "chargers_held": count,
        "connect_and_boot_s": round(connected_s, 2),
        "messages": len(times),
        "messages_per_s": round(len(times) / wall, 1),
        "p50_ms": round(statistics.median(times) * 1000, 2),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))] * 1000, 2),
    }


def serve_bare(port: int) -> None:
    """A central system that only answers (run as this script's own process)."""
    import websockets
    from ocpp.routing import on
    from ocpp.v201 import ChargePoint, call_result
    from ocpp.v201.enums import Action

    class Bare(ChargePoint):  # type: ignore[misc]
        @on(Action.boot_notification)
        def boot(self, **_: Any) -> Any:
            return call_result.BootNotification(
                current_time="2026-12-07T00:00:00Z", interval=300, status="Accepted"
            )

        @on(Action.status_notification)
        def status(self, **_: Any) -> Any:
            return call_result.StatusNotification()

        @on(Action.heartbeat)
        def heartbeat(self, **_: Any) -> Any:
            return call_result.Heartbeat(current_time="2026-12-07T00:00:00Z")

        @on(Action.transaction_event)
        def transaction_event(self, **kw: Any) -> Any:
            if kw.get("id_token") is not None:
                return call_result.TransactionEvent(id_token_info={"status": "Accepted"})
            return call_result.TransactionEvent()

    async def handler(connection: Any) -> None:
        identity = connection.request.path.rsplit("/", 1)[-1]
        with contextlib.suppress(websockets.ConnectionClosed):
            await Bare(identity, connection).start()

    async def main() -> None:
        async with websockets.serve(
            handler, "127.0.0.1", port, subprotocols=["ocpp2.0.1"], max_queue=None
        ):
            await asyncio.Future()

    asyncio.run(main())


async def bench(count: int, messages: int) -> dict[str, Any]:
    env = {**os.environ, "LINKPLUS_LOG_LEVEL": "WARNING"}
    before = machine()
    with tempfile.TemporaryDirectory(prefix="linkplus-ocpp-bench-") as data:
        data_dir = Path(data)
        await _prepare(data_dir, count)
        ours_port = _free_port()
        ours_cmd = [sys.executable, "-m", "linkplus", "ocpp", "--port", str(ours_port)]
        ours_cmd += ["--data-dir", str(data_dir)]
        async with _process(ours_cmd, ours_port, env):
            ours = await _run(f"ws://127.0.0.1:{ours_port}/ocpp", count, messages)
        bare_port = _free_port()
        bare_cmd = [sys.executable, str(Path(__file__)), "--bare-port", str(bare_port)]
        async with _process(bare_cmd, bare_port, env):
            bare = await _run(f"ws://127.0.0.1:{bare_port}/ocpp", count, messages)
    return {
        "bench": "ocpp",
        "chargers": count,
        "messages_per_charger": messages,
        "ours": ours,
        "bare": bare,
        "ours_share_of_bare_rate": round(ours["messages_per_s"] / bare["messages_per_s"], 2),
        "database": "sqlite",
        "machine_before": before,
        "machine_after": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 chargers, 10 messages each")
    parser.add_argument("--chargers", type=int, default=None)
    parser.add_argument("--messages", type=int, default=None)
    parser.add_argument("--bare-port", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_port is not None:
        serve_bare(args.bare_port)
        return
    count = args.chargers or (50 if args.quick else 1000)
    messages = args.messages or (10 if args.quick else 30)
    figures = asyncio.run(bench(count, messages))
    ours, bare = figures["ours"], figures["bare"]
    print(f"chargers held: {ours['chargers_held']} (ours), {bare['chargers_held']} (bare)")
    for name, side in (("ours", ours), ("bare", bare)):
        print(
            f"{name}: {side['messages_per_s']} messages/s, p50 {side['p50_ms']} ms, "
            f"p99 {side['p99_ms']} ms, connect+boot {side['connect_and_boot_s']} s"
        )
    print(f"ours / bare rate: {figures['ours_share_of_bare_rate']}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
