"""Provisioning, checking and rotating a unit's MQTT secret, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from linkplus.kit.clock import ManualClock
from linkplus.models.telematics import TelematicsCredential
from linkplus.runtime import Runtime
from linkplus.vehicle_link import credentials, mosquitto
from linkplus.vehicle_link.errors import UnknownVehicle
from tests.vehicle_link.support import provisioned_vehicle, register_vehicle

A = "WVWZZZ1JZXW000001"
B = "WVWZZZ1JZXW000002"


async def verify(runtime: Runtime, vin: str, secret: str) -> bool:
    async with runtime.db.transaction() as session:
        return await credentials.verify(session, vin=vin, secret=secret)


async def test_provision_returns_a_secret_that_verifies_and_is_stored_only_hashed(
    runtime: Runtime,
) -> None:
    secret = await provisioned_vehicle(runtime, A)
    assert len(secret) >= 40
    assert await verify(runtime, A, secret)
    assert not await verify(runtime, A, secret + "x")
    assert not await verify(runtime, A, "")
    async with runtime.db.transaction() as session:
        row = await session.get(TelematicsCredential, A)
    assert row is not None
    assert secret not in row.secret_hash
    assert secret not in row.broker_hash
    assert row.secret_hash.startswith("sha256$")
    assert mosquitto.password_hash_matches(row.broker_hash, secret)
    assert row.created_at == runtime.clock.now()
    assert row.rotated_at is None


async def test_a_secret_is_valid_only_for_its_own_vin(runtime: Runtime) -> None:
    secret_a = await provisioned_vehicle(runtime, A)
    secret_b = await provisioned_vehicle(runtime, B)
    assert secret_a != secret_b
    assert not await verify(runtime, B, secret_a)
    assert not await verify(runtime, A, secret_b)
    assert not await verify(runtime, "WVWZZZ1JZXW000003", secret_a)  # never provisioned
    assert not await verify(runtime, "not a vin", secret_a)


async def test_rotation_replaces_the_secret(runtime: Runtime, clock: ManualClock) -> None:
    old = await provisioned_vehicle(runtime, A)
    clock.advance(days=30)
    async with runtime.db.transaction() as session:
        new = await credentials.provision(session, vin=A, now=clock.now())
    assert new != old
    assert await verify(runtime, A, new)
    assert not await verify(runtime, A, old)
    async with runtime.db.transaction() as session:
        row = await session.get(TelematicsCredential, A)
        entries = await credentials.broker_password_entries(session)
    assert row is not None
    assert row.rotated_at == clock.now()
    assert [vin for vin, _ in entries] == [A]
    assert mosquitto.password_hash_matches(entries[0][1], new)


async def test_provisioning_needs_a_registered_vehicle(runtime: Runtime) -> None:
    with pytest.raises(UnknownVehicle):
        async with runtime.db.transaction() as session:
            await credentials.provision(session, vin=B, now=runtime.clock.now())
    await register_vehicle(runtime, B)
    async with runtime.db.transaction() as session:
        assert await credentials.provision(session, vin=B, now=runtime.clock.now())


def test_malformed_stored_hashes_never_verify() -> None:
    for stored in (
        "",
        "scrypt$1$2$3",
        "scrypt$16384$8$1$!!$!!",
        "argon2$x",
        "scrypt$99999999$8$1$a$b",
        "sha256$!!$!!",
        "sha256$AAAA",
        "sha256$AAAA$AAAA",  # a digest of the wrong length
    ):
        assert not credentials.secret_matches(stored, "secret")
    assert not credentials.secret_matches(credentials.hash_secret("s"), "s" * 1000)


def test_mosquitto_hash_matches_what_mosquitto_passwd_writes(tmp_path: Path) -> None:
    """Our $7$ lines and mosquitto_passwd's are the same format, checked both ways."""
    ours = mosquitto.password_hash("s3cret")
    assert ours.startswith("$7$101$")
    assert mosquitto.password_hash_matches(ours, "s3cret")
    assert not mosquitto.password_hash_matches(ours, "s3cret!")
    tool = shutil.which("mosquitto_passwd")
    if tool is None:
        return
    path = tmp_path / "passwd"
    path.touch()
    subprocess.run([tool, "-b", str(path), A, "s3cret"], check=True, capture_output=True)
    username, theirs = path.read_text().strip().split(":", 1)
    assert username == A
    assert mosquitto.password_hash_matches(theirs, "s3cret")
    assert not mosquitto.password_hash_matches(theirs, "other")


def test_generated_acl_confines_each_vin_to_its_topics() -> None:
    acl = mosquitto.vehicle_acl()
    assert "pattern write lp/v1/%u/telemetry" in acl
    assert "pattern write lp/v1/%u/events" in acl
    assert "pattern write lp/v1/%u/command-results" in acl
    assert "pattern read lp/v1/%u/commands" in acl
    assert "topic" not in acl.replace("# linkplus", "")
    gateway = mosquitto.gateway_acl("linkplus-gateway")
    assert "user linkplus-gateway\ntopic read lp/v1/+/telemetry" in gateway
    assert "topic write lp/v1/+/commands" in gateway
    with pytest.raises(ValueError, match="cannot write user"):
        mosquitto.password_file([("bad:user", "$7$1$a$b")])


async def test_a_secret_stored_by_an_earlier_version_as_scrypt_still_verifies(
    runtime: Runtime,
) -> None:
    """Current secrets are a salted SHA-256 (256 random bits need no slow hash, and scrypt cost
    a connecting fleet a minute of CPU); a unit provisioned before keeps working unchanged."""
    await provisioned_vehicle(runtime, A)
    secret = credentials.new_secret()
    async with runtime.db.transaction() as session:
        row = await session.get(TelematicsCredential, A)
        assert row is not None
        row.secret_hash = credentials.hash_secret_scrypt(secret, n=2**10)
    assert await verify(runtime, A, secret)
    assert not await verify(runtime, A, secret[:-1])
    assert credentials.is_slow(credentials.hash_secret_scrypt("s", n=2**4))
    assert not credentials.is_slow(credentials.hash_secret("s"))


def test_two_hashes_of_one_secret_differ_and_both_match() -> None:
    first, second = credentials.hash_secret("same"), credentials.hash_secret("same")
    assert first != second  # salted
    assert credentials.secret_matches(first, "same")
    assert credentials.secret_matches(second, "same")
    assert not credentials.secret_matches(first, "Same")
