"""MQTT connections for the gateway and for (simulated) telematics units, over aiomqtt.

Both keep a persistent session at QoS 1, so nothing published while a client was briefly away is
lost: the gateway with MQTT 5 clean start off and a session expiry, a unit with its VIN as the
client id. The embedded amqtt broker speaks only MQTT 3.1.1, where the same is expressed as
``clean_session=False``; ``BrokerAddress.version`` says which one to use.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qs, urlsplit

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from linkplus.vehicle_link.acl import GATEWAY_CLIENT_PREFIX, GATEWAY_USERNAME

QOS = 1
GATEWAY_SESSION_EXPIRY_SECONDS = 24 * 3600
VEHICLE_SESSION_EXPIRY_SECONDS = 14 * 24 * 3600
VEHICLE_TIMEOUT_SECONDS = 30.0
"""How long a unit waits for the broker's answers (CONNACK first). A broker checking the
credentials of a whole fleet at once answers late, and a unit that gives up and comes back only
adds to its queue; units on mobile networks use the same order of timeout."""
NO_DELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)
"""paho writes each MQTT packet as it comes; with Nagle's algorithm on, a small packet waits for
the peer's delayed ACK (40 ms on Linux) whenever an earlier one is unacknowledged, which made
a loopback request/response take about 88 ms instead of well under one."""


class MqttVersion(StrEnum):
    v5 = "5"
    v311 = "3.1.1"


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    version: MqttVersion = MqttVersion.v5
    tls: ssl.SSLContext | None = None

    @classmethod
    def from_url(cls, url: str) -> BrokerAddress:
        """``mqtt://host:port`` or ``mqtts://host:port`` (system CAs); ``?version=3.1.1``."""
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError(f"not an MQTT URL: {url!r} (expected mqtt://host:port)")
        secure = parts.scheme == "mqtts"
        version = parse_qs(parts.query).get("version", [MqttVersion.v5.value])[0]
        return cls(
            host=parts.hostname,
            port=parts.port or (8883 if secure else 1883),
            version=MqttVersion(version),
            tls=ssl.create_default_context() if secure else None,
        )


def gateway_client(
    address: BrokerAddress,
    *,
    secret: str,
    instance: str = "1",
    session_expiry: int = GATEWAY_SESSION_EXPIRY_SECONDS,
    clean_start: bool = False,
) -> aiomqtt.Client:
    """A gateway process's connection; each process needs its own ``instance`` name (client id
    ``linkplus-gateway-<instance>``: two connections with one client id take the id from each
    other, and the broker closes the older one). ``session_expiry=0`` with ``clean_start``: a
    connection that keeps nothing once it closes (the command publisher's)."""
    return _client(
        address,
        username=GATEWAY_USERNAME,
        password=secret,
        identifier=f"{GATEWAY_CLIENT_PREFIX}-{instance}",
        session_expiry=session_expiry,
        clean_start=clean_start,
    )


def acknowledge_after_processing(client: aiomqtt.Client) -> Callable[[aiomqtt.Message], bool]:
    """Turn off the automatic PUBACK of ``client`` (call before connecting) and return the
    function that acknowledges one received message.

    By default paho acknowledges a QoS 1 message as soon as it has read it, before the
    application has done anything with it: a process that dies then loses every message it had
    read but not yet stored, and the broker never delivers them again. With acknowledgement
    after processing the broker keeps each message in the session until it is acknowledged and
    delivers it again to the next connection of the same session.

    aiomqtt 2.5.1 has no API for this yet (empicano/aiomqtt#345), so this reaches the paho
    client under it; paho-mqtt 2.x documents ``manual_ack_set`` and ``ack``. An acknowledgement
    is sent only while this client's connection is up: each connection of the gateway is a new
    client, so a message from an earlier connection is never acknowledged on a later one, where
    the same packet id names another message (the broker delivers it again instead)."""
    paho = client._client  # private, see above
    paho.manual_ack_set(True)

    def acknowledge(message: aiomqtt.Message) -> bool:
        """Send the PUBACK; False when it could not be sent (the connection is gone)."""
        if message.qos == 0:
            return True
        if not paho.is_connected():
            return False
        paho.ack(message.mid, message.qos)
        return True

    return acknowledge


def vehicle_client(
    address: BrokerAddress,
    *,
    vin: str,
    secret: str,
    session_expiry: int = VEHICLE_SESSION_EXPIRY_SECONDS,
    timeout: float = VEHICLE_TIMEOUT_SECONDS,
) -> aiomqtt.Client:
    return _client(
        address,
        username=vin,
        password=secret,
        identifier=vin,
        session_expiry=session_expiry,
        timeout=timeout,
    )


def _client(
    address: BrokerAddress,
    *,
    username: str | None,
    password: str | None,
    identifier: str,
    session_expiry: int,
    timeout: float = 10.0,
    clean_start: bool = False,
) -> aiomqtt.Client:
    if address.version is MqttVersion.v5:
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = session_expiry
        return aiomqtt.Client(
            address.host,
            address.port,
            username=username,
            password=password,
            identifier=identifier,
            protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=clean_start,
            properties=properties,
            tls_context=address.tls,
            timeout=timeout,
            socket_options=NO_DELAY,
        )
    return aiomqtt.Client(
        address.host,
        address.port,
        username=username,
        password=password,
        identifier=identifier,
        protocol=aiomqtt.ProtocolVersion.V311,
        clean_session=clean_start,
        tls_context=address.tls,
        timeout=timeout,
        socket_options=NO_DELAY,
    )


@contextlib.asynccontextmanager
async def connected(client: aiomqtt.Client) -> AsyncIterator[aiomqtt.Client]:
    """``async with client``, except that a connection attempt that fails is also closed.

    aiomqtt 2.5 raises when the CONNACK does not come within the client's timeout but leaves
    the attempt's socket open. The broker then still takes that connection up when it gets to
    it, and, the client id being the same, takes the id over from the client's next attempt: the
    live connection is cut, and messages go to one that nobody reads.
    """
    try:
        await client.__aenter__()
    except aiomqtt.MqttError:
        with contextlib.suppress(Exception):
            client._client.disconnect()  # paho's socket, which aiomqtt left open
        raise
    try:
        yield client
    finally:
        await client.__aexit__(None, None, None)
