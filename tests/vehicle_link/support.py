"""Helpers of the vehicle-link tests: cars registered in the test database, and a running vehicle
link (a real broker, embedded amqtt or Mosquitto, the gateway connected to it, owners with cars
whose units are provisioned, and test telematics units that speak the protocol)."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiomqtt
import httpx

from linkplus.models.vehicles import Vehicle
from linkplus.protocol.vehicle import Channel, topic
from linkplus.runtime import Runtime
from linkplus.vehicle_link import credentials, mosquitto
from linkplus.vehicle_link.acl import GATEWAY_USERNAME
from linkplus.vehicle_link.broker import EmbeddedBroker
from linkplus.vehicle_link.client import BrokerAddress, vehicle_client
from linkplus.vehicle_link.gateway import Gateway
from tests.connected_services.support import ACCEPT_DE, Owner, activate, link, make_vehicle, owner
from tests.servers import free_port, mosquitto_server
from tests.support import bearer_for

WAIT = 15.0  # seconds: far above a loopback round trip, even on a loaded machine; only reached
# when something is wrong


@dataclass
class Car:
    vin: str
    secret: str
    owner: Owner


@dataclass
class Unit:
    """A test telematics unit: publishes protocol messages with its own ``seq``."""

    vin: str
    client: aiomqtt.Client
    link: VehicleLink
    seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def message(self, body: dict[str, Any], *, at: datetime, seq: int | None = None) -> bytes:
        full = {
            "msg_id": str(uuid.uuid4()),
            "seq": next(self.seq) if seq is None else seq,
            "sent_at": at.isoformat(),
            **body,
        }
        return json.dumps(full).encode()

    async def publish(self, channel: Channel, payload: bytes, *, counted: bool = True) -> None:
        await self.client.publish(topic(self.vin, channel), payload, qos=1)
        if counted:
            self.link.published += 1

    async def telemetry(
        self, values: dict[str, Any], *, ts: datetime, seq: int | None = None
    ) -> bytes:
        signals = [{"path": p, "value": v, "ts": ts.isoformat()} for p, v in values.items()]
        payload = self.message({"signals": signals}, at=ts, seq=seq)
        await self.publish(Channel.telemetry, payload)
        return payload

    async def event(
        self, type_: str, *, at: datetime, seq: int | None = None, **extra: Any
    ) -> bytes:
        payload = self.message(
            {"type": type_, "occurred_at": at.isoformat(), **extra}, at=at, seq=seq
        )
        await self.publish(Channel.events, payload)
        return payload


@dataclass
class VehicleLink:
    name: str
    runtime: Runtime
    client: httpx.AsyncClient
    vehicles: BrokerAddress
    gateway_address: BrokerAddress
    gateway_secret: str
    gateway: Gateway
    cars: dict[str, Car]
    published: int = 0

    async def settle(self) -> None:
        """Wait until the gateway has handled everything published so far."""
        async with asyncio.timeout(WAIT):
            await self.gateway.wait_handled(self.published)

    async def headers(self, label: str) -> dict[str, str]:
        """A fresh sign-in of the car's owner (tests move the clock past token lifetimes)."""
        return await bearer_for(self.runtime, self.cars[label].owner.account)

    async def get(self, label: str, tail: str) -> httpx.Response:
        vin = self.cars[label].vin
        return await self.client.get(
            f"/api/v1/vehicles/{vin}/{tail}", headers=await self.headers(label)
        )

    async def post(self, label: str, tail: str) -> httpx.Response:
        vin = self.cars[label].vin
        return await self.client.post(
            f"/api/v1/vehicles/{vin}/{tail}", headers=await self.headers(label)
        )

    def vin(self, label: str) -> str:
        return self.cars[label].vin

    @asynccontextmanager
    async def unit(self, label: str) -> AsyncIterator[Unit]:
        """The telematics unit of the car ``label``, connected with its own credentials."""
        car = self.cars[label]
        async with vehicle_client(self.vehicles, vin=car.vin, secret=car.secret) as client:
            yield Unit(car.vin, client, self)


async def make_car(
    runtime: Runtime,
    client: httpx.AsyncClient,
    *,
    model_code: str,
    active: bool = True,
    vin: str | None = None,
) -> Car:
    """A car with a primary owner (for a year already: tests drive trips in the past, and an
    account reads only the trips of its own time with the car), its unit provisioned, standard
    services active."""
    person = await owner(runtime)
    vin = await make_vehicle(runtime, model_code=model_code, vin=vin)
    a_year_ago = runtime.clock.now() - timedelta(days=365)
    await link(runtime, person.account, vin, primary=True, since=a_year_ago)
    if active:
        response = await activate(client, person, vin, accept=ACCEPT_DE)
        assert response.status_code == 200, response.text
    async with runtime.db.transaction() as session:
        secret = await credentials.provision(session, vin=vin, now=runtime.clock.now())
    return Car(vin, secret, person)


@contextmanager
def mosquitto_broker(
    entries: list[tuple[str, str]], gateway_secret: str
) -> Iterator[tuple[BrokerAddress, BrokerAddress]]:
    def configure(directory: Path, ports: list[int]) -> Path:
        return mosquitto.write_setup(
            directory,
            vehicles=mosquitto.Listener(ports[0]),
            gateway=mosquitto.Listener(ports[1]),
            gateway_username=GATEWAY_USERNAME,
            gateway_secret=gateway_secret,
            vehicle_entries=entries,
            persistence=False,
        ).config

    with mosquitto_server(configure, listeners=2) as server:
        yield (
            BrokerAddress(server.host, server.ports[0]),
            BrokerAddress(server.host, server.ports[1]),
        )


@asynccontextmanager
async def running_gateway(
    runtime: Runtime, address: BrokerAddress, secret: str
) -> AsyncIterator[Gateway]:
    gateway = Gateway(runtime, address, secret=secret, instance=f"t{uuid.uuid4().hex[:8]}")
    stop = asyncio.Event()
    task = asyncio.create_task(gateway.run(stop))
    try:
        async with asyncio.timeout(WAIT):
            await gateway.connected.wait()
        yield gateway
    finally:
        stop.set()
        async with asyncio.timeout(WAIT):
            await task


@asynccontextmanager
async def vehicle_link(
    kind: str, runtime: Runtime, client: httpx.AsyncClient, cars: dict[str, Car]
) -> AsyncIterator[VehicleLink]:
    secret = credentials.gateway_secret(runtime.settings)
    if kind == "amqtt":
        broker = EmbeddedBroker(runtime.db, gateway_secret=secret, port=free_port())
        async with broker, running_gateway(runtime, broker.address, secret) as gateway:
            yield VehicleLink(
                kind, runtime, client, broker.address, broker.address, secret, gateway, cars
            )
        return
    async with runtime.db.transaction() as session:
        entries = await credentials.broker_password_entries(session)
    with mosquitto_broker(entries, secret) as (vehicles, gateway_address):
        async with running_gateway(runtime, gateway_address, secret) as gateway:
            yield VehicleLink(
                kind, runtime, client, vehicles, gateway_address, secret, gateway, cars
            )


async def register_vehicle(runtime: Runtime, vin: str) -> None:
    now = runtime.clock.now()
    async with runtime.db.transaction() as session:
        session.add(
            Vehicle(
                vin=vin,
                model_code="LP-EV1",
                model_year=2026,
                market="DE",
                multimedia="MMI3",
                first_delivery_date=None,
                registration_plate=None,
                plate_key=None,
                telematics_unit=True,
                head_unit_public_key=None,
                odometer_km=None,
                odometer_reported_at=None,
                created_at=now,
                updated_at=now,
            )
        )


async def provisioned_vehicle(runtime: Runtime, vin: str) -> str:
    """Register the car and provision its unit; returns the unit's secret."""
    await register_vehicle(runtime, vin)
    async with runtime.db.transaction() as session:
        return await credentials.provision(session, vin=vin, now=runtime.clock.now())


def gateway(runtime: Runtime) -> Gateway:
    return Gateway(
        runtime,
        BrokerAddress("127.0.0.1", 1),
        secret=credentials.gateway_secret(runtime.settings),
    )


def telemetry(values: dict[str, Any], *, ts: datetime, seq: int = 1) -> bytes:
    signals = [{"path": p, "value": v, "ts": ts.isoformat()} for p, v in values.items()]
    return json.dumps(
        {"msg_id": str(uuid.uuid4()), "seq": seq, "sent_at": ts.isoformat(), "signals": signals}
    ).encode()
