"""A simulated telematics unit against the embedded broker, watched by a bare MQTT subscriber
that signs in as the gateway: what the platform would receive, message by message."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import aiomqtt
import pytest

from linkplus.protocol.vehicle import (
    Channel,
    Command,
    CommandResult,
    CommandStatus,
    IgnitionOff,
    IgnitionOn,
    ParsedMessage,
    Sleeping,
    Telemetry,
    TripUpload,
    Waking,
    encode,
    parse,
    subscription,
    topic,
)
from linkplus.runtime import Runtime
from linkplus.sim.car import COVERAGE_BACK_AFTER_START_S, SimulatedCar
from linkplus.sim.clock import ManualClock
from linkplus.sim.plan import Place, PlannedTrip, trips_from
from linkplus.sim.roads import PlaceKind, build_network
from linkplus.sim.unit import SLEEP_AFTER, TelematicsUnit
from linkplus.vehicle_link import credentials
from linkplus.vehicle_link.broker import EmbeddedBroker
from linkplus.vehicle_link.client import BrokerAddress, gateway_client
from linkplus.vehicles.catalogue import catalogue
from tests.servers import free_port
from tests.vehicle_link.support import provisioned_vehicle

VIN = "JTH2PXSJ4SJ000002"
SEED = 4
T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # a Monday morning
WAIT = 30.0  # seconds: a bound only reached when something is wrong
NETWORK = build_network(SEED)
MODEL = catalogue().models["NX450HP"]


async def eventually(predicate: Callable[[], bool], what: str) -> None:
    try:
        async with asyncio.timeout(WAIT):
            # Polls state that other tasks (the unit, the broker) change; bounded by WAIT.
            while not predicate():  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


class Gateway:
    """Collects every message the vehicles publish; each one must pass ``protocol.parse``."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self.client = client
        self.received: list[ParsedMessage] = []

    async def listen(self) -> None:
        async for message in self.client.messages:
            assert isinstance(message.payload, bytes)
            self.received.append(parse(str(message.topic), message.payload))

    def of(self, kind: type) -> list[ParsedMessage]:
        return [m for m in self.received if isinstance(m.message, kind)]

    @property
    def seqs(self) -> list[int]:
        return [m.message.seq for m in self.received]

    async def command(self, now: datetime, *, expires_in: timedelta) -> uuid.UUID:
        command = Command(
            msg_id=uuid.uuid4(), sent_at=now, expires_at=now + expires_in, type="refresh"
        )
        await self.client.publish(topic(VIN, Channel.commands), encode(command), qos=1)
        return command.msg_id


@pytest.fixture
async def broker(runtime: Runtime) -> AsyncIterator[EmbeddedBroker]:
    secret = credentials.gateway_secret(runtime.settings)
    async with EmbeddedBroker(runtime.db, gateway_secret=secret, port=free_port()) as broker:
        yield broker


@pytest.fixture
async def gateway(runtime: Runtime, broker: EmbeddedBroker) -> AsyncIterator[Gateway]:
    secret = credentials.gateway_secret(runtime.settings)
    async with gateway_client(broker.address, secret=secret, instance="sim_test") as client:
        for channel in (Channel.telemetry, Channel.events, Channel.command_results):
            await client.subscribe(subscription(channel), qos=1)
        watcher = Gateway(client)
        task = asyncio.create_task(watcher.listen())
        yield watcher
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _car() -> SimulatedCar:
    return SimulatedCar.create(vin=VIN, model=MODEL, network=NETWORK, seed=SEED, start=T0)


@contextlib.asynccontextmanager
async def running(unit: TelematicsUnit) -> AsyncIterator[TelematicsUnit]:
    stop = asyncio.Event()
    task = asyncio.create_task(unit.run(stop))
    try:
        yield unit
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)


async def _unit(
    runtime: Runtime, broker: EmbeddedBroker, clock: ManualClock, plan: list[PlannedTrip]
) -> TelematicsUnit:
    secret = await provisioned_vehicle(runtime, VIN)
    return TelematicsUnit(_car(), secret=secret, address=broker.address, clock=clock, plan=plan)


def _shop(car_home: int, *, underground: bool) -> Place:
    node = next(n for n in NETWORK.shops if n != car_home)
    return Place(PlaceKind.shop, node, underground=underground)


async def test_engine_off_sends_ignition_trip_and_parked_status_in_seq_order(
    runtime: Runtime, broker: EmbeddedBroker, gateway: Gateway
) -> None:
    clock = ManualClock(T0)
    home = _car().habits.home
    plan = [PlannedTrip("to-shop", T0 + timedelta(minutes=5), _shop(home.node, underground=False))]
    async with running(await _unit(runtime, broker, clock, plan)) as unit:
        await eventually(lambda: unit.connected, "the unit to connect")
        clock.set(T0 + timedelta(hours=2))
        await eventually(lambda: unit.stats.trips == 1 and unit.buffered == 0, "the trip")
        await eventually(lambda: len(gateway.received) == unit.stats.sent, "every message")
    kinds = [type(m.message) for m in gateway.received]
    assert kinds[0] is IgnitionOn
    off = kinds.index(IgnitionOff)
    assert kinds[off + 1] is TripUpload
    assert Telemetry in kinds[off + 2 :]
    assert (
        gateway.seqs
        == sorted(gateway.seqs)
        == list(range(gateway.seqs[0], gateway.seqs[0] + len(kinds)))
    )
    assert all(m.vin == VIN for m in gateway.received)
    upload = gateway.of(TripUpload)[0].message
    assert isinstance(upload, TripUpload)
    parked = gateway.of(Telemetry)[0].message
    assert isinstance(parked, Telemetry)
    values = {r.path: r.value for r in parked.signals}
    assert values["Vehicle.LowVoltageSystemState"] == "OFF"
    assert "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current" in values
    if upload.trip.samples.location_shared[-1]:
        assert values["Vehicle.CurrentLocation.Latitude"] == pytest.approx(
            upload.trip.samples.lat[-1], abs=1e-4
        )
    assert values["Vehicle.TraveledDistance"] > 0
    assert parked.signals[0].ts > upload.trip.ended_at  # measured after the driver walked away


async def test_out_of_coverage_messages_arrive_later_in_order_with_nothing_lost(
    runtime: Runtime, broker: EmbeddedBroker, gateway: Gateway
) -> None:
    clock = ManualClock(T0)
    home = _car().habits.home
    back_home = T0 + timedelta(hours=4)
    plan = [
        PlannedTrip("into-car-park", T0 + timedelta(minutes=5), _shop(home.node, underground=True)),
        PlannedTrip("home", back_home, home),
    ]
    async with running(await _unit(runtime, broker, clock, plan)) as unit:
        await eventually(lambda: unit.connected, "the unit to connect")
        clock.set(T0 + timedelta(hours=2))
        await eventually(lambda: unit.stats.trips == 1 and not unit.covered, "the car park")
        await eventually(lambda: unit.buffered >= 3, "messages kept in the car park")
        kept = unit.pending()
        assert {type(m) for m in kept} >= {IgnitionOff, TripUpload, Telemetry}
        delivered_before = len(gateway.received)
        assert all(seq < kept[0].seq for seq in gateway.seqs)
        clock.set(back_home + timedelta(hours=1))
        await eventually(lambda: unit.stats.trips == 2 and unit.buffered == 0, "the drive home")
        await eventually(lambda: len(gateway.received) == unit.stats.sent, "every message")
    seqs = gateway.seqs
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # in order, none lost, none twice
    late = gateway.received[delivered_before : delivered_before + len(kept)]
    assert [m.message.msg_id for m in late] == [m.msg_id for m in kept]
    upload = next(m.message for m in late if isinstance(m.message, TripUpload))
    assert upload.occurred_at < back_home
    assert upload.sent_at >= back_home + timedelta(seconds=COVERAGE_BACK_AFTER_START_S)


async def test_nine_idle_days_put_the_unit_to_sleep_until_the_engine_starts(
    runtime: Runtime, broker: EmbeddedBroker, gateway: Gateway
) -> None:
    clock = ManualClock(T0)
    home = _car().habits.home
    later = T0 + timedelta(days=12)
    plan = [
        PlannedTrip("last", T0 + timedelta(minutes=5), _shop(home.node, underground=False)),
        PlannedTrip("holiday-over", later, home),
    ]
    async with running(await _unit(runtime, broker, clock, plan)) as unit:
        await eventually(lambda: unit.connected, "the unit to connect")
        clock.set(T0 + timedelta(days=8))
        await eventually(lambda: unit.stats.trips == 1 and unit.buffered == 0, "the last trip")
        assert not unit.asleep
        clock.set(T0 + timedelta(days=9, hours=6))
        await eventually(lambda: bool(gateway.of(Sleeping)), "sleeping")
        await eventually(lambda: not unit.connected, "the unit to disconnect")
        ended = gateway.of(IgnitionOff)[0].message
        sleeping = gateway.of(Sleeping)[0].message
        assert isinstance(ended, IgnitionOff)
        assert isinstance(sleeping, Sleeping)
        assert sleeping.occurred_at == ended.occurred_at + SLEEP_AFTER
        refresh_id = await gateway.command(clock.now(), expires_in=timedelta(minutes=10))
        assert not gateway.of(CommandResult)
        clock.set(later + timedelta(hours=2))
        await eventually(lambda: unit.stats.trips == 2, "the next trip")
        await eventually(
            lambda: bool(gateway.of(CommandResult)) and unit.buffered == 0, "the answer"
        )
    waking = gateway.of(Waking)[0].message
    result = gateway.of(CommandResult)[0].message
    engine_on = gateway.of(IgnitionOn)[1].message
    assert isinstance(waking, Waking)
    assert isinstance(result, CommandResult)
    assert waking.occurred_at == later
    assert waking.seq < engine_on.seq < result.seq  # nothing answered before the engine started
    assert result.command_id == refresh_id
    assert (result.status, result.reason) == (CommandStatus.rejected, "expired")


async def test_refresh_is_answered_with_a_fresh_snapshot(
    runtime: Runtime, broker: EmbeddedBroker, gateway: Gateway
) -> None:
    clock = ManualClock(T0)
    home = _car().habits.home
    plan = [PlannedTrip("later", T0 + timedelta(days=1), _shop(home.node, underground=False))]
    async with running(await _unit(runtime, broker, clock, plan)) as unit:
        await eventually(lambda: unit.connected, "the unit to connect")
        clock.set(T0 + timedelta(hours=3))
        command_id = await gateway.command(clock.now(), expires_in=timedelta(minutes=5))
        await eventually(lambda: bool(gateway.of(CommandResult)), "the command result")
        await gateway.command(clock.now() - timedelta(minutes=10), expires_in=timedelta(minutes=5))
        await eventually(lambda: len(gateway.of(CommandResult)) == 2, "the expired one")
    snapshot = gateway.of(Telemetry)[0].message
    result, expired = (m.message for m in gateway.of(CommandResult))
    assert isinstance(snapshot, Telemetry)
    assert isinstance(result, CommandResult)
    assert isinstance(expired, CommandResult)
    assert result.command_id == command_id
    assert result.status is CommandStatus.succeeded
    assert snapshot.seq < result.seq
    assert {r.ts for r in snapshot.signals if not r.path.startswith("Vehicle.CurrentLocation")} == {
        T0 + timedelta(hours=3)
    }
    assert len(snapshot.signals) > 40
    assert (expired.status, expired.reason) == (CommandStatus.rejected, "expired")


async def _offline_run(trips: int) -> list[bytes]:
    """A unit whose broker is unreachable keeps everything; what it kept is its output."""
    clock = ManualClock(T0)
    car = _car()
    plan = list(itertools.islice(trips_from(car.habits, seed=SEED, vin=VIN, start=T0), trips))
    unit = TelematicsUnit(
        car,
        secret="unused",
        address=BrokerAddress("127.0.0.1", free_port()),
        clock=clock,
        plan=plan,
    )
    async with running(unit):
        clock.set(plan[-1].departure + timedelta(days=1))
        await eventually(lambda: unit.plan_done, "the plan")
    return [encode(message) for message in unit.pending()]


async def test_same_seed_same_messages_down_to_their_ids() -> None:
    first = await _offline_run(10)
    second = await _offline_run(10)
    assert len(first) > 8
    assert first == second
    assert any(b'"trip_upload"' in m for m in first)
    channels = {b'"signals"': Channel.telemetry, b'"command_id"': Channel.command_results}
    seqs = []
    for wire in first:
        channel = next((c for key, c in channels.items() if key in wire), Channel.events)
        seqs.append(parse(topic(VIN, channel), wire).message.seq)
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
