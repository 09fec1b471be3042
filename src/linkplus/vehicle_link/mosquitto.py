"""Configuration for a real Mosquitto (2.x) broker: listeners, password files and ACLs.

Two listeners keep vehicles and the platform apart:

* the vehicle listener (Internet-facing, TLS in production) knows only VINs. It sets
  ``use_username_as_clientid`` so a unit's client id is always its VIN: one car can never take
  over another client's session, and the ACL confines each VIN to its own topics;
* the gateway listener (bind it to a private address) knows only the gateway user.

``per_listener_settings true`` gives each listener its own password file and ACL; messages
still flow between listeners, since they share one topic tree.

The password files use Mosquitto's own format (``user:$7$<iterations>$<salt>$<hash>``,
PBKDF2-HMAC-SHA512, as ``mosquitto_passwd`` writes it). The platform stores that hash beside its
own hash when a unit is provisioned, so the file can be rebuilt from the database at any
time; the secret itself is never stored. Send Mosquitto SIGHUP after rewriting the files.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from linkplus.protocol.vehicle import TOPIC_ROOT, VEHICLE_CHANNELS, Channel
from linkplus.vehicle_link.acl import DRAIN_ROOT

QUEUED_MESSAGES = 1_000_000
"""Per client, beyond those in flight: about 20 minutes of a 10,000-car fleet's telemetry (one
message every 10 s per car) for the gateway's session, a few hundred MB of broker memory."""
PBKDF2_ITERATIONS = 101  # what mosquitto_passwd uses; the secrets are 256-bit random
SALT_BYTES = 12
HASH_BYTES = 64


def password_hash(secret: str, *, iterations: int = PBKDF2_ITERATIONS) -> str:
    """``secret`` in Mosquitto's ``$7$`` format (the part after ``username:``)."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", secret.encode(), salt, iterations, HASH_BYTES)
    return f"$7${iterations}${_b64(salt)}${_b64(digest)}"


def password_hash_matches(stored: str, secret: str) -> bool:
    """Check ``secret`` the way Mosquitto does; False for anything not a ``$7$`` hash."""
    parts = stored.split("$")
    if len(parts) != 5 or parts[1] != "7" or not parts[2].isdigit():
        return False
    iterations = int(parts[2])
    if not 1 <= iterations <= 1_000_000:
        return False
    try:
        salt = base64.b64decode(parts[3], validate=True)
        expected = base64.b64decode(parts[4], validate=True)
    except ValueError:
        return False
    digest = hashlib.pbkdf2_hmac("sha512", secret.encode(), salt, iterations, len(expected))
    return hmac.compare_digest(digest, expected)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def password_file(entries: Iterable[tuple[str, str]]) -> str:
    """Password-file text from ``(username, $7$ hash)`` pairs."""
    lines = []
    for username, hashed in sorted(entries):
        if ":" in username or "\n" in username or "\n" in hashed:
            raise ValueError(f"cannot write user {username!r} to a Mosquitto password file")
        lines.append(f"{username}:{hashed}\n")
    return "".join(lines)


def vehicle_acl() -> str:
    """Every authenticated VIN may use only its own topics (``%u`` is the username, the VIN)."""
    lines = ["# linkplus vehicle protocol v1: each unit is confined to lp/v1/<its VIN>/...\n"]
    lines += [f"pattern write {TOPIC_ROOT}/%u/{channel.value}\n" for channel in VEHICLE_CHANNELS]
    lines.append(f"pattern read {TOPIC_ROOT}/%u/{Channel.commands.value}\n")
    return "".join(lines)


def gateway_acl(gateway_username: str) -> str:
    """The gateway reads what every vehicle sends and writes commands to any vehicle."""
    lines = [f"user {gateway_username}\n"]
    lines += [f"topic read {TOPIC_ROOT}/+/{channel.value}\n" for channel in VEHICLE_CHANNELS]
    lines.append(f"topic write {TOPIC_ROOT}/+/{Channel.commands.value}\n")
    # A gateway taking over a dead one's session sends itself a marker there (gateway.py).
    lines.append(f"topic readwrite {DRAIN_ROOT}/+/drained\n")
    return "".join(lines)


@dataclass(frozen=True)
class Tls:
    """Production TLS for the vehicle listener (see docs/vehicle-protocol.md)."""

    cafile: Path
    certfile: Path
    keyfile: Path
    require_certificate: bool = False
    tls_version: str = "tlsv1.3"


@dataclass(frozen=True)
class Listener:
    port: int
    bind_address: str = "127.0.0.1"


@dataclass(frozen=True)
class MosquittoSetup:
    """Where the generated files live and how the two listeners are reached."""

    directory: Path
    config: Path
    vehicle_passwords: Path
    gateway_passwords: Path
    vehicle_acl: Path
    gateway_acl: Path


def render_config(
    setup: MosquittoSetup,
    *,
    vehicles: Listener,
    gateway: Listener,
    tls: Tls | None = None,
    persistence: bool = True,
    run_as: str | None = None,
    queued_messages: int = QUEUED_MESSAGES,
) -> str:
    lines = [
        "# Written by linkplus (vehicle_link.mosquitto). Regenerate rather than edit.",
        "per_listener_settings true",
        f"persistence {'true' if persistence else 'false'}",
        # Commands and answers are small packets: without this Mosquitto's writes wait for the
        # client's delayed ACK (40 ms on Linux), the whole of a loopback round trip's time.
        "set_tcp_nodelay true",
        # The gateway's session holds every car's messages while the gateway restarts or falls
        # behind. Mosquitto's default of 1,000 queued messages per client drops the rest, even
        # though each car was told (PUBACK) its message was accepted.
        f"max_queued_messages {queued_messages}",
    ]
    if persistence:
        lines.append(f"persistence_location {setup.directory}/")
    if run_as:
        lines.append(f"user {run_as}")
    lines += [
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "",
        "# Vehicles: username = VIN, client id forced to the VIN.",
        f"listener {vehicles.port} {vehicles.bind_address}",
        "protocol mqtt",
        "allow_anonymous false",
        "use_username_as_clientid true",
        f"password_file {setup.vehicle_passwords}",
        f"acl_file {setup.vehicle_acl}",
    ]
    if tls is not None:
        lines += [
            f"cafile {tls.cafile}",
            f"certfile {tls.certfile}",
            f"keyfile {tls.keyfile}",
            f"require_certificate {'true' if tls.require_certificate else 'false'}",
            f"tls_version {tls.tls_version}",
        ]
    lines += [
        "",
        "# The platform's gateway processes: keep this listener on a private address.",
        f"listener {gateway.port} {gateway.bind_address}",
        "protocol mqtt",
        "allow_anonymous false",
        f"password_file {setup.gateway_passwords}",
        f"acl_file {setup.gateway_acl}",
        "",
    ]
    return "\n".join(lines)


def write_setup(
    directory: Path,
    *,
    vehicles: Listener,
    gateway: Listener,
    gateway_username: str,
    gateway_secret: str,
    vehicle_entries: Iterable[tuple[str, str]],
    tls: Tls | None = None,
    persistence: bool = True,
    run_as: str | None = None,
) -> MosquittoSetup:
    """Write the configuration, both password files and both ACLs into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    setup = MosquittoSetup(
        directory=directory,
        config=directory / "mosquitto.conf",
        vehicle_passwords=directory / "vehicles.passwd",
        gateway_passwords=directory / "gateway.passwd",
        vehicle_acl=directory / "vehicles.acl",
        gateway_acl=directory / "gateway.acl",
    )
    write_vehicle_passwords(setup, vehicle_entries)
    _write(
        setup.gateway_passwords, password_file([(gateway_username, password_hash(gateway_secret))])
    )
    _write(setup.vehicle_acl, vehicle_acl())
    _write(setup.gateway_acl, gateway_acl(gateway_username))
    config = render_config(
        setup, vehicles=vehicles, gateway=gateway, tls=tls, persistence=persistence, run_as=run_as
    )
    _write(setup.config, config)
    return setup


def write_vehicle_passwords(setup: MosquittoSetup, entries: Iterable[tuple[str, str]]) -> None:
    """Replace the vehicles' password file (then SIGHUP Mosquitto to load it)."""
    _write(setup.vehicle_passwords, password_file(entries))


def _write(path: Path, text: str) -> None:
    """Write atomically, readable by the owner only: Mosquitto never sees a half-written file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)
