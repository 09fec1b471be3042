"""The ``linkplus`` command line: help everywhere, migrations, staff accounts, the demo."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from linkplus.cli import app
from linkplus.config import Settings
from linkplus.migrate import revisions, upgrade
from linkplus.notifications.push import vapid_public_key
from tests.platform.support import clean_env, live_platform
from tests.servers import free_port

DEMO_BOUND = 240.0  # seconds for the demo to start: about 20, more on a loaded machine

runner = CliRunner()


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["demo"],
        ["worker"],
        ["db"],
        ["db", "upgrade"],
        ["staff"],
        ["staff", "create"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_db_upgrade_brings_a_new_sqlite_file_to_the_newest_revision(tmp_path: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'linkplus.db'}")
    with engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    assert version == revisions("sqlite://")[-1]


def test_staff_create_makes_an_account_once(database_url: str, tmp_path: Path) -> None:
    env = {"LINKPLUS_DATABASE_URL": database_url, "LINKPLUS_DATA_DIR": str(tmp_path)}
    args = [
        "staff",
        "create",
        "--role",
        "dealer",
        "--email",
        "Dana@Dealer.example",
        "--name",
        "Dana Dealer",
        "--password-stdin",
    ]
    first = runner.invoke(app, args, input="a long dealer passphrase\n", env=env)
    assert first.exit_code == 0, first.output
    assert "dealer" in first.output
    again = runner.invoke(app, args, input="a long dealer passphrase\n", env=env)
    assert again.exit_code == 1
    assert "Not created" in again.output


def test_staff_create_refuses_an_unknown_role(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "staff",
            "create",
            "--role",
            "owner",
            "--email",
            "x@example.com",
            "--name",
            "X",
            "--password-stdin",
            "--data-dir",
            str(tmp_path),
        ],
        input="a long enough password\n",
    )
    assert result.exit_code != 0
    assert "owner" in result.output


def test_demo_starts_prints_its_sign_in_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port, mqtt_port = free_port(), free_port()
    env = {**os.environ, "LINKPLUS_ARGON2_TIME_COST": "1", "LINKPLUS_ARGON2_MEMORY_KIB": "8192"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "linkplus",
            "demo",
            "--port",
            str(port),
            "--mqtt-port",
            str(mqtt_port),
            "--data-dir",
            str(tmp_path),
            "--no-simulator",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    output: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + DEMO_BOUND
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            output.append(line)
            if "press Ctrl-C to stop" in line:
                break
        text = "".join(output)
        assert f"http://127.0.0.1:{port}/" in text, text
        assert "demo@example.com" in text
        assert "linkplus-demo" in text
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200
        token = httpx.post(
            f"{base}/api/v1/auth/token",
            data={
                "grant_type": "password",
                "username": "demo@example.com",
                "password": "linkplus-demo",
            },
            timeout=10,
        )
        assert token.status_code == 200, token.text
        me = httpx.get(
            f"{base}/api/v1/me",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            timeout=10,
        )
        assert me.json()["email"] == "demo@example.com"
        assert me.json()["email_confirmed"] is True
        assert httpx.get(f"{base}/dev/mailbox", timeout=10).status_code == 200
        # Web Push works in the demo: a key made in the data dir, offered to browsers.
        push_key = httpx.get(f"{base}/api/v1/push/public-key", timeout=10)
        assert push_key.status_code == 200, push_key.text
        kept = (tmp_path / "vapid.key").read_text().strip()
        assert push_key.json()["public_key"] == vapid_public_key(kept)
        # Its embedded broker listens where it was told, not on 1883.
        socket.create_connection(("127.0.0.1", mqtt_port), timeout=5).close()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0, "".join(output)


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


@pytest.mark.parametrize("command", ["serve", "demo"])
@pytest.mark.parametrize(
    ("taken", "option", "setting"),
    [("http", "--port", "LINKPLUS_PORT"), ("mqtt", "--mqtt-port", "LINKPLUS_MQTT_PORT")],
)
def test_a_taken_port_is_one_clear_line_naming_the_option_and_the_setting(
    tmp_path: Path, taken_port: int, command: str, taken: str, option: str, setting: str
) -> None:
    port, mqtt_port = (taken_port, free_port()) if taken == "http" else (free_port(), taken_port)
    env = clean_env()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "linkplus",
            command,
            "--port",
            str(port),
            "--mqtt-port",
            str(mqtt_port),
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 1, output
    assert "Traceback" not in output
    assert len(output.splitlines()) == 1, output
    assert f"127.0.0.1:{taken_port}" in output
    assert "already in use" in output
    assert option in output
    assert setting in output
    # Nothing was started: no database was created, no running platform recorded.
    assert not (tmp_path / "linkplus.db").exists()
    assert not (tmp_path / "running.json").exists()
    assert not (tmp_path / "vapid.key").exists()


def _billing_run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "linkplus", "billing", "run", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
        check=False,
    )


def test_billing_run_without_a_running_platform_says_which_setting_to_set(
    tmp_path: Path,
) -> None:
    result = _billing_run(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    unreachable = (
        "The payment provider cannot be reached at "
        "http://127.0.0.1:8000/sandbox-pay"  # the default public URL, printed, never bound
    )
    assert unreachable in result.stderr
    assert "LINKPLUS_PUBLIC_URL" in result.stderr
    assert str(tmp_path / "running.json") in result.stderr


async def _due_subscription(data_dir: Path) -> date:
    """An owner with a card and a monthly subscription whose first charge falls due on the day
    returned, put in the data dir's database in-process (its own sandbox over ASGI)."""
    from linkplus.app import create_app
    from linkplus.bootstrap import build_runtime
    from linkplus.kit.clock import ManualClock
    from linkplus.payments.client import HttpPaymentProvider
    from linkplus.payments.endpoint import provider_key
    from linkplus.subscriptions.billing_run import run_billing
    from tests.subscriptions.support import at, customer, subscribe

    settings = Settings(
        data_dir=data_dir,
        public_url="http://testserver",
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        argon2_parallelism=1,
        log_level="WARNING",
    )
    upgrade(settings.resolved_database_url)
    runtime = build_runtime(settings, clock=ManualClock(at(date(2026, 1, 10))))
    application = create_app(runtime, run_worker=False)
    runtime.payments = HttpPaymentProvider(
        base_url="http://testserver/sandbox-pay",
        api_key=provider_key(settings),
        timeout=5.0,
        transport=httpx.ASGITransport(app=application),
    )
    try:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            me = await customer(runtime, client)
            started = await subscribe(client, me, "smart", "monthly")
            assert started.status_code == 201, started.text
            first = date.fromisoformat(started.json()["first_payment_on"])
            # Everything due before the first charge is done here, so the CLI run below has
            # exactly that charge to make.
            await run_billing(runtime, day=first - timedelta(days=1))
            return first
    finally:
        await runtime.db.dispose()


def test_billing_run_finds_the_platform_serving_on_other_ports_and_charges_through_it(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    due = asyncio.run(_due_subscription(data_dir))
    with live_platform(data_dir, "serve") as serve:
        assert serve.port != 8000
        result = _billing_run(data_dir, "--date", due.isoformat())
        report = json.loads(result.stdout.strip().splitlines()[-1])
        assert (report["charged"], report["failed"], report["errors"]) == (1, 0, 0), report
        assert result.returncode == 0, result.stdout + result.stderr + serve.output()
        # How it was found: the addresses the server recorded in the data dir.
        recorded = json.loads((data_dir / "running.json").read_text())
        assert recorded["public_url"] == serve.base
        assert recorded["mqtt_port"] == serve.mqtt_port
    # The platform stopped: the record is gone with it.
    assert not (data_dir / "running.json").exists()


def test_the_cli_reads_the_running_platform_but_explicit_settings_win(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linkplus.cli import platform_settings

    for name in ("LINKPLUS_MQTT_PORT", "LINKPLUS_PORT", "LINKPLUS_PUBLIC_URL", "LINKPLUS_MQTT_URL"):
        monkeypatch.delenv(name, raising=False)  # nothing set: the record decides
    from linkplus.payments.endpoint import provider_url
    from linkplus.vehicle_link.runner import broker_address

    with live_platform(tmp_path / "data", "serve") as serve:
        found = platform_settings(data_dir=tmp_path / "data")
        assert provider_url(found) == f"{serve.base}/sandbox-pay"
        assert broker_address(found).port == serve.mqtt_port
        chosen = platform_settings(data_dir=tmp_path / "data", mqtt_port=1, port=2)
        assert (chosen.mqtt_port, chosen.public_url) == (1, "http://127.0.0.1:2")
    # Once it has stopped, its record is gone: back to the settings alone.
    assert not (tmp_path / "data" / "running.json").exists()
    alone = platform_settings(data_dir=tmp_path / "data")
    assert alone.mqtt_port != serve.mqtt_port
    assert alone.public_url == Settings(data_dir=tmp_path / "data").public_url


def test_a_record_left_by_a_killed_platform_is_ignored(tmp_path: Path) -> None:
    from linkplus.cli import platform_settings

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    record = {"pid": int(gone.stdout), "public_url": "http://127.0.0.1:1", "mqtt_port": 2}
    (tmp_path / "running.json").write_text(json.dumps(record))
    settings = platform_settings(data_dir=tmp_path)
    assert settings.public_url != "http://127.0.0.1:1"
    assert settings.mqtt_port != 2
