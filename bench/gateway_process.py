"""The gateway's own processing, without MQTT: ``Gateway.process`` on PostgreSQL against the bare
libraries doing the same work.

Usage: ``.venv/bin/python bench/gateway_process.py [--quick] [--units M] [--messages N]
[--batch B] [--profile]``

A real PostgreSQL is started from its binaries (``tests.servers``), migrated, and M cars with
telematics units are registered. N telemetry messages (3 VSS signals each, the payloads
``bench/ingest.py`` publishes) are encoded before timing, in arrival order (the units take turns),
and measured side by side in the same run:

* *ours*: ``Gateway.process`` fed batches of B (``gateway_batch_size``) in a loop: parsing,
  provisioning check, de-duplication, link states, twin, history, odometer, one commit per batch;
* *parse only*: a bare loop calling ``protocol.parse`` on the same messages (what validation
  alone costs);
* *bare asyncpg*: the same rows the gateway writes per batch (message ids claimed with
  ``RETURNING``, link states, twin and history upserts with the same conflict rules), written by
  asyncpg directly (``executemany``, one transaction per batch) from rows prepared before timing;
  what the database and the driver alone cost, with no ORM, no parsing and no planning;
* *ours per CPU second*: messages per second of CPU time used by the gateway's own process
  (PostgreSQL's work not included); steadier than the wall-clock rates on a shared machine;
* *bare ideal*: parse only and bare asyncpg one after the other (``1 / (1/parse + 1/asyncpg)``),
  the rate a gateway with zero overhead of its own would reach on one core.

The last line of output is one line of JSON with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.servers and bench.ingest

from bench._support import SIGNALS, create_database, machine, payload, vin_of  # noqa: E402
from bench._support import register_units as prepare  # noqa: E402
from tests.servers import postgres_server  # noqa: E402

from linkplus.bootstrap import build_runtime  # noqa: E402
from linkplus.config import Settings  # noqa: E402
from linkplus.protocol import vehicle as protocol  # noqa: E402
from linkplus.protocol.vehicle import Channel, topic  # noqa: E402
from linkplus.vehicle_link import credentials, ingest  # noqa: E402
from linkplus.vehicle_link.client import BrokerAddress, MqttVersion  # noqa: E402
from linkplus.vehicle_link.gateway import Gateway, Result, freeze_startup_heap  # noqa: E402

SECRET_KEY = "gateway-bench-secret-key-long-enough-for-hs256-signing"  # noqa: S105

Message = tuple[str, bytes]


def messages(units: int, count: int, first_seq: int) -> list[Message]:
    """``count`` telemetry messages, the units taking turns (as they arrive at the gateway)."""
    vins = [vin_of(i + 1) for i in range(units)]
    topics = {vin: topic(vin, Channel.telemetry) for vin in vins}
    return [
        (topics[vins[i % units]], payload(vins[i % units], first_seq + i // units))
        for i in range(count)
    ]


def batches(items: Sequence[Message], size: int) -> list[Sequence[Message]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


# --- ours -----------------------------------------------------------------------------------


async def run_ours(
    url: str, work: Path, items: list[Message], warm: list[Message], size: int, profile: bool
) -> tuple[float, float, str]:
    settings = Settings(
        data_dir=work,
        database_url=url,
        secret_key=SECRET_KEY,
        worker_enabled=False,
        gateway_batch_size=size,
        log_json=True,
        log_level="WARNING",
    )
    runtime = build_runtime(settings)
    gateway = Gateway(runtime, BrokerAddress("127.0.0.1", 1, MqttVersion.v5), secret="")
    freeze_startup_heap()  # as ``Gateway.run`` does when the gateway starts
    try:
        for batch in batches(warm, size):  # connections, statement caches, provisioned VINs
            await gateway.process(batch)
        profiler = cProfile.Profile() if profile else None
        started, cpu = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        for batch in batches(items, size):
            await gateway.process(batch)
        if profiler is not None:
            profiler.disable()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        processed = gateway.metrics.count(Result.processed)
        if processed != len(items) + len(warm):
            raise RuntimeError(f"processed {processed} of {len(items) + len(warm)} messages")
    finally:
        await runtime.db.dispose()
    report = ""
    if profiler is not None:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(30)
        report = out.getvalue()
    return len(items) / elapsed, len(items) / cpu, report


# --- the bare libraries ---------------------------------------------------------------------


def run_parse(items: list[Message]) -> float:
    started = time.perf_counter()
    for name, body in items:
        protocol.parse(name, body)
    return len(items) / (time.perf_counter() - started)


CLAIM = """
INSERT INTO vehicle_messages_seen (msg_id, received_at)
SELECT * FROM unnest($1::uuid[], $2::timestamptz[])
ON CONFLICT (msg_id) DO NOTHING RETURNING msg_id
"""
LINK = """
INSERT INTO vehicle_link_states (vin, last_heard_at, last_seq) VALUES ($1, $2, $3)
ON CONFLICT (vin) DO UPDATE SET
  last_heard_at = GREATEST(vehicle_link_states.last_heard_at, excluded.last_heard_at),
  last_seq = GREATEST(vehicle_link_states.last_seq, excluded.last_seq)
"""
TWIN = """
INSERT INTO vehicle_twin_signals (vin, path, value, ts, received_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (vin, path) DO UPDATE SET
  value = excluded.value, ts = excluded.ts, received_at = excluded.received_at
WHERE vehicle_twin_signals.ts < excluded.ts
"""
HISTORY = """
INSERT INTO vehicle_signal_history (vin, path, ts, value) VALUES ($1, $2, $3, $4)
ON CONFLICT (vin, path, ts) DO NOTHING
"""


def bare_rows(batch: Sequence[Message], now: datetime) -> dict[str, Any]:
    """What the gateway writes for one batch, as plain tuples (prepared before timing)."""
    ids: list[uuid.UUID] = []
    link: dict[str, int] = {}
    twin: dict[tuple[str, str], tuple[Any, ...]] = {}
    history: list[tuple[Any, ...]] = []
    for name, body in batch:
        vin = name.split("/")[2]
        data = json.loads(body)
        ids.append(uuid.UUID(data["msg_id"]))
        link[vin] = max(link.get(vin, 0), data["seq"])
        for signal in data["signals"]:
            ts = datetime.fromisoformat(signal["ts"])
            value = json.dumps(signal["value"])
            key = (vin, signal["path"])
            if key not in twin or twin[key][3] <= ts:
                twin[key] = (vin, signal["path"], value, ts, now)
            if signal["path"] in ingest.HISTORY_SIGNALS:
                history.append((vin, signal["path"], ts, value))
    return {
        "ids": sorted(ids),
        "now": now,
        "link": [(vin, now, seq) for vin, seq in sorted(link.items())],
        "twin": [twin[key] for key in sorted(twin)],
        "history": history,
    }


async def run_asyncpg(dsn: str, items: list[Message], size: int) -> float:
    now = datetime.now(UTC)
    prepared = [bare_rows(batch, now) for batch in batches(items, size)]
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        for rows in prepared:
            async with conn.transaction():
                claimed = await conn.fetch(CLAIM, rows["ids"], [rows["now"]] * len(rows["ids"]))
                if len(claimed) != len(rows["ids"]):
                    raise RuntimeError("bare asyncpg: message ids already claimed")
                await conn.executemany(LINK, rows["link"])
                await conn.executemany(TWIN, rows["twin"])
                await conn.executemany(HISTORY, rows["history"])
        return len(items) / (time.perf_counter() - started)
    finally:
        await conn.close()


# --- the bench ------------------------------------------------------------------------------


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(__import__("tempfile").mkdtemp(prefix="linkplus-gwbench-"))
    units = []
    for i in range(args.units):
        secret = credentials.new_secret()
        units.append((vin_of(i + 1), secret, credentials.hash_secret(secret)))
    warm = messages(args.units, args.units * 2, 1)
    items = messages(args.units, args.messages, 10)
    bare_items = messages(args.units, args.messages, 10 + args.messages)
    with postgres_server() as pg:
        ours_url = await create_database(pg, "gateway_bench")
        bare_url = await create_database(pg, "gateway_bench_bare")
        for url in (ours_url, bare_url):
            await prepare(url, units)
        ours, ours_cpu, report = await run_ours(
            ours_url, work, items, warm, args.batch, args.profile
        )
        parse = run_parse(items)
        bare_dsn = bare_url.replace("postgresql+asyncpg://", "postgresql://")
        bare_db = await run_asyncpg(bare_dsn, bare_items, args.batch)
    if report:
        print(report)
    ideal = 1 / (1 / parse + 1 / bare_db)
    print(
        f"ours {ours:,.0f} msg/s  parse only {parse:,.0f} msg/s  bare asyncpg {bare_db:,.0f} "
        f"msg/s  bare ideal {ideal:,.0f} msg/s  ours/ideal {ours / ideal:.2f}  ours per CPU "
        f"second of the gateway process {ours_cpu:,.0f} msg  "
        f"({len(items):,} messages, batches of {args.batch}, {args.units} cars)",
        flush=True,
    )
    return {
        "bench": "gateway_process",
        "quick": args.quick,
        "units": args.units,
        "messages": len(items),
        "batch": args.batch,
        "signals_per_message": len(SIGNALS),
        "ours_per_s": round(ours),
        "ours_per_cpu_s": round(ours_cpu),
        "parse_only_per_s": round(parse),
        "bare_asyncpg_per_s": round(bare_db),
        "bare_ideal_per_s": round(ideal),
        "ours_vs_ideal": round(ours / ideal, 3),
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Under a minute: fewer messages.")
    parser.add_argument("--units", type=int, default=50, help="Cars sending.")
    parser.add_argument("--messages", type=int, default=None, help="Messages measured.")
    parser.add_argument("--batch", type=int, default=500, help="Messages per batch.")
    parser.add_argument("--profile", action="store_true", help="cProfile the gateway's run.")
    args = parser.parse_args()
    args.messages = args.messages or (10_000 if args.quick else 40_000)
    figures = asyncio.run(main_async(args))
    print(json.dumps(figures, separators=(",", ":")))


if __name__ == "__main__":
    main()
