"""``linkplus vehicles provision`` and ``linkplus gateway`` from the command line."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from linkplus.bootstrap import build_runtime
from linkplus.cli import app
from linkplus.config import Settings
from linkplus.keys import service as keys
from linkplus.migrate import upgrade
from linkplus.models.vehicles import Vehicle
from linkplus.remote import signing
from linkplus.vehicle_link import credentials, mosquitto

runner = CliRunner()
VIN = "JTHAB12C3DE456789"


@pytest.mark.parametrize("command", [["gateway"], ["vehicles", "provision"]])
def test_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


async def _register(settings: Settings) -> None:
    runtime = build_runtime(settings)
    now = datetime(2026, 11, 21, tzinfo=UTC)
    try:
        async with runtime.db.transaction() as session:
            session.add(
                Vehicle(
                    vin=VIN,
                    model_code="UX300E",
                    model_year=2026,
                    market="DE",
                    multimedia="mm21",
                    first_delivery_date=None,
                    registration_plate=None,
                    plate_key=None,
                    telematics_unit=True,
                    head_unit_public_key=None,
                    odometer_km=None,
                    odometer_reported_at=None,
                    created_at=now,
                    updated_at=now,
                )
            )
    finally:
        await runtime.db.dispose()


async def _verify(settings: Settings, secret: str) -> bool:
    runtime = build_runtime(settings)
    try:
        async with runtime.db.transaction() as session:
            return await credentials.verify(session, vin=VIN, secret=secret)
    finally:
        await runtime.db.dispose()


def test_provision_prints_the_secret_once_and_rewrites_the_mosquitto_passwords(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="cli-test-secret-key-long-enough-for-hs256")
    upgrade(settings.resolved_database_url)
    asyncio.run(_register(settings))
    broker_dir = tmp_path / "mosquitto"
    monkeypatch.setenv("LINKPLUS_MOSQUITTO_DIR", str(broker_dir))
    monkeypatch.setenv("LINKPLUS_SECRET_KEY", "cli-test-secret-key-long-enough-for-hs256")
    setup = runner.invoke(app, ["mosquitto", "setup", "--data-dir", str(tmp_path)])
    assert setup.exit_code == 0, setup.output
    assert (broker_dir / "vehicles.passwd").read_text() == ""  # no unit provisioned yet

    result = runner.invoke(app, ["vehicles", "provision", VIN.lower(), "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[0]
    assert asyncio.run(_verify(settings, secret))
    line = (broker_dir / "vehicles.passwd").read_text().strip()
    user, hashed = line.split(":", 1)
    assert user == VIN
    assert mosquitto.password_hash_matches(hashed, secret)
    assert secret not in (broker_dir / "vehicles.passwd").read_text()
    # The second line is the unit's command-signing key: the one the platform signs with.
    key_line = result.stdout.strip().splitlines()[1]
    assert key_line.startswith("command key: ")
    printed = signing.key_from_text(key_line.removeprefix("command key: "))
    assert printed == signing.command_key(settings, VIN)
    # The third, the public key of its key authority (the digital key's certificates).
    authority_line = result.stdout.strip().splitlines()[2]
    assert authority_line == f"key authority: {keys.authority_public_text(settings, VIN)}"

    unknown = runner.invoke(
        app, ["vehicles", "provision", "JTHZZZZZZZZZZZZZZ", "--data-dir", str(tmp_path)]
    )
    assert unknown.exit_code == 1
    assert "register it first" in unknown.output
