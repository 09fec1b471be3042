"""Shared fixtures: a moved clock, each test's own database on SQLite and on PostgreSQL, a real
SMTP server (aiosmtpd) that collects what the platform sends, the app and an HTTP client."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller

from linkplus.app import create_app
from linkplus.bootstrap import build_runtime
from linkplus.config import Settings
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.migrate import upgrade
from linkplus.runtime import Runtime
from tests.services import PostgresServer, free_port, postgres_server

START = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
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


@dataclass
class Mailbox:
    """What a real SMTP server received."""

    messages: list[EmailMessage] = field(default_factory=list)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def last_to(self, address: str) -> EmailMessage:
        found = self.to(address)
        assert found, f"no mail to {address}; got {[str(m['To']) for m in self.messages]}"
        return found[-1]

    @staticmethod
    def text(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    def link_in(self, message: EmailMessage) -> str:
        match = re.search(r"https?://\S+", self.text(message))
        assert match, "no link in the message"
        return match.group(0)

    @staticmethod
    def token_in(link: str) -> str:
        match = re.search(r"[?&#]token=([A-Za-z0-9_\-]+)", link)
        assert match, f"no token in {link}"
        return match.group(1)


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
    port = free_port()
    controller = Controller(_Collect(mailbox), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", mailbox
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
