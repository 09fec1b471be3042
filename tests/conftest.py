"""Shared fixtures: a moved clock, each test's own database on SQLite and on PostgreSQL, a real
SMTP server (aiosmtpd) that collects what the platform sends, the app and an HTTP client, and
the app with its payment sandbox reached over HTTP.

Parallel runs (pytest-xdist): every worker is its own process, so the session fixtures below
(the migrated SQLite template, the PostgreSQL server and its template database) exist once per
worker, ``tmp_path`` is under the worker's own directory, and every server a test starts takes a
free port. Nothing here is shared between workers. Plain helpers are in ``tests/support.py``.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from linkplus.app import create_app
from linkplus.bootstrap import build_runtime
from linkplus.config import Settings
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.migrate import upgrade
from linkplus.payments.client import HttpPaymentProvider
from linkplus.payments.endpoint import provider_key
from linkplus.payments.sandbox.store import SandboxStore
from linkplus.payments.service import register_active_paid_subscription_check
from linkplus.runtime import Runtime
from tests.payments.support import SANDBOX_URL, PaidSubscriptions
from tests.servers import PostgresServer, free_port, on_a_free_port, postgres_server
from tests.support import PROVIDER_BOUND, START, Mailbox

# Hypothesis times itself; on a machine shared by parallel workers its timing checks fail for
# reasons that are not the code's. No deadline and no "too slow" health check; the properties
# and the number of examples stay as each test states them.
hypothesis_settings.register_profile(
    "linkplus", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("linkplus")

BACKENDS = [
    b for b in os.environ.get("LINKPLUS_TEST_BACKENDS", "sqlite,postgresql").split(",") if b
]


# --- databases -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def pg_template(pg_server: PostgresServer) -> str:
    """A PostgreSQL database migrated once; each test's database is created from it."""

    async def create() -> None:
        conn = await asyncpg.connect(_pg_dsn(pg_server, "postgres"))
        try:
            await conn.execute("CREATE DATABASE linkplus_template")
        finally:
            await conn.close()

    with ThreadPoolExecutor(max_workers=1) as pool:  # may be reached from inside a running loop
        pool.submit(asyncio.run, create()).result()
    upgrade(pg_server.url("linkplus_template"))
    return "linkplus_template"


def _pg_dsn(server: PostgresServer, database: str) -> str:
    return f"postgresql://{server.user}@{server.host}:{server.port}/{database}"


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, fully migrated database for one test, on each backend in turn."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "linkplus.db"
        shutil.copyfile(template, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    template_name: str = request.getfixturevalue("pg_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_pg_dsn(server, "postgres"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    finally:
        await conn.close()
    yield server.url(name)
    conn = await asyncpg.connect(_pg_dsn(server, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


# --- mail ------------------------------------------------------------------------------------


class _Collect:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.mailbox.messages.append(parsed)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[str, Mailbox]]:
    """A real SMTP server on loopback; yields its URL and the mailbox it fills."""
    mailbox = Mailbox()

    def start(port: int) -> Controller:
        controller = Controller(_Collect(mailbox), hostname="127.0.0.1", port=port)
        controller.start()
        return controller

    controller = on_a_free_port(start)
    try:
        yield f"smtp://127.0.0.1:{controller.port}", mailbox
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp: tuple[str, Mailbox]) -> Mailbox:
    return smtp[1]


# --- the platform ----------------------------------------------------------------------------


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(tmp_path: Path, database_url: str, smtp: tuple[str, Mailbox]) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-for-hs256-signing",
        smtp_url=smtp[0],
        public_url="http://testserver",
        worker_enabled=False,
        # Cheap hashing keeps the suite fast; production parameters are the defaults.
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        argon2_parallelism=1,
        log_json=True,
        log_level="WARNING",
    )


@pytest.fixture
async def runtime(settings: Settings, clock: ManualClock) -> AsyncIterator[Runtime]:
    rt = build_runtime(settings, clock=clock)
    yield rt
    await rt.db.dispose()


@pytest.fixture
def worker(runtime: Runtime) -> Worker:
    return Worker(runtime, name="test-worker")


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime, run_worker=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    """The platform with its payment sandbox reached in-process over HTTP, as in production."""
    application = create_app(runtime, run_worker=False)
    runtime.payments = HttpPaymentProvider(
        base_url=SANDBOX_URL,
        api_key=provider_key(runtime.settings),
        timeout=PROVIDER_BOUND,
        transport=httpx.ASGITransport(app=application),
    )
    return application


@pytest.fixture
async def paying_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of ``app``; the packages that pay make it their ``client``."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def provider(runtime: Runtime, app: FastAPI) -> HttpPaymentProvider:
    assert isinstance(runtime.payments, HttpPaymentProvider)
    return runtime.payments


@pytest.fixture
def sandbox(app: FastAPI) -> SandboxStore:
    store: SandboxStore = app.state.sandbox_pay
    return store


@pytest.fixture
def paid_subscriptions() -> Iterator[PaidSubscriptions]:
    """A stand-in for the subscriptions module's hook: accounts listed here have a paid plan."""
    fake = PaidSubscriptions()
    unregister = register_active_paid_subscription_check(fake.check)
    yield fake
    unregister()


# --- ports -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_fixed_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``Settings()`` a test builds, and every ``linkplus`` process it starts, defaults to
    free ports for HTTP and the embedded MQTT broker instead of 8000 and 1883, so tests running
    side by side (pytest-xdist workers, two checkouts, a demo on the same machine) never meet on
    a port. A test that needs a port it knows passes it explicitly, from ``free_port()``."""
    monkeypatch.setenv("LINKPLUS_PORT", str(free_port()))
    monkeypatch.setenv("LINKPLUS_MQTT_PORT", str(free_port()))
