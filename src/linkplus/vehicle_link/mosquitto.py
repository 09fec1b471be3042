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
time; the secret itself is never stored. ``linkplus mosquitto setup`` writes everything; each
provisioning rewrites the vehicle password file (keeping its owner and mode, so the broker can
always read it) and sends Mosquitto SIGHUP through its pid file (``reload``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import pwd
import secrets
import signal
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
    lines.append(f"pid_file {setup.directory / PID_FILE}")  # where the platform sends SIGHUP
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


def setup_files(directory: Path) -> MosquittoSetup:
    """The files ``write_setup`` writes into ``directory`` (what ``LINKPLUS_MOSQUITTO_DIR``
    names)."""
    return MosquittoSetup(
        directory=directory,
        config=directory / "mosquitto.conf",
        vehicle_passwords=directory / "vehicles.passwd",
        gateway_passwords=directory / "gateway.passwd",
        vehicle_acl=directory / "vehicles.acl",
        gateway_acl=directory / "gateway.acl",
    )


PID_FILE = "mosquitto.pid"
FILE_MODE = 0o640  # the broker's user reads them (as owner or group); nobody else does


class MosquittoFilesRefused(Exception):
    """The broker's files cannot be written so that the broker can read them: nothing was
    replaced (a broker reloading a file it cannot read refuses every client)."""


@dataclass(frozen=True)
class FileOwner:
    """Who the broker's files belong to: the user Mosquitto runs as must be able to read them."""

    uid: int | None = None
    gid: int | None = None
    mode: int = FILE_MODE

    @classmethod
    def for_user(cls, run_as: str | None) -> FileOwner:
        """Files for a Mosquitto that runs as ``run_as`` (None: as this process's user)."""
        if run_as is None:
            return cls()
        try:
            entry = pwd.getpwnam(run_as)
        except KeyError:
            raise MosquittoFilesRefused(f"there is no user {run_as!r} on this machine") from None
        if os.geteuid() == 0:
            return cls(entry.pw_uid, entry.pw_gid)
        if entry.pw_uid == os.geteuid():
            return cls()
        if entry.pw_gid in os.getgroups():  # the broker reads them through its group
            return cls(None, entry.pw_gid)
        raise MosquittoFilesRefused(
            f"Mosquitto runs as {run_as!r}, which could not read files written by this user: run "
            f"the command as root, as {run_as!r}, or as a member of its group"
        )

    @classmethod
    def of(cls, path: Path) -> FileOwner:
        """The owner, group and mode ``path`` has now (kept when it is rewritten)."""
        found = path.stat()
        return cls(found.st_uid, found.st_gid, found.st_mode & 0o777)


def default_run_as() -> str | None:
    """Mosquitto started as root runs as the ``mosquitto`` user (its default ``user``)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("mosquitto")
    except KeyError:
        return None
    return "mosquitto"


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
    """Write the configuration, both password files and both ACLs into ``directory``, owned so
    that Mosquitto (running as ``run_as``, default: as Mosquitto does when started by this user)
    can read them and nobody else can."""
    owner = FileOwner.for_user(run_as or default_run_as())
    directory.mkdir(parents=True, exist_ok=True)
    _give(directory, owner, 0o750)  # the broker writes its pid and persistence files here
    setup = setup_files(directory)
    _write(setup.vehicle_passwords, password_file(vehicle_entries), owner)
    _write(
        setup.gateway_passwords,
        password_file([(gateway_username, password_hash(gateway_secret))]),
        owner,
    )
    _write(setup.vehicle_acl, vehicle_acl(), owner)
    _write(setup.gateway_acl, gateway_acl(gateway_username), owner)
    config = render_config(
        setup, vehicles=vehicles, gateway=gateway, tls=tls, persistence=persistence, run_as=run_as
    )
    _write(setup.config, config, owner)
    return setup


def write_vehicle_passwords(setup: MosquittoSetup, entries: Iterable[tuple[str, str]]) -> None:
    """Replace the vehicles' password file, keeping its owner, group and mode (then reload)."""
    try:
        owner = FileOwner.of(setup.vehicle_passwords)
    except FileNotFoundError:
        raise MosquittoFilesRefused(
            f"{setup.vehicle_passwords} does not exist: run `linkplus mosquitto setup` first"
        ) from None
    _write(setup.vehicle_passwords, password_file(entries), owner)


def reload(setup: MosquittoSetup) -> bool:
    """SIGHUP to the Mosquitto whose pid file is in the setup's directory: it reads its password
    and ACL files again, and keeps every connection whose credentials still hold. False when
    there is no such process to signal (it is not running, or not this user's to signal)."""
    try:
        pid = int((setup.directory / PID_FILE).read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError):
        return False
    return True


def _give(path: Path, owner: FileOwner, mode: int) -> None:
    if owner.uid is not None or owner.gid is not None:
        os.chown(
            path, -1 if owner.uid is None else owner.uid, -1 if owner.gid is None else owner.gid
        )
    path.chmod(mode)


def _write(path: Path, text: str, owner: FileOwner) -> None:
    """Write atomically with ``owner``'s owner, group and mode: Mosquitto never sees a
    half-written file, nor one it cannot read (then the old file stays and this raises)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            if owner.uid is not None or owner.gid is not None:
                uid = -1 if owner.uid is None or owner.uid == os.geteuid() else owner.uid
                gid = -1 if owner.gid is None else owner.gid
                os.fchown(handle.fileno(), uid, gid)
            os.fchmod(handle.fileno(), owner.mode)
    except PermissionError as exc:
        temporary.unlink(missing_ok=True)
        raise MosquittoFilesRefused(
            f"cannot give {path.name} the owner the broker reads it as ({exc.strerror}): run "
            "this as root or as the user that owns the broker's files; nothing was changed"
        ) from exc
    os.replace(temporary, path)
