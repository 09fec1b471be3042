"""Commands to cars: how the remote-control domain hands a signed command to the vehicle link.

``vehicle_link.publisher.MqttCommandPublisher`` is the real adapter (MQTT, QoS 1, the car's
persistent session keeps the command until the car comes back). It turns every error of its
MQTT library into ``PublishFailed``, so nothing above this seam knows that MQTT exists.
"""

from __future__ import annotations

from typing import Protocol

from linkplus.protocol.vehicle import Command


class PublishFailed(Exception):
    """The broker could not take the command (no connection, the connection dropped, or the
    broker refused it). Safe to try again: the car drops a command it has already seen by its
    counter, and one past ``expires_at`` by its expiry."""


class CommandPublisher(Protocol):
    async def publish_command(self, vin: str, command: Command) -> None:
        """Hand the command to the broker (QoS 1); raises ``PublishFailed`` when it cannot."""
        ...

    async def close(self) -> None: ...
