"""Helpers of the crash tests: a real `linkplus serve` in a subprocess that can be killed and
started again, and what the tests read back."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from linkplus.protocol import vehicle as protocol
from linkplus.protocol.vehicle import VEHICLE_CHANNELS
from linkplus.vehicle_link.client import BrokerAddress, gateway_client
from linkplus.vehicle_link.gateway import SHARE_GROUP
from tests.servers import free_port

SERVE_INSTANCE = "serve"  # the LINKPLUS_INSTANCE of every ServeProcess: its gateway session


class Reader:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def rows(self, sql: str, **params: Any) -> Sequence[Row[Any]]:
        async with self.engine.connect() as connection:
            return (await connection.execute(text(sql), params)).all()

    async def value(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as connection:
            return (await connection.execute(text(sql), params)).scalar()


@asynccontextmanager
async def reader(database_url: str) -> AsyncIterator[Reader]:
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        yield Reader(engine)
    finally:
        await engine.dispose()


async def eventually(
    check: Callable[[], Awaitable[bool]], *, within: float, what: str, every: float = 0.1
) -> None:
    """Poll ``check`` until it holds; fail naming ``what`` after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(every)


async def open_gateway_session(address: BrokerAddress, secret: str) -> None:
    """Create the session ``serve``'s gateway resumes, with its subscriptions, and leave it:
    from now on the broker keeps every vehicle message for it."""
    async with gateway_client(address, secret=secret, instance=SERVE_INSTANCE) as client:
        for channel in VEHICLE_CHANNELS:
            await client.subscribe(protocol.subscription(channel, share_group=SHARE_GROUP), qos=1)


SECRET_KEY = "crash-test-secret-key-that-is-long-enough-for-hs256-signing"
START_TIMEOUT = 90.0  # seconds; python start-up and the migration check on a loaded machine


class ServeProcess:
    """``python -m linkplus serve --port P`` configured through ``LINKPLUS_*`` variables only.

    Every start appends to one log file, so a failing test can show what the process said."""

    def __init__(self, directory: Path, database_url: str, **settings: str) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = directory / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        environment = {k: v for k, v in os.environ.items() if not k.startswith("LINKPLUS_")}
        environment.update(
            {
                "LINKPLUS_DATA_DIR": str(directory / "data"),
                "LINKPLUS_DATABASE_URL": database_url,
                "LINKPLUS_SECRET_KEY": SECRET_KEY,
                "LINKPLUS_PUBLIC_URL": self.url,
                # No fixed port 1883: a test that needs the vehicle link points it elsewhere.
                "LINKPLUS_MQTT_PORT": str(free_port()),
                "LINKPLUS_WORKER_POLL_SECONDS": "0.2",
                # The gateway's session is the one open_gateway_session prepared; a restart of
                # the killed process claims its lease again once it has run out.
                "LINKPLUS_INSTANCE": SERVE_INSTANCE,
                "LINKPLUS_GATEWAY_LEASE_SECONDS": "3",
                "LINKPLUS_LOG_LEVEL": "WARNING",
                "LINKPLUS_ARGON2_TIME_COST": "1",
                "LINKPLUS_ARGON2_MEMORY_KIB": "8192",
                "LINKPLUS_ARGON2_PARALLELISM": "1",
            }
        )
        environment.update({f"LINKPLUS_{k.upper()}": v for k, v in settings.items()})
        self.environment = environment

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def start(self) -> None:
        """Start it and wait until it answers ``/readyz``."""
        assert self.process is None or self.process.poll() is not None, "already running"
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts + 1} ---\n".encode())
            log.flush()
            self.process = await asyncio.to_thread(
                subprocess.Popen,
                [sys.executable, "-m", "linkplus", "serve", "--port", str(self.port)],
                cwd=self.directory,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        deadline = time.monotonic() + START_TIMEOUT
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise AssertionError(
                        f"serve exited with {self.process.returncode}:\n{self.log()[-4000:]}"
                    )
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"serve not ready within {START_TIMEOUT} s:\n{self.log()[-4000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the machine loses power."""
        assert self.process is not None, "never started"
        assert self.process.poll() is None, "not running"
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        assert self.process.returncode == -signal.SIGKILL

    def stop(self) -> None:
        """End it at the end of a test (gracefully if it listens, else killed)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    async def metric(self, name: str, labels: str = "") -> float:
        """One sample of the process's ``/metrics`` (0 when absent)."""
        async with httpx.AsyncClient(base_url=self.url, timeout=5.0) as http:
            text = (await http.get("/metrics")).text
        wanted = f"{name}{{{labels}}}" if labels else name
        for line in text.splitlines():
            if line.startswith(wanted + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0
