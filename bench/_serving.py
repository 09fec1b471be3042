"""``linkplus serve`` processes for the benches that need the platform's HTTP side as it runs in
production (``bench/billing.py``: the sandbox payment provider; ``bench/api.py``: the API).

Run as scripts, the benches have the repository's root on ``sys.path``: this is
``bench._serving``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from tests.servers import free_port

START_SECONDS = 240.0  # several processes starting at once on a loaded 2-core machine (first
# start of a fresh clone: every module compiled too)


@contextlib.contextmanager
def serving(
    url: str,
    work: Path,
    *,
    secret_key: str,
    processes: int = 1,
    extra_env: dict[str, str] | None = None,
) -> Iterator[list[tuple[int, subprocess.Popen[bytes]]]]:
    """``processes`` ``linkplus serve`` processes on the database ``url``, each on a port of its
    own, HTTP only: no job worker, and no gateway (so no embedded broker either; each is
    given a free MQTT port all the same, which ``serve`` checks at start). Yields (port,
    process) once every one answers ``/readyz``; stops them with SIGINT (as Ctrl-C) after."""
    env = {
        **os.environ,
        "LINKPLUS_DATABASE_URL": url,
        "LINKPLUS_SECRET_KEY": secret_key,
        "LINKPLUS_LOG_LEVEL": "WARNING",
        "LINKPLUS_LOG_JSON": "true",
        "LINKPLUS_WORKER_ENABLED": "false",
        "LINKPLUS_GATEWAY_ENABLED": "false",
        **(extra_env or {}),
    }
    started = time.monotonic()
    running: list[tuple[int, subprocess.Popen[bytes], Path]] = []
    try:
        for index in range(processes):
            port = free_port()
            data = work / f"serve-{index}"
            data.mkdir(parents=True, exist_ok=True)
            command = [sys.executable, "-m", "linkplus", "serve", "--host", "127.0.0.1"]
            command += ["--port", str(port), "--data-dir", str(work)]
            command += ["--mqtt-port", str(free_port())]
            log_path = data / "serve.log"
            with log_path.open("wb") as log:
                process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
            running.append((port, process, log_path))
        deadline = time.monotonic() + START_SECONDS
        for port, process, log_path in running:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"linkplus serve exited with {process.returncode}:\n"
                        + log_path.read_text(errors="replace")[-3000:]
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("linkplus serve did not become ready")
                time.sleep(0.1)  # processes starting up: nothing to wait on but time
        print(f"{processes} linkplus serve ready in {time.monotonic() - started:.1f} s", flush=True)
        yield [(port, process) for port, process, _ in running]
    finally:
        for _, process, _ in running:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for _, process, _ in running:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
