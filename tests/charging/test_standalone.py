"""``linkplus ocpp`` as a process of its own, on the same database as the API: a charger held by
it boots, shows as connected through the API of another process, and a start asked through that
API is sent by the standalone process (the commands cross processes through the database)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx

from linkplus.kit.clock import ManualClock
from linkplus.runtime import Runtime
from linkplus.sim.charger import ChargerSpec, connect
from tests.charging.support import eventually, factory_charger, onboard, plug_in_owner
from tests.servers import free_port

START_BOUND = 180.0  # a loaded machine imports and starts slowly; reached only on failure


async def _listening(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(int(START_BOUND / 0.1)):
        assert process.poll() is None, "linkplus ocpp ended while starting"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise AssertionError("linkplus ocpp did not listen")


async def test_a_standalone_central_system_holds_the_charger_and_sends_its_commands(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, tmp_path: Path
) -> None:
    # The other process reads the system clock (a command older than a minute there expires):
    # this test's clock starts at the same moment.
    clock.set(datetime.now(UTC))
    owner = await plug_in_owner(runtime, client)
    label = await factory_charger(runtime, "ALONE-1")
    password = (await onboard(client, owner, label)).json()["password"]
    port = free_port()
    env = {
        **os.environ,
        "LINKPLUS_DATABASE_URL": runtime.settings.resolved_database_url,
        "LINKPLUS_OCPP_POLL_SECONDS": "0.05",
        "LINKPLUS_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "linkplus", "ocpp", "--port", str(port)]
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, waited for below
        [*command, "--data-dir", str(tmp_path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        await _listening(port, process)
        spec = ChargerSpec(label.identity, password, protocol="ocpp1.6")
        async with connect(spec, f"ws://127.0.0.1:{port}/ocpp") as charger:
            assert await charger.boot() == "Accepted"
            shown = await client.get("/api/v1/chargers/ALONE-1", headers=owner.headers)
            assert shown.json()["connected"] is True
            assert shown.json()["protocol"] == "ocpp1.6"
            started = await client.post(
                "/api/v1/chargers/ALONE-1/sessions", json={}, headers=owner.headers
            )
            assert started.status_code == 202

            async def charging() -> bool:
                return charger.charging

            await eventually(charging, what="the standalone process to send the start")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
