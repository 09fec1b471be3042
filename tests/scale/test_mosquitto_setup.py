"""`linkplus mosquitto setup` writes a Mosquitto the platform runs on, and provisioning a unit
reaches the running broker without dropping anyone (docs/scaling.md, "Mosquitto")."""

from __future__ import annotations

import asyncio
import os
import pwd
import stat
import subprocess
import sys
from pathlib import Path

import aiomqtt
import httpx

from linkplus.protocol.vehicle import Channel, topic
from linkplus.runtime import Runtime
from linkplus.vehicle_link import credentials
from linkplus.vehicle_link.client import BrokerAddress, gateway_client, vehicle_client
from tests.connected_services.support import make_vehicle
from tests.servers import missing_service, mosquitto_server
from tests.vehicle_link.support import make_car

FILES = ("mosquitto.conf", "vehicles.passwd", "gateway.passwd", "vehicles.acl", "gateway.acl")


def _linkplus(
    runtime: Runtime, directory: Path, broker: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LINKPLUS_")}
    environment.update(
        {
            "LINKPLUS_DATA_DIR": str(directory / "data"),
            "LINKPLUS_DATABASE_URL": runtime.settings.resolved_database_url,
            "LINKPLUS_SECRET_KEY": runtime.settings.resolved_secret_key,
            "LINKPLUS_MOSQUITTO_DIR": str(broker),
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "linkplus", *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _readable_by_broker(path: Path) -> bool:
    """Whether the user Mosquitto runs as (``mosquitto`` when started by root) can read it,
    and nobody else can."""
    found = path.stat()
    mode = stat.S_IMODE(found.st_mode)
    if mode & 0o007:
        return False
    if os.geteuid() != 0:
        return found.st_uid == os.geteuid() and bool(mode & 0o400)
    broker = pwd.getpwnam("mosquitto")
    return (found.st_uid == broker.pw_uid and bool(mode & 0o400)) or (
        found.st_gid == broker.pw_gid and bool(mode & 0o040)
    )


async def test_setup_then_provisioning_reaches_the_running_broker_and_drops_nobody(
    runtime: Runtime, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("mosquitto")
        except KeyError:
            # Running as root, the setup gives the files to Mosquitto's own user (the Debian
            # package makes it); without it, Mosquitto is not installed as CI installs it.
            missing_service("the 'mosquitto' user (running as root, as Mosquitto does)")
    early = await make_car(runtime, client, model_code="UX300E", active=False)
    late_vin = await make_vehicle(runtime, model_code="UX300E")  # registered, not provisioned
    written: list[str] = []
    brokers: list[Path] = []

    def configure(directory: Path, ports: list[int]) -> Path:
        broker = directory / "broker"  # a directory the broker's user can reach
        brokers.append(broker)
        result = _linkplus(
            runtime,
            tmp_path,
            broker,
            "mosquitto",
            "setup",
            "--vehicle-port",
            str(ports[0]),
            "--vehicle-bind",
            "127.0.0.1",
            "--gateway-port",
            str(ports[1]),
            "--no-persistence",
        )
        assert result.returncode == 0, result.stderr
        written.append(result.stdout)
        # As the command left them (the harness hands files to the broker's user afterwards).
        assert all(_readable_by_broker(broker / name) for name in FILES)
        return broker / "mosquitto.conf"

    with mosquitto_server(configure, listeners=2) as server:
        vehicles = BrokerAddress(server.host, server.ports[0])
        gateway = BrokerAddress(server.host, server.ports[1])
        assert f"LINKPLUS_MQTT_VEHICLE_URL=mqtt://127.0.0.1:{server.ports[0]}" in written[-1]
        assert f"LINKPLUS_MQTT_URL=mqtt://127.0.0.1:{server.ports[1]}" in written[-1]
        secret = credentials.gateway_secret(runtime.settings)
        async with (
            gateway_client(gateway, secret=secret, instance="setup_test") as platform,
            vehicle_client(vehicles, vin=early.vin, secret=early.secret) as car,
        ):
            await platform.subscribe(f"lp/v1/+/{Channel.telemetry.value}", qos=1)
            refused = _late_car_connects(vehicles, late_vin, "not-provisioned-yet")
            assert not await refused
            provisioned = await asyncio.to_thread(
                _linkplus, runtime, tmp_path, brokers[-1], "vehicles", "provision", late_vin
            )
            assert provisioned.returncode == 0, provisioned.stderr
            assert "reloaded" in provisioned.stderr
            assert _readable_by_broker(brokers[-1] / "vehicles.passwd")
            late_secret = provisioned.stdout.splitlines()[0]
            await asyncio.sleep(0.5)  # Mosquitto handles SIGHUP in its next loop
            assert await _late_car_connects(vehicles, late_vin, late_secret)
            # Those connected before the reload are still there.
            await car.publish(topic(early.vin, Channel.telemetry), b"{}", qos=1)
            async with asyncio.timeout(10):
                async for message in platform.messages:
                    assert message.topic.value == topic(early.vin, Channel.telemetry)
                    break
        assert "Not authorized" not in (server.directory / "mosquitto.log").read_text()


async def _late_car_connects(address: BrokerAddress, vin: str, secret: str) -> bool:
    try:
        async with vehicle_client(address, vin=vin, secret=secret, timeout=10):
            return True
    except aiomqtt.MqttError:
        return False
