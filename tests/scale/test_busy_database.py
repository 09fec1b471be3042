"""SQLite under a long write: mass registration in short transactions, and a locked database
answered 503 with Retry-After, never 500."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import httpx
import pytest

from linkplus.app import create_app
from linkplus.bootstrap import build_runtime
from linkplus.runtime import Runtime
from linkplus.sim.registry import register_fleet
from tests.support import bearer_for, make_owner

FLEET = 300


def _sqlite_file(runtime: Runtime) -> str:
    url = runtime.settings.resolved_database_url
    if not url.startswith("sqlite"):
        pytest.skip("PostgreSQL has no database-wide write lock")
    return url.split(":///", 1)[1]


async def test_a_locked_database_is_503_with_retry_after_not_500(runtime: Runtime) -> None:
    path = _sqlite_file(runtime)
    headers = await bearer_for(runtime, await make_owner(runtime))
    impatient = build_runtime(
        runtime.settings.model_copy(update={"sqlite_busy_seconds": 0.2}), clock=runtime.clock
    )
    transport = httpx.ASGITransport(app=create_app(impatient, run_worker=False))
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
            busy = await http.get("/api/v1/me", headers=headers)
            holder.execute("ROLLBACK")
            again = await http.get("/api/v1/me", headers=headers)
    finally:
        holder.close()
        await impatient.db.dispose()
    assert busy.status_code == 503, busy.text
    assert busy.headers["retry-after"] == "5"
    assert busy.headers["content-type"].startswith("application/problem+json")
    assert busy.json()["code"] == "database_busy"
    assert again.status_code == 200


async def test_mass_registration_leaves_the_platform_answering(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _sqlite_file(runtime)
    headers = await bearer_for(runtime, await make_owner(runtime))
    registrar = build_runtime(runtime.settings, clock=runtime.clock)
    waits: list[float] = []
    statuses: list[int] = []
    done = asyncio.Event()

    async def read_meanwhile() -> None:
        while not done.is_set():
            started = time.monotonic()
            response = await client.get("/api/v1/me", headers=headers)
            waits.append(time.monotonic() - started)
            statuses.append(response.status_code)
            await asyncio.sleep(0.05)

    reading = asyncio.create_task(read_meanwhile())
    started = time.monotonic()
    try:
        fleet = await register_fleet(registrar, vehicles_count=FLEET, seed=7)
    finally:
        took = time.monotonic() - started
        done.set()
        await reading
        await registrar.db.dispose()
    print(
        f"registered {len(fleet)} cars in {took:.1f} s; {len(waits)} reads meanwhile, "
        f"longest {max(waits):.2f} s"
    )
    assert len(fleet) == FLEET
    assert set(statuses) == {200}
    # One transaction for the whole fleet kept every read waiting until it ended.
    assert max(waits) < took / 2, f"a read waited {max(waits):.1f} s of {took:.1f} s"
    assert len(waits) >= 5
