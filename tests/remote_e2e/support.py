"""The whole path of a remote command, for real: the API, the worker's jobs, the command signed
and published to the embedded MQTT broker, a simulated car that checks and carries it out, its
answers back through the gateway, and the worker again.

One clock drives both sides: the platform's runtime and the simulated cars share a
``sim.clock.ManualClock``, so moving it fires the car's own timers (hazard lights, climate) and
the platform's scheduled jobs alike. Waits are for messages crossing the broker, always bounded
by ``WAIT``.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiomqtt
import httpx

from linkplus.jobs.worker import Worker
from linkplus.protocol.vehicle import (
    Channel,
    Command,
    CommandResult,
    encode,
    parse,
    topic,
)
from linkplus.remote import signing
from linkplus.runtime import Runtime
from linkplus.sim.car import SimulatedCar
from linkplus.sim.clock import ManualClock
from linkplus.sim.commands import REMOTE_HANDLERS
from linkplus.sim.roads import build_network
from linkplus.sim.unit import TelematicsUnit
from linkplus.vehicle_link import credentials
from linkplus.vehicle_link import service as vehicle_link
from linkplus.vehicle_link.broker import EmbeddedBroker
from linkplus.vehicle_link.client import BrokerAddress, gateway_client
from linkplus.vehicle_link.gateway import Gateway
from linkplus.vehicle_link.publisher import MqttCommandPublisher
from linkplus.vehicles.catalogue import catalogue
from tests.connected_services.support import ACCEPT_DE, Owner, activate, link, make_vehicle, owner
from tests.servers import free_port
from tests.support import bearer_for
from tests.vehicle_link.support import running_gateway

WAIT = 30.0  # seconds: far above a loopback round trip, even on a loaded machine; only reached
# when something is wrong
SEED = 11
FINAL = ("completed", "failed", "expired")
NETWORK = build_network(SEED)
DRIVER_DOOR = "Row1.DriverSide"


class RecordingPublisher:
    """The real publisher, keeping a copy of every command it sent (for the replay test)."""

    def __init__(self, real: MqttCommandPublisher) -> None:
        self.real = real
        self.sent: list[tuple[str, Command]] = []

    async def publish_command(self, vin: str, command: Command) -> None:
        await self.real.publish_command(vin, command)
        self.sent.append((vin, command))

    async def close(self) -> None:
        await self.real.close()


@dataclass
class Car:
    label: str
    vin: str
    owner: Owner
    unit: TelematicsUnit

    @property
    def state(self) -> Any:
        return self.unit.car.state


@dataclass
class Watcher:
    """Every command result the cars publish, read with the gateway's credential."""

    received: list[tuple[str, CommandResult]] = field(default_factory=list)

    def for_command(self, command_id: uuid.UUID) -> list[tuple[str, str | None]]:
        return [(r.status.value, r.reason) for _, r in self.received if r.command_id == command_id]


@dataclass
class RemoteLink:
    runtime: Runtime
    client: httpx.AsyncClient
    worker: Worker
    clock: ManualClock
    broker: BrokerAddress
    gateway: Gateway
    gateway_secret: str
    publisher: RecordingPublisher
    watcher: Watcher
    cars: dict[str, Car]

    # --- the owner's side ---------------------------------------------------------------

    async def headers(self, label: str) -> dict[str, str]:
        """A fresh sign-in (tests move the clock past token lifetimes)."""
        return await bearer_for(self.runtime, self.cars[label].owner.account)

    async def command(self, label: str, type_: str, **params: Any) -> httpx.Response:
        """POST a command one second after whatever happened before: the car's answer then
        carries a newer timestamp than its last status, as it would in real life."""
        self.clock.advance(seconds=1)
        vin = self.cars[label].vin
        return await self.client.post(
            f"/api/v1/vehicles/{vin}/commands",
            json={"type": type_, **params},
            headers=await self.headers(label),
        )

    async def get(self, label: str, tail: str) -> dict[str, Any]:
        vin = self.cars[label].vin
        answer = await self.client.get(
            f"/api/v1/vehicles/{vin}/{tail}", headers=await self.headers(label)
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def status_value(self, label: str, path: str) -> Any:
        """One signal as the platform's status API shows it (its twin, not the car)."""
        vin = self.cars[label].vin
        async with self.runtime.db.transaction() as session:
            values = await vehicle_link.twin_values(session, vin=vin)
        found = values.get(path)
        return None if found is None else found[0]

    async def run(self, label: str, type_: str, **params: Any) -> dict[str, Any]:
        """Send a command through the API and follow it to its final state."""
        accepted = await self.command(label, type_, **params)
        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["state"] == "sent"  # published straight after it was stored
        return await self.outcome(label, accepted.json()["id"])

    async def outcome(self, label: str, command_id: str) -> dict[str, Any]:
        result: dict[str, Any] = {}

        async def final() -> bool:
            nonlocal result
            result = await self.get(label, f"commands/{command_id}")
            return result["state"] in FINAL

        await self.until(final, f"command {command_id} to finish")
        await self.settle()  # the status the car sent with its answer is in, too
        return result

    # --- the car's side -----------------------------------------------------------------

    async def settle(self) -> None:
        """Until every message the cars queued is stored and the jobs it caused have run."""

        async def quiet() -> bool:
            await self.worker.run_due()
            units = [car.unit for car in self.cars.values()]
            if any(unit.buffered for unit in units):
                return False
            return self.gateway.handled >= sum(unit.stats.sent for unit in units)

        await self.until(quiet, "the cars' messages to be handled")
        await self.worker.run_due()

    async def until(self, done: Callable[[], Awaitable[bool]], what: str) -> None:
        """Poll ``done`` (which runs due jobs as it goes) while messages cross the broker."""
        try:
            async with asyncio.timeout(WAIT):
                while not await done():
                    await self.worker.run_due()
                    await asyncio.sleep(0.005)  # messages are in flight on loopback
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}") from None

    async def advance(self, **delta: float) -> None:
        """Move the one clock; the cars' timers and the platform's due jobs run."""
        self.clock.advance(timedelta(**delta))
        for _ in range(10):  # let the woken timer tasks of the cars run
            await asyncio.sleep(0)
        await self.settle()

    def signed(
        self,
        label: str,
        type_: str,
        *,
        counter: int,
        params: dict[str, Any] | None = None,
        vin: str | None = None,
        key: bytes | None = None,
        expires_at: datetime | None = None,
    ) -> Command:
        """A command signed the way the platform signs (with the car's key unless told)."""
        signer = vin or self.cars[label].vin
        now = self.clock.now()
        command = Command(
            msg_id=uuid.uuid4(),
            sent_at=now,
            expires_at=expires_at or now + timedelta(seconds=60),
            type=type_,
            params=params or {},
        )
        secret = key or signing.command_key(self.runtime.settings, signer)
        return signing.sign_command(secret, command, vin=signer, counter=counter)

    async def inject(self, label: str, *commands: Command) -> list[list[tuple[str, str | None]]]:
        """Publish commands straight to the car's topic with the gateway's credential (as a
        compromised or misbehaving platform process could) and collect the car's answers."""
        vin = self.cars[label].vin
        before = len(self.watcher.received)
        async with gateway_client(
            self.broker, secret=self.gateway_secret, instance=f"inject{uuid.uuid4().hex[:6]}"
        ) as client:
            for command in commands:
                await client.publish(topic(vin, Channel.commands), encode(command), qos=1)

        def answers(command: Command) -> list[tuple[str, str | None]]:
            return [
                (result.status.value, result.reason)
                for _, result in self.watcher.received[before:]
                if result.command_id == command.msg_id
            ]

        async def answered() -> bool:
            return all(answers(command) for command in commands)

        await self.until(answered, "the car's answers")
        return [answers(command) for command in commands]


async def make_car(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: ManualClock,
    broker: BrokerAddress,
    *,
    label: str,
    model_code: str,
    market: str = "BE",
) -> Car:
    """A registered car with a primary owner, services active, its unit provisioned, and a
    simulated unit that parks it closed and locked with the driver gone."""
    person = await owner(runtime)
    vin = await make_vehicle(runtime, model_code=model_code, market=market)
    await link(runtime, person.account, vin, primary=True)
    activated = await activate(client, person, vin, accept=ACCEPT_DE)
    assert activated.status_code == 200, activated.text
    async with runtime.db.transaction() as session:
        secret = await credentials.provision(session, vin=vin, now=runtime.clock.now())
    model = catalogue().models[model_code]
    simulated = SimulatedCar.create(
        vin=vin, model=model, network=NETWORK, seed=SEED, start=clock.now()
    )
    state = simulated.state
    state.close_everything()
    state.smart_key_inside = False
    state.lock()
    if state.spec.battery_kwh is not None:
        state.levels.battery_kwh = state.spec.battery_kwh * 0.8
    unit = TelematicsUnit(
        simulated,
        secret=secret,
        address=broker,
        clock=clock,
        handlers=REMOTE_HANDLERS,
        plan=[],  # parked for the whole test
        command_key=signing.command_key(runtime.settings, vin),
    )
    unit.send_status(clock.now())
    return Car(label, vin, person, unit)


async def _watch(client: aiomqtt.Client, watcher: Watcher) -> None:
    async for message in client.messages:
        payload = message.payload
        if not isinstance(payload, bytes | bytearray):
            continue
        parsed = parse(str(message.topic), bytes(payload))
        if isinstance(parsed.message, CommandResult):
            watcher.received.append((parsed.vin, parsed.message))


@contextlib.asynccontextmanager
async def remote_link(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    clock: ManualClock,
    models: dict[str, str],
) -> AsyncIterator[RemoteLink]:
    """Broker, gateway, publisher and one running simulated car per ``label: model code``."""
    secret = credentials.gateway_secret(runtime.settings)
    broker = EmbeddedBroker(runtime.db, gateway_secret=secret, port=free_port())
    async with broker:
        cars = {
            label: await make_car(
                runtime, client, clock, broker.address, label=label, model_code=code
            )
            for label, code in models.items()
        }
        publisher = RecordingPublisher(
            MqttCommandPublisher(broker.address, secret=secret, instance="e2e.commands")
        )
        runtime.vehicle_link = publisher
        stop = asyncio.Event()
        watcher = Watcher()
        async with (
            running_gateway(runtime, broker.address, secret) as gateway,
            gateway_client(broker.address, secret=secret, instance="e2e.watch") as watching,
        ):
            await watching.subscribe("lp/v1/+/command-results", qos=1)
            watch = asyncio.create_task(_watch(watching, watcher))
            units = [asyncio.create_task(car.unit.run(stop)) for car in cars.values()]
            link_ = RemoteLink(
                runtime,
                client,
                worker,
                clock,
                broker.address,
                gateway,
                secret,
                publisher,
                watcher,
                cars,
            )
            try:

                async def connected() -> bool:
                    return all(car.unit.connected for car in cars.values())

                await link_.until(connected, "the cars to connect")
                await link_.settle()
                yield link_
            finally:
                stop.set()
                async with asyncio.timeout(WAIT):
                    await asyncio.gather(*units, return_exceptions=True)
                watch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watch
                await publisher.close()
                runtime.vehicle_link = None
