"""Real PostgreSQL (and later Mosquitto) servers started from their binaries for the tests.

Each server lives in a temporary directory for one test session. When a binary is missing the
tests that need it are skipped, unless LINKPLUS_REQUIRE_SERVICES=1 (CI), where that is a failure.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

REQUIRE_SERVICES = os.environ.get("LINKPLUS_REQUIRE_SERVICES") == "1"
PORT_ATTEMPTS = 5  # a port taken between choosing and binding it is rare; five in a row is a bug

T = TypeVar("T")


def missing_service(what: str) -> None:
    """Skip, or fail when CI requires every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (LINKPLUS_REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available")


_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port nobody listens on now, chosen by the kernel (never a fixed one), and not
    one this process handed out before. Tests run in parallel (pytest-xdist workers), so another
    process may still take it before the caller binds it: servers that can, bind port 0
    themselves; the others start through ``on_a_free_port``, which tries again."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port


class PortTaken(Exception):
    """The server could not listen because its port was taken meanwhile."""


def on_a_free_port(start: Callable[[int], T], *, attempts: int = PORT_ATTEMPTS) -> T:
    """``start(port)`` on a free port, again on another one when that port was taken between
    choosing and binding it (``OSError`` EADDRINUSE or ``PortTaken``)."""
    for attempt in range(1, attempts + 1):
        try:
            return start(free_port())
        except PortTaken:
            if attempt == attempts:
                raise
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or attempt == attempts:
                raise
    raise AssertionError("unreachable")


def find_binary(name: str, patterns: list[str]) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for pattern in patterns:
        matches = sorted(glob.glob(pattern), reverse=True)
        if matches:
            return matches[0]
    return None


def _as_service_user() -> list[str]:
    """PostgreSQL refuses to run as root: run it as the 'postgres' user when we are root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail("running as root needs the 'postgres' system user to start PostgreSQL")
    return ["runuser", "-u", "postgres", "--"]


@dataclass
class PostgresServer:
    host: str
    port: int
    user: str = "postgres"

    def url(self, database: str, *, driver: str = "asyncpg") -> str:
        return f"postgresql+{driver}://{self.user}@{self.host}:{self.port}/{database}"


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    initdb = find_binary("initdb", ["/usr/lib/postgresql/*/bin/initdb"])
    if initdb is None:
        missing_service("PostgreSQL (initdb)")
    assert initdb is not None
    bindir = Path(initdb).resolve().parent
    base = Path(tempfile.mkdtemp(prefix="linkplus-pg-"))
    base.chmod(0o777)
    data = base / "data"
    runas = _as_service_user()
    if runas:
        shutil.chown(base, user="postgres")
    subprocess.run(
        [
            *runas,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-instructions",
        ],
        check=True,
        capture_output=True,
    )
    log = base / "server.log"

    def start(port: int) -> int:
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={base} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=300"
        )
        started = subprocess.run(
            [
                *runas,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=False,
            capture_output=True,
        )
        if started.returncode != 0:
            output = log.read_text(errors="replace") if log.exists() else ""
            if "could not bind" in output or "already in use" in output:
                log.unlink()
                raise PortTaken(port)
            raise subprocess.CalledProcessError(
                started.returncode, started.args, started.stdout, started.stderr + output.encode()
            )
        return port

    port = on_a_free_port(start)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.1)
        yield PostgresServer("127.0.0.1", port)
    finally:
        subprocess.run(
            [*runas, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)


# --- Mosquitto -------------------------------------------------------------------------------


@dataclass
class MosquittoServer:
    """A running Mosquitto; ``ports`` are the listener ports its configuration was written for."""

    host: str
    ports: list[int]
    directory: Path
    process: subprocess.Popen[bytes]

    def reload(self) -> None:
        """Make Mosquitto re-read its password and ACL files (after they were rewritten)."""
        _hand_to_mosquitto_user(self.directory)
        self.process.send_signal(signal.SIGHUP)


def _hand_to_mosquitto_user(directory: Path) -> None:
    """Mosquitto started as root drops to the 'mosquitto' user: let that user read its files."""
    if os.geteuid() != 0:
        return
    try:
        pwd.getpwnam("mosquitto")
    except KeyError:
        return
    shutil.chown(directory, user="mosquitto")
    for path in directory.rglob("*"):
        shutil.chown(path, user="mosquitto")


@contextlib.contextmanager
def mosquitto_server(
    configure: Callable[[Path, list[int]], Path], *, listeners: int = 1
) -> Iterator[MosquittoServer]:
    """Start ``mosquitto -c <file>`` in a temporary directory and wait until every listener
    accepts connections. ``configure(directory, ports)`` writes the configuration for the free
    ports given and returns its path."""
    binary = find_binary("mosquitto", ["/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"])
    if binary is None:
        missing_service("Mosquitto")
    assert binary is not None
    base = Path(tempfile.mkdtemp(prefix="linkplus-mosquitto-"))
    for attempt in range(1, PORT_ATTEMPTS + 1):
        ports = [free_port() for _ in range(listeners)]
        config = configure(base, ports)
        _hand_to_mosquitto_user(base)
        log = (base / "mosquitto.log").open("wb")
        process = subprocess.Popen(
            [binary, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            problem = _wait_for_listeners(process, ports, base / "mosquitto.log")
        except BaseException:
            _stop(process)
            log.close()
            raise
        if problem is None:
            break
        _stop(process)
        log.close()
        if "Address already in use" not in problem or attempt == PORT_ATTEMPTS:
            shutil.rmtree(base, ignore_errors=True)
            pytest.fail(problem)
    try:
        yield MosquittoServer("127.0.0.1", ports, base, process)
    finally:
        _stop(process)
        log.close()
        shutil.rmtree(base, ignore_errors=True)


def _wait_for_listeners(
    process: subprocess.Popen[bytes], ports: list[int], log: Path
) -> str | None:
    """None once every port accepts connections and Mosquitto still runs (so the port is its
    own, not another program's); otherwise what went wrong."""
    deadline = time.monotonic() + 15
    waiting = list(ports)
    while waiting and time.monotonic() < deadline:
        if process.poll() is not None:
            break
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", waiting[0]), 1),
        ):
            waiting.pop(0)
            continue
        time.sleep(0.05)
    time.sleep(0.05)  # a listener that failed to bind exits at once: give it the chance to
    if process.poll() is not None:
        output = log.read_text(errors="replace")
        return f"mosquitto exited with {process.returncode}:\n{output}"
    if waiting:
        return f"mosquitto did not listen on {waiting} within 15 s"
    return None


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
