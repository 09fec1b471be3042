"""``linkplus demo`` with its simulator: the demo owner's three cars connect to the embedded
broker in the same process and drive, so their status changes through the API while the demo
runs; Ctrl-C stops the fleet, the server and the broker, and the command exits 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from linkplus.demo import DEMO_CARS
from tests.servers import free_port

BOUND = 240.0  # seconds: the whole run takes about 20 (90 on a machine loaded by parallel
# workers); only reached when something is wrong
RZ = DEMO_CARS[2].vin  # the electric one


def _read_lines(stream: Any, into: list[str], banner: threading.Event) -> None:
    for line in stream:
        into.append(line)
        if "press Ctrl-C to stop" in line:
            banner.set()


def test_demo_drives_the_owners_cars_and_their_status_changes_then_ctrl_c_exits_0(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "LINKPLUS_ARGON2_TIME_COST": "1",
        "LINKPLUS_ARGON2_MEMORY_KIB": "8192",
        "LINKPLUS_MQTT_PORT": str(free_port()),
    }
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
            "--sim-speed",
            "3600",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    output: list[str] = []
    banner = threading.Event()
    reader = threading.Thread(target=_read_lines, args=(proc.stdout, output, banner), daemon=True)
    reader.start()
    try:
        assert banner.wait(BOUND), "".join(output)
        text = "".join(output)
        driving = "the fleet is driving: 3 simulated car(s), today since midnight replayed at 3600"
        assert driving in " ".join(text.split()), text  # the console wraps long lines

        base = f"http://127.0.0.1:{port}"
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
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

        def status() -> dict[str, Any]:
            answer = httpx.get(f"{base}/api/v1/vehicles/{RZ}/status", headers=headers, timeout=10)
            assert answer.status_code == 200, answer.text
            body: dict[str, Any] = answer.json()
            return body

        deadline = time.monotonic() + BOUND
        first = status()
        while first["battery"]["reported_at"] is None:  # the units' first status
            assert time.monotonic() < deadline, "no status from the simulated car"
            time.sleep(0.2)  # a real process on the system clock: nothing to move
            first = status()
        assert first["connection"]["state"] == "online"
        assert first["battery"]["charge_percent"] > 0
        assert first["odometer"]["km"] >= DEMO_CARS[2].odometer_km  # its registry mileage

        # An hour of simulated time a second: within seconds the car has driven and parked.
        later = status()
        while later["odometer"]["km"] == first["odometer"]["km"]:
            assert time.monotonic() < deadline, f"the car did not drive: {later}"
            time.sleep(0.2)  # as above
            later = status()
        assert later["odometer"]["km"] > first["odometer"]["km"]
        assert later["odometer"]["reported_at"] > first["odometer"]["reported_at"]
        assert later["doors"]["reported_at"] > first["doors"]["reported_at"]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        reader.join(timeout=10)
    assert code == 0, "".join(output)
    assert "mqtt_broker_stopped" in "".join(output)
