"""The vehicle link inside ``serve`` and ``demo``: the embedded broker (unless ``mqtt_url`` names
an external one), a gateway, and the command publisher the jobs use."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket

import structlog
from prometheus_client import CollectorRegistry

from linkplus.config import Settings
from linkplus.runtime import Runtime
from linkplus.vehicle_link import credentials
from linkplus.vehicle_link.broker import EmbeddedBroker
from linkplus.vehicle_link.client import BrokerAddress, MqttVersion
from linkplus.vehicle_link.gateway import SHARE_GROUP, Gateway
from linkplus.vehicle_link.publisher import MqttCommandPublisher

log = structlog.get_logger("linkplus.vehicle_link")


def broker_address(settings: Settings) -> BrokerAddress:
    """The configured external broker, or the embedded one ``serve`` starts on loopback."""
    if settings.mqtt_url:
        return BrokerAddress.from_url(settings.mqtt_url)
    return BrokerAddress("127.0.0.1", settings.mqtt_port, MqttVersion.v311)


class NoVehicleListener(Exception):
    """An external broker is configured, but not the listener cars connect to."""


def vehicle_broker_address(settings: Settings) -> BrokerAddress:
    """Where cars (the simulator's, the demo's) connect: ``mqtt_vehicle_url``, else the embedded
    broker. ``mqtt_url`` is the platform's own listener, which refuses cars: with it set and no
    vehicle listener named, this raises ``NoVehicleListener`` rather than send cars there."""
    if settings.mqtt_vehicle_url:
        return BrokerAddress.from_url(settings.mqtt_vehicle_url)
    if settings.mqtt_url:
        raise NoVehicleListener(
            "LINKPLUS_MQTT_URL names the platform's own listener, which refuses cars: set "
            "LINKPLUS_MQTT_VEHICLE_URL to the broker's vehicle listener (`linkplus mosquitto "
            "setup` prints it)"
        )
    return BrokerAddress("127.0.0.1", settings.mqtt_port, MqttVersion.v311)


def process_instance(settings: Settings) -> str:
    """This process's name among the platform's processes (``LINKPLUS_INSTANCE``), else one
    derived from the host and the process id: a gateway's MQTT session and lease, and the
    command publisher's client id, carry it, so no two processes connect under one client id
    (the broker would close the older connection each time the other one reconnects)."""
    if settings.instance:
        return settings.instance
    host = re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname())[:30] or "host"
    return f"{host}.{os.getpid()}"


def command_publisher(settings: Settings, *, instance: str | None = None) -> MqttCommandPublisher:
    name = instance or process_instance(settings)
    return MqttCommandPublisher(
        broker_address(settings),
        secret=credentials.gateway_secret(settings),
        instance=f"{name}.commands",
    )


class VehicleLinkRunner:
    """Starts and stops the vehicle link of one process."""

    def __init__(
        self, runtime: Runtime, *, registry: CollectorRegistry, instance: str | None = None
    ) -> None:
        self.runtime = runtime
        self.registry = registry
        self.instance = instance or process_instance(runtime.settings)
        self.broker: EmbeddedBroker | None = None
        self.gateway: Gateway | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._own_publisher = False

    async def start(self) -> None:
        settings = self.runtime.settings
        secret = credentials.gateway_secret(settings)
        if not settings.mqtt_url:
            broker = EmbeddedBroker(self.runtime.db, gateway_secret=secret, port=settings.mqtt_port)
            try:
                await broker.start()
            except OSError as exc:
                # Serving HTTP without the vehicle link beats not serving at all; say so loudly.
                log.error("mqtt_broker_not_started", port=settings.mqtt_port, error=str(exc))
                return
            self.broker = broker
        address = broker_address(settings)
        self.gateway = Gateway(
            self.runtime,
            address,
            secret=secret,
            instance=self.instance,
            share_group=SHARE_GROUP if address.version is MqttVersion.v5 else None,
            registry=self.registry,
        )
        self._task = asyncio.create_task(self.gateway.run(self._stop), name="gateway")
        if self.runtime.vehicle_link is None:
            self.runtime.vehicle_link = command_publisher(settings, instance=self.instance)
            self._own_publisher = True

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._task, timeout=10)
        if self._own_publisher and self.runtime.vehicle_link is not None:
            await self.runtime.vehicle_link.close()
            self.runtime.vehicle_link = None
        if self.broker is not None:
            await self.broker.stop()
