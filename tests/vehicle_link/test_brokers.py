"""The same access rules, proved against the embedded amqtt broker and a real Mosquitto."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiomqtt
import pytest

from linkplus.protocol.vehicle import Channel, Command, parse, subscription, topic
from linkplus.runtime import Runtime
from linkplus.vehicle_link import credentials, mosquitto
from linkplus.vehicle_link.acl import GATEWAY_USERNAME
from linkplus.vehicle_link.broker import EmbeddedBroker
from linkplus.vehicle_link.client import (
    BrokerAddress,
    MqttVersion,
    acknowledge_after_processing,
    gateway_client,
    vehicle_client,
)
from linkplus.vehicle_link.publisher import MqttCommandPublisher
from tests.servers import free_port, mosquitto_server
from tests.vehicle_link.support import provisioned_vehicle

A = "WVWZZZ1JZXW000001"
B = "WVWZZZ1JZXW000002"
WAIT = 15.0  # seconds: far above a loopback round trip, even on a loaded machine; only reached
# when something is wrong


@dataclass
class Link:
    name: str
    vehicles: BrokerAddress
    gateway: BrokerAddress
    gateway_secret: str
    secrets: dict[str, str]


@contextmanager
def _mosquitto(
    runtime_dir: Path, entries: list[tuple[str, str]], gateway_secret: str
) -> Iterator[tuple[BrokerAddress, BrokerAddress]]:
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
        return setup.config

    with mosquitto_server(configure, listeners=2) as server:
        yield (
            BrokerAddress(server.host, server.ports[0]),
            BrokerAddress(server.host, server.ports[1]),
        )


@pytest.fixture(params=["amqtt", "mosquitto"])
async def link(request: pytest.FixtureRequest, runtime: Runtime) -> AsyncIterator[Link]:
    secrets = {vin: await provisioned_vehicle(runtime, vin) for vin in (A, B)}
    gateway_secret = credentials.gateway_secret(runtime.settings)
    if request.param == "amqtt":
        broker = EmbeddedBroker(runtime.db, gateway_secret=gateway_secret, port=free_port())
        async with broker:
            yield Link("amqtt", broker.address, broker.address, gateway_secret, secrets)
        return
    async with runtime.db.transaction() as session:
        entries = await credentials.broker_password_entries(session)
    with _mosquitto(runtime.settings.data_dir, entries, gateway_secret) as (vehicles, gateway):
        yield Link("mosquitto", vehicles, gateway, gateway_secret, secrets)


async def next_message(client: aiomqtt.Client) -> aiomqtt.Message:
    async def first() -> aiomqtt.Message:
        async for message in client.messages:
            return message
        raise AssertionError("message stream ended")

    return await asyncio.wait_for(first(), WAIT)


async def subscribed_gateway(link: Link) -> aiomqtt.Client:
    gateway = gateway_client(link.gateway, secret=link.gateway_secret, instance="test")
    await gateway.__aenter__()
    for channel in (Channel.telemetry, Channel.events, Channel.command_results):
        await gateway.subscribe(subscription(channel), qos=1)
    return gateway


async def test_vehicle_publishes_under_its_own_vin_and_the_gateway_receives_it(
    link: Link,
) -> None:
    gateway = await subscribed_gateway(link)
    try:
        async with vehicle_client(link.vehicles, vin=A, secret=link.secrets[A]) as car:
            await car.publish(topic(A, Channel.telemetry), b"speed", qos=1)
            await car.publish(topic(A, Channel.events), b"ignition", qos=1)
            first = await next_message(gateway)
            second = await next_message(gateway)
        assert (str(first.topic), first.payload) == (topic(A, Channel.telemetry), b"speed")
        assert (str(second.topic), second.payload) == (topic(A, Channel.events), b"ignition")
    finally:
        await gateway.__aexit__(None, None, None)


async def test_vehicle_a_cannot_publish_as_b(link: Link) -> None:
    gateway = await subscribed_gateway(link)
    try:
        async with vehicle_client(link.vehicles, vin=A, secret=link.secrets[A]) as car:
            for channel in (Channel.telemetry, Channel.events, Channel.command_results):
                await car.publish(topic(B, channel), b"forged", qos=1)
            # A marker on A's own topic, sent after the forgeries: once the gateway has it, the
            # forgeries would have arrived before it if the broker had let them through.
            await car.publish(topic(A, Channel.telemetry), b"marker", qos=1)
            received = await next_message(gateway)
        assert (str(received.topic), received.payload) == (topic(A, Channel.telemetry), b"marker")
        assert len(gateway.messages) == 0
    finally:
        await gateway.__aexit__(None, None, None)


async def test_vehicle_a_cannot_read_b_commands(link: Link) -> None:
    async with (
        gateway_client(link.gateway, secret=link.gateway_secret, instance="test") as gateway,
        vehicle_client(link.vehicles, vin=A, secret=link.secrets[A]) as car_a,
        vehicle_client(link.vehicles, vin=B, secret=link.secrets[B]) as car_b,
    ):
        granted = await car_a.subscribe(topic(B, Channel.commands), qos=1)
        codes = [getattr(code, "value", code) for code in granted]
        await car_a.subscribe(topic(A, Channel.commands), qos=1)
        await car_b.subscribe(topic(B, Channel.commands), qos=1)
        await gateway.publish(topic(B, Channel.commands), b"unlock B", qos=1)
        await gateway.publish(topic(A, Channel.commands), b"refresh A", qos=1)
        got_b = await next_message(car_b)
        got_a = await next_message(car_a)
        assert got_b.payload == b"unlock B"  # the command did go out
        assert got_a.payload == b"refresh A"
        assert str(got_a.topic) == topic(A, Channel.commands)
        assert len(car_a.messages) == 0
        if link.name == "amqtt":
            assert codes == [0x80]  # amqtt refuses the subscription itself
        # Mosquitto grants it and then never delivers a message the ACL does not allow.


async def test_wrong_secret_is_refused_at_connect(link: Link) -> None:
    with pytest.raises(aiomqtt.MqttCodeError):
        async with vehicle_client(link.vehicles, vin=A, secret=link.secrets[B]):
            pass
    with pytest.raises(aiomqtt.MqttCodeError):
        async with gateway_client(link.gateway, secret="not-the-gateway-secret"):
            pass


async def test_anonymous_is_refused(link: Link) -> None:
    for address in {link.vehicles, link.gateway}:
        with pytest.raises(aiomqtt.MqttCodeError):
            async with aiomqtt.Client(
                address.host,
                address.port,
                identifier=A,
                protocol=aiomqtt.ProtocolVersion.V311,
                timeout=WAIT,
            ):
                pass


async def test_a_command_carries_its_remaining_life_as_the_mqtt5_message_expiry(
    link: Link,
) -> None:
    """Over MQTT 5 (Mosquitto) the broker is told when the command stops being deliverable, so
    it drops a command queued for a car that is away past its expiry; MQTT 3.1.1 (the embedded
    amqtt) has no such property, and the car's own expiry check is all there is."""
    sent_at = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    command = Command(
        msg_id=uuid.uuid4(),
        sent_at=sent_at,
        expires_at=sent_at + timedelta(seconds=45),
        type="door_lock",
        params={},
    )
    publisher = MqttCommandPublisher(link.gateway, secret=link.gateway_secret, instance="expiry")
    try:
        async with vehicle_client(link.vehicles, vin=A, secret=link.secrets[A]) as car:
            await car.subscribe(topic(A, Channel.commands), qos=1)
            await publisher.publish_command(A, command)
            received = await next_message(car)
    finally:
        await publisher.close()
    assert parse(str(received.topic), bytes(received.payload)).message == command  # type: ignore[arg-type]
    expiry = getattr(received.properties, "MessageExpiryInterval", None)
    if link.vehicles.version is MqttVersion.v5:
        assert expiry is not None
        assert 40 <= expiry <= 45  # what is left of the 45 s once the broker forwards it
    else:
        assert expiry is None


async def test_a_car_connecting_again_while_its_old_connection_is_open_gets_its_commands(
    link: Link,
) -> None:
    """A unit whose CONNACK came late, or a car back from a dead spot, connects again with its
    client id while the broker still holds the old connection: the new one takes over and gets
    the car's commands (amqtt 0.12.1 marked the session disconnected under the new connection
    and queued every command for a connection that never came)."""
    async with gateway_client(link.gateway, secret=link.gateway_secret, instance="test") as gw:
        old = vehicle_client(link.vehicles, vin=A, secret=link.secrets[A])
        await old.__aenter__()
        await old.subscribe(topic(A, Channel.commands), qos=1)
        async with vehicle_client(link.vehicles, vin=A, secret=link.secrets[A]) as new:
            await new.subscribe(topic(A, Channel.commands), qos=1)
            for n in range(3):
                await gw.publish(topic(A, Channel.commands), f"lock {n}".encode(), qos=1)
            got = [(await next_message(new)).payload for _ in range(3)]
        assert got == [b"lock 0", b"lock 1", b"lock 2"]
        with contextlib.suppress(aiomqtt.MqttError):
            await old.__aexit__(None, None, None)


async def test_a_refused_connection_with_a_cars_id_leaves_the_car_connected(link: Link) -> None:
    """Someone without the car's secret connects with its VIN as client id: refused, and the
    car's own connection goes on getting its commands (amqtt took the id over before it
    authenticated, which cut the car off)."""
    async with (
        gateway_client(link.gateway, secret=link.gateway_secret, instance="test") as gw,
        vehicle_client(link.vehicles, vin=A, secret=link.secrets[A]) as car,
    ):
        await car.subscribe(topic(A, Channel.commands), qos=1)
        with pytest.raises(aiomqtt.MqttCodeError):
            async with vehicle_client(link.vehicles, vin=A, secret=link.secrets[B]):
                pass
        await gw.publish(topic(A, Channel.commands), b"still there", qos=1)
        assert (await next_message(car)).payload == b"still there"


async def test_a_message_the_gateway_never_acknowledged_comes_again_on_its_next_connection(
    link: Link,
) -> None:
    """The gateway acknowledges a message only once it has stored it. One it received but never
    acknowledged (it was slow, or it stopped) is kept in its session and delivered again, marked
    as a duplicate, when it connects again (amqtt 0.12.1 forgot it: after 5 s without a PUBACK,
    or when the connection ended)."""
    first = gateway_client(link.gateway, secret=link.gateway_secret, instance="redelivery")
    acknowledge = acknowledge_after_processing(first)
    await first.__aenter__()
    await first.subscribe(subscription(Channel.telemetry), qos=1)
    async with vehicle_client(link.vehicles, vin=A, secret=link.secrets[A]) as car:
        await car.publish(topic(A, Channel.telemetry), b"stored later", qos=1)
        await car.publish(topic(A, Channel.telemetry), b"acknowledged", qos=1)
        unacknowledged = await next_message(first)
        acknowledged = await next_message(first)
    assert (unacknowledged.payload, acknowledged.payload) == (b"stored later", b"acknowledged")
    acknowledge(acknowledged)
    await asyncio.sleep(0)  # the PUBACK is written by the client's own loop
    await first.__aexit__(None, None, None)

    again = gateway_client(link.gateway, secret=link.gateway_secret, instance="redelivery")
    async with again:
        redelivered = await next_message(again)
        assert redelivered.payload == b"stored later"
        async with vehicle_client(link.vehicles, vin=A, secret=link.secrets[A]) as car:
            await car.publish(topic(A, Channel.telemetry), b"next", qos=1)
        assert (await next_message(again)).payload == b"next"  # nothing else came in between
