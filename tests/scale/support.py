"""Helpers of the scale-out tests: platform processes (`linkplus serve`, `linkplus gateway`)
started as subprocesses on one Mosquitto and one database, killed and read back."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from linkplus.protocol.vehicle import Channel, topic
from linkplus.vehicle_link import mosquitto
from linkplus.vehicle_link.acl import GATEWAY_USERNAME
from linkplus.vehicle_link.client import BrokerAddress, vehicle_client
from tests.crash.support import SECRET_KEY, START_TIMEOUT
from tests.servers import MosquittoServer, free_port, mosquitto_server
from tests.vehicle_link.support import Car

PATH = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"  # kept in the history
TAKE_OVER = "already connected, closing old connection"  # Mosquitto's line for a take-over


@dataclass
class Broker:
    server: MosquittoServer
    vehicles: BrokerAddress
    gateway: BrokerAddress

    def log(self) -> str:
        return (self.server.directory / "mosquitto.log").read_text(errors="replace")


@contextmanager
def broker(entries: list[tuple[str, str]], gateway_secret: str) -> Iterator[Broker]:
    """Mosquitto with the platform's two listeners, logging every connection and take-over."""

    def configure(directory: Path, ports: list[int]) -> Path:
        setup = mosquitto.write_setup(
            directory,
            vehicles=mosquitto.Listener(ports[0]),
            gateway=mosquitto.Listener(ports[1]),
            gateway_username=GATEWAY_USERNAME,
            gateway_secret=gateway_secret,
            vehicle_entries=entries,
            persistence=False,
        )
        with setup.config.open("a") as config:
            config.write("log_type information\nconnection_messages true\n")
        return setup.config

    with mosquitto_server(configure, listeners=2) as server:
        yield Broker(
            server,
            BrokerAddress(server.host, server.ports[0]),
            BrokerAddress(server.host, server.ports[1]),
        )


class PlatformProcess:
    """``python -m linkplus <command>`` configured through ``LINKPLUS_*`` variables only; its
    output (JSON log lines) goes to a file the test reads."""

    def __init__(
        self, directory: Path, database_url: str, command: list[str], **settings: str
    ) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.command = command
        self.log_path = directory / "process.log"
        self.process: subprocess.Popen[bytes] | None = None
        environment = {k: v for k, v in os.environ.items() if not k.startswith("LINKPLUS_")}
        environment.update(
            {
                "LINKPLUS_DATA_DIR": str(directory / "data"),
                "LINKPLUS_DATABASE_URL": database_url,
                "LINKPLUS_SECRET_KEY": SECRET_KEY,
                "LINKPLUS_MQTT_PORT": str(free_port()),
                "LINKPLUS_WORKER_POLL_SECONDS": "0.2",
                "LINKPLUS_LOG_LEVEL": "INFO",
                "LINKPLUS_ARGON2_TIME_COST": "1",
                "LINKPLUS_ARGON2_MEMORY_KIB": "8192",
                "LINKPLUS_ARGON2_PARALLELISM": "1",
            }
        )
        environment.update({f"LINKPLUS_{k.upper()}": v for k, v in settings.items()})
        self.environment = environment

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def events(self, name: str) -> list[dict[str, object]]:
        """The JSON log lines of event ``name``."""
        found = []
        for line in self.log().splitlines():
            if f'"{name}"' not in line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("event") == name:
                found.append(record)
        return found

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "linkplus", *self.command],
                cwd=self.directory,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def wait_for_event(self, name: str, *, within: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + within
        while not self.events(name):
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"{self.command[0]} exited:\n{self.log()[-4000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {name} within {within} s:\n{self.log()[-4000:]}")
            await asyncio.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the machine loses power."""
        assert self.process is not None
        assert self.process.poll() is None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass
class Accepted:
    """What the broker acknowledged to the cars: per msg_id the VIN, the reading's time (one
    history row per message) and when the PUBACK came."""

    messages: dict[uuid.UUID, tuple[str, datetime, datetime]] = field(default_factory=dict)


async def publish_until(
    address: BrokerAddress,
    car: Car,
    accepted: Accepted,
    stop: asyncio.Event,
    *,
    base: datetime,
    pause: float,
    first: int = 1,
) -> None:
    """Telemetry from ``car`` at QoS 1, one message every ``pause`` seconds, until ``stop``."""
    async with vehicle_client(address, vin=car.vin, secret=car.secret) as mqtt:
        index = first
        while not stop.is_set():
            msg_id = uuid.uuid4()
            ts = base + timedelta(milliseconds=index)
            payload = {
                "msg_id": str(msg_id),
                "seq": index,
                "sent_at": ts.isoformat(),
                "signals": [{"path": PATH, "value": index % 100, "ts": ts.isoformat()}],
            }
            await mqtt.publish(topic(car.vin, Channel.telemetry), json.dumps(payload), qos=1)
            accepted.messages[msg_id] = (car.vin, ts, datetime.now(UTC))
            index += 1
            await asyncio.sleep(pause)
