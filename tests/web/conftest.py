"""Fixtures of the web tests: the platform with the development mailbox, a second browser, and
the one live server the browser tests (headless Chromium) run against. Plain helpers are in
``support.py``."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from linkplus.app import create_app
from linkplus.bootstrap import build_runtime
from linkplus.config import Settings
from linkplus.runtime import Runtime
from linkplus.serving import WEBSOCKETS
from linkplus.vehicle_link.client import BrokerAddress, MqttVersion
from tests.servers import free_port
from tests.web.support import LiveServer

START_BOUND = 20.0  # seconds for uvicorn (and the broker in it) to start; reached only on failure


@pytest.fixture
async def mailbox_client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The same platform with the development mailbox switched on, as in the demo."""
    runtime.settings.dev_mailbox = True
    app = create_app(runtime, run_worker=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def other_browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser with its own cookies, for another account (on the paying ``app``)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


# --- the live server -------------------------------------------------------------------------


def _loopback_socket() -> socket.socket:
    """A listening socket on a port the kernel chose: handed to uvicorn, so no other process
    can take the port between choosing it and serving on it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@pytest.fixture
async def live_server(database_url: str, tmp_path: Path) -> AsyncIterator[LiveServer]:
    """uvicorn serving the platform with its worker, the embedded MQTT broker and the gateway,
    and the development mailbox, on free loopback ports, in a thread of the test's process."""
    sock = _loopback_socket()
    port = int(sock.getsockname()[1])
    mqtt_port = free_port()
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key="browser-test-secret-key-long-enough-for-hs256",
        public_url=f"http://127.0.0.1:{port}",
        port=port,
        dev_mailbox=True,
        smtp_url=None,
        worker_enabled=True,
        worker_poll_seconds=0.1,
        gateway_enabled=True,
        mqtt_port=mqtt_port,
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        argon2_parallelism=1,
        log_json=True,
        log_level="WARNING",
    )
    app = create_app(build_runtime(settings), run_worker=True)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", ws=WEBSOCKETS)  # as serve runs
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True
    )
    thread.start()
    direct = build_runtime(settings)
    try:
        deadline = time.monotonic() + START_BOUND
        while not server.started:
            assert thread.is_alive(), "the server stopped while starting"
            assert time.monotonic() < deadline, "the server did not start"
            await asyncio.sleep(0.02)  # waiting for start-up, not for time to pass
        # The broker logs and carries on when its port was taken meanwhile: say so here.
        with socket.create_connection(("127.0.0.1", mqtt_port), timeout=START_BOUND):
            pass
        yield LiveServer(
            settings.public_url,
            settings,
            BrokerAddress("127.0.0.1", mqtt_port, MqttVersion.v311),
            direct,
        )
    finally:
        await direct.db.dispose()
        server.should_exit = True
        await asyncio.to_thread(thread.join, START_BOUND)
        with contextlib.suppress(OSError):
            sock.close()


@pytest.fixture
def registry(live_server: LiveServer) -> Runtime:
    """Direct access to the live server's database, to prepare owners, cars and trips."""
    return live_server.runtime
