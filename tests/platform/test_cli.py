"""The ``linkplus`` command line: help everywhere, migrations, staff accounts, the demo."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from linkplus.cli import app
from linkplus.migrate import revisions
from tests.services import free_port

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
    port = free_port()
    env = {**os.environ, "LINKPLUS_ARGON2_TIME_COST": "1", "LINKPLUS_ARGON2_MEMORY_KIB": "8192"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "linkplus",
            "demo",
            "--port",
            str(port),
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
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0, "".join(output)
