"""Sending commands to cars: the seam between jobs and the MQTT broker.

``CommandPublisher`` is what ``Runtime.vehicle_link`` holds. The real one keeps one gateway
connection per process, opened on first use and opened again after the broker went away; a
command is published at QoS 1 to ``lp/v1/<VIN>/commands``, where the car's persistent session
keeps it until the car comes back (it drops it itself once ``expires_at`` has passed). Over
MQTT 5 the command also carries its remaining life as the message expiry interval, so the broker
itself discards it, rather than deliver it late, when the car is away past ``expires_at``.
"""

from __future__ import annotations

import asyncio
import math
import re

import aiomqtt
import structlog
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from linkplus.protocol.vehicle import Channel, Command, encode, topic
from linkplus.seams.commands import PublishFailed
from linkplus.vehicle_link.client import BrokerAddress, MqttVersion, gateway_client

log = structlog.get_logger("linkplus.vehicle_link.publisher")


def expiry_seconds(command: Command) -> int:
    """The command's remaining life when it is published (at least 1 s: 0 means no expiry)."""
    return max(1, math.ceil((command.expires_at - command.sent_at).total_seconds()))


def instance_name(text: str) -> str:
    """A gateway client-id suffix the broker ACL accepts (letters, digits, ``_`` and ``.``)."""
    cleaned = re.sub(r"[^A-Za-z0-9_.]", "_", text)[:64]
    return cleaned or "1"


class MqttCommandPublisher:
    def __init__(self, address: BrokerAddress, *, secret: str, instance: str) -> None:
        self._address = address
        self._secret = secret
        self._instance = instance_name(instance)
        self._client: aiomqtt.Client | None = None
        self._lock = asyncio.Lock()

    async def _connected(self) -> aiomqtt.Client:
        client = self._client
        if client is not None:
            return client
        async with self._lock:  # one connection, however many commands wait for it
            if self._client is None:
                # A session that ends with the connection: the publisher subscribes to
                # nothing, and a process's pid-derived name is never used again, so a kept
                # session would only pile up in the broker.
                opened = gateway_client(
                    self._address,
                    secret=self._secret,
                    instance=self._instance,
                    session_expiry=0,
                    clean_start=True,
                )
                try:
                    await opened.__aenter__()
                except aiomqtt.MqttError as exc:
                    raise PublishFailed(f"cannot connect to the MQTT broker: {exc}") from exc
                self._client = opened
            return self._client

    async def publish_command(self, vin: str, command: Command) -> None:
        """Publish at QoS 1 and wait for the broker's PUBACK; ``PublishFailed`` when the broker
        cannot take it. Commands to different cars are in
        flight together; the callers keep one car's commands in order (``remote.service.send``
        holds the car's counter row until its publish is acknowledged)."""
        client = await self._connected()
        properties = None
        if self._address.version is MqttVersion.v5:
            properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            properties.MessageExpiryInterval = expiry_seconds(command)
        try:
            await client.publish(
                topic(vin, Channel.commands), encode(command), qos=1, properties=properties
            )
        except aiomqtt.MqttError as exc:
            await self._drop(client)
            raise PublishFailed(f"the MQTT broker did not take the command: {exc}") from exc

    async def _drop(self, client: aiomqtt.Client | None) -> None:
        if client is None:
            return
        if self._client is client:
            self._client = None
        try:
            await client.__aexit__(None, None, None)
        except aiomqtt.MqttError:
            log.info("mqtt_publisher_already_disconnected")

    async def close(self) -> None:
        async with self._lock:
            await self._drop(self._client)
