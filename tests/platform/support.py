"""``linkplus serve`` / ``linkplus demo`` as a real process on free ports, for the tests that need
the real server (uvicorn, its protocol, the embedded broker, the files it writes)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.servers import free_port

# Cheap hashing keeps start-up fast; nothing else differs from a real installation.
FAST = {"LINKPLUS_ARGON2_TIME_COST": "1", "LINKPLUS_ARGON2_MEMORY_KIB": "8192"}


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any LINKPLUS_ setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKPLUS_")}
    return {**env, **FAST, **extra}


@dataclass
class Live:
    proc: subprocess.Popen[bytes]
    port: int
    mqtt_port: int
    data_dir: Path
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def live_platform(
    data_dir: Path, command: str = "serve", *args: str, env: dict[str, str] | None = None
) -> Iterator[Live]:
    """Start ``linkplus <command>`` on free ports, wait until it answers, stop it with Ctrl-C."""
    port, mqtt_port = free_port(), free_port()
    log = data_dir.parent / f"{data_dir.name}-{command}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "linkplus",
                command,
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
                *args,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            # The broker's port as a setting (the option is tested on its own in test_cli).
            env={**(env if env is not None else clean_env()), "LINKPLUS_MQTT_PORT": str(mqtt_port)},
        )
    live = Live(proc, port, mqtt_port, data_dir, log)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, f"linkplus {command} stopped:\n{live.output()}"
            assert time.monotonic() < deadline, f"{command} did not start:\n{live.output()}"
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{live.base}/healthz", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)
        yield live
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
