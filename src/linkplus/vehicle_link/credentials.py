"""Per-vehicle MQTT credentials: username = VIN, a random secret shown once, stored hashed.

The secret is 256 bits from ``secrets``, so the hash does not have to make guessing slow the
way a password hash must (nobody can try 2^256 secrets, however fast each try is); it only has
to keep a database leak from handing out working credentials. So a unit's secret is stored as
a salted SHA-256 (``sha256$salt$digest``), checked in microseconds on the event loop. Until
issue 11's fleet measurements it was scrypt (N=2^14: 16 MiB and 50 ms of CPU per check), which
made a fleet reconnecting after a broker restart queue for a minute of CPU before its first
message; stored scrypt hashes still verify, with their own parameters, in a worker thread.
Human passwords are a different matter: they keep argon2 (``accounts``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from enum import StrEnum
from functools import cache

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.config import Settings
from linkplus.db import Database
from linkplus.kit.secrets import sign
from linkplus.models.telematics import TelematicsCredential
from linkplus.protocol.vehicle import is_vin
from linkplus.vehicle_link import mosquitto, repository
from linkplus.vehicle_link.errors import UnknownVehicle

SECRET_BYTES = 32
MAX_SECRET_LENGTH = 200
SALT_BYTES = 16
KEY_BYTES = 32


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def hash_secret(secret: str) -> str:
    """``sha256$salt$digest`` of ``secret`` (see the module's docstring for why a fast hash)."""
    salt = secrets.token_bytes(SALT_BYTES)
    return f"sha256${_b64(salt)}${_b64(_sha256(salt, secret))}"


def hash_secret_scrypt(secret: str, *, n: int = 2**14, r: int = 8, p: int = 1) -> str:
    """The scheme used before ``sha256``: still verified, no longer written (kept for tests of
    credentials stored by earlier versions)."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(secret, salt, n, r, p, KEY_BYTES)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(key)}"


def is_slow(stored: str) -> bool:
    """Whether checking against ``stored`` takes real CPU time (scrypt): such checks run in a
    worker thread, a few at a time."""
    return stored.startswith("scrypt$")


def secret_matches(stored: str, secret: str) -> bool:
    """Constant-time check; False for a malformed hash or an absurd secret, never an error."""
    if len(secret) > MAX_SECRET_LENGTH:
        return False
    parts = stored.split("$")
    try:
        if len(parts) == 3 and parts[0] == "sha256":
            salt = base64.b64decode(parts[1], validate=True)
            expected = base64.b64decode(parts[2], validate=True)
            return len(expected) == KEY_BYTES and hmac.compare_digest(
                _sha256(salt, secret), expected
            )
        if len(parts) != 6 or parts[0] != "scrypt" or not all(x.isdigit() for x in parts[1:4]):
            return False
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        if not (2 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16):
            return False
        salt = base64.b64decode(parts[4], validate=True)
        expected = base64.b64decode(parts[5], validate=True)
        key = _scrypt(secret, salt, n, r, p, len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(key, expected)


def _sha256(salt: bytes, secret: str) -> bytes:
    return hashlib.sha256(salt + secret.encode()).digest()


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        secret.encode(), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=256 * 1024 * 1024
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@cache
def _dummy_hash() -> str:
    """Checked against when the VIN has no credential, so both refusals take as long."""
    return hash_secret("linkplus-no-such-vehicle")


async def provision(session: AsyncSession, *, vin: str, now: datetime) -> str:
    """Create the unit's credential, or rotate it; returns the new secret, the only time it exists.

    The old secret stops working when the transaction commits (for Mosquitto: once the password
    file has been rewritten from ``broker_password_entries`` and the broker reloaded).
    """
    if not is_vin(vin):
        raise UnknownVehicle(f"No vehicle with VIN {vin} is registered; register it first.")
    secret = new_secret()
    # Hashed before the first statement: on SQLite that is what takes the write lock, and no
    # other writer should wait for the Mosquitto hash's PBKDF2.
    secret_hash, broker_hash = await asyncio.to_thread(_both_hashes, secret)
    if not await repository.vehicle_exists(session, vin):
        raise UnknownVehicle(f"No vehicle with VIN {vin} is registered; register it first.")
    credential = await repository.get_credential(session, vin)
    if credential is None:
        session.add(
            TelematicsCredential(
                vin=vin,
                secret_hash=secret_hash,
                broker_hash=broker_hash,
                created_at=now,
                rotated_at=None,
            )
        )
    else:
        credential.secret_hash = secret_hash
        credential.broker_hash = broker_hash
        credential.rotated_at = now
    await session.flush()
    return secret


def _both_hashes(secret: str) -> tuple[str, str]:
    return hash_secret(secret), mosquitto.password_hash(secret)


async def stored_hash(session: AsyncSession, *, vin: str) -> str | None:
    """The unit's current secret hash (None: no such unit). Read it, end the session, then
    ``check`` it: a database connection held across an old scrypt check is one the API and the
    gateway cannot have (a connect storm of cars exhausted the pool)."""
    credential = await repository.get_credential(session, vin) if is_vin(vin) else None
    return credential.secret_hash if credential is not None else None


async def stored_hashes(session: AsyncSession, vins: list[str]) -> dict[str, str]:
    """``stored_hash`` for many units in one statement (VINs without a credential are left out)."""
    return await repository.secret_hashes(session, [vin for vin in vins if is_vin(vin)])


async def check(stored: str | None, secret: str) -> bool:
    """Whether ``secret`` matches ``stored`` (from ``stored_hash``); an old scrypt hash is
    checked in a worker thread. An unknown unit is checked against a dummy hash of the current
    scheme, so its refusal takes as long as a wrong secret's."""
    against = stored if stored is not None else _dummy_hash()
    if is_slow(against):
        matches = await asyncio.to_thread(secret_matches, against, secret)
    else:
        matches = secret_matches(against, secret)
    return matches and stored is not None


async def verify(session: AsyncSession, *, vin: str, secret: str) -> bool:
    return await check(await stored_hash(session, vin=vin), secret)


async def broker_password_entries(session: AsyncSession) -> list[tuple[str, str]]:
    """``(VIN, Mosquitto hash)`` for every provisioned unit: the vehicles' password file."""
    return await repository.broker_hashes(session)


def gateway_secret(settings: Settings) -> str:
    """The gateway's broker password, derived from the platform key so it needs no setting."""
    return sign(settings.resolved_secret_key, "linkplus.vehicle_link.gateway.mqtt-password")


class BrokerSync(StrEnum):
    """What ``push_to_broker`` did."""

    not_configured = "not_configured"  # no LINKPLUS_MOSQUITTO_DIR: the embedded broker asks us
    reloaded = "reloaded"
    written = "written"  # the file is new, but no Mosquitto could be signalled to reload it


async def push_to_broker(db: Database, settings: Settings) -> BrokerSync:
    """Bring Mosquitto's vehicle password file in step with the database and make the broker
    reload it (call after the provisioning committed). The file keeps its owner and mode, so the
    broker can always read it; when it could not be written so, nothing is replaced and
    ``mosquitto.MosquittoFilesRefused`` says why."""
    if settings.mosquitto_dir is None:
        return BrokerSync.not_configured
    async with db.read() as session:
        entries = await broker_password_entries(session)
    setup = mosquitto.setup_files(settings.mosquitto_dir)
    await asyncio.to_thread(mosquitto.write_vehicle_passwords, setup, entries)
    return BrokerSync.reloaded if mosquitto.reload(setup) else BrokerSync.written
