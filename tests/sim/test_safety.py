"""The simulated car's safety system with nothing between the test and the unit: what it would
send waits in its outbox, which the tests read; the manual clock drives its retries and its
tracking positions."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest

from linkplus.protocol.vehicle import (
    CallState,
    Collision,
    CollisionSensor,
    Command,
    CommandResult,
    CommandStatus,
    EmergencyButton,
    EmergencySystemStatus,
    EmergencyVoice,
    Occupant,
    StatusLight,
    Telemetry,
    TrackingState,
    VehicleMessage,
)
from linkplus.remote import signing
from linkplus.safety import msd
from linkplus.safety.rules import COLLISION_RETRY_WINDOW
from linkplus.sim.car import SimulatedCar
from linkplus.sim.clock import ManualClock
from linkplus.sim.roads import build_network
from linkplus.sim.safety import (
    CALL_LENGTH,
    SAFETY_HANDLERS,
    SELF_TEST,
    SOS_RETRY,
    VOICE_AFTER,
    SafetySystem,
    propulsion_of,
)
from linkplus.sim.unit import TelematicsUnit
from linkplus.vehicle_link.client import BrokerAddress
from linkplus.vehicles.catalogue import Powertrain, catalogue
from tests.servers import free_port

SEED = 7
T0 = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
NETWORK = build_network(SEED)
MASTER = b"test-command-master"
VIN = "JTH2PXSJ4SJ000002"
LAT = "Vehicle.CurrentLocation.Latitude"


class Car:
    def __init__(self, unit: TelematicsUnit, clock: ManualClock) -> None:
        self.unit = unit
        self.clock = clock
        self.safety = SafetySystem.of(unit)
        self.counter = 0

    def sent(self, kind: type[Any]) -> list[Any]:
        return [m for m in self.unit.pending() if isinstance(m, kind)]

    def lights(self) -> list[StatusLight]:
        return [m.light for m in self.sent(EmergencySystemStatus)]

    def attempts(self) -> list[tuple[int, CallState]]:
        return [(m.attempt, m.call) for m in self.unit.pending() if _is_attempt(m)]

    async def move(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        for _ in range(20):
            await asyncio.sleep(0)

    def command(self, type_: str, params: dict[str, Any]) -> Command:
        self.counter += 1
        now = self.clock.now()
        unsigned = Command(
            msg_id=uuid.uuid4(),
            sent_at=now,
            expires_at=now + timedelta(minutes=10),
            type=type_,
            params=params,
        )
        key = signing.derive_key(MASTER, VIN)
        return signing.sign_command(key, unsigned, vin=VIN, counter=self.counter)

    def answers(self, command: Command) -> list[tuple[CommandStatus, str | None]]:
        return [
            (m.status, m.reason) for m in self.sent(CommandResult) if m.command_id == command.msg_id
        ]

    def positions(self) -> list[float]:
        return [
            r.value
            for m in self.sent(Telemetry)
            for r in m.signals
            if r.path == LAT and isinstance(r.value, float)
        ]


def _is_attempt(message: VehicleMessage) -> bool:
    return isinstance(message, EmergencyButton | Collision)


@pytest.fixture
async def car() -> AsyncIterator[Car]:
    clock = ManualClock(T0)
    model = catalogue().models["NX450HP"]
    simulated = SimulatedCar.create(vin=VIN, model=model, network=NETWORK, seed=SEED, start=T0)
    unit = TelematicsUnit(
        simulated,
        secret="unused",
        address=BrokerAddress("127.0.0.1", free_port()),
        clock=clock,
        handlers=SAFETY_HANDLERS,
        command_key=signing.derive_key(MASTER, VIN),
    )
    try:
        yield Car(unit, clock)
    finally:
        await unit.stop_timers()


async def test_the_light_tests_itself_at_ignition_then_shows_working_or_the_fault(
    car: Car,
) -> None:
    car.unit.switch_ignition(True, car.clock.now())
    assert car.lights() == [StatusLight.self_test]
    await car.move(SELF_TEST)
    assert car.lights() == [StatusLight.self_test, StatusLight.working]
    car.safety.simulate_fault(car.clock.now())
    assert car.lights()[-1] is StatusLight.fault
    car.unit.switch_ignition(False, car.clock.now())
    car.unit.switch_ignition(True, car.clock.now())
    await car.move(SELF_TEST)
    assert car.lights()[-2:] == [StatusLight.self_test, StatusLight.fault]


async def test_sos_is_ignored_without_the_ignition(car: Car) -> None:
    assert not car.safety.press_sos(car.clock.now())
    await car.move(timedelta(minutes=5))
    assert car.attempts() == []


async def test_an_sos_call_connects_then_tells_the_occupant_and_ends(car: Car) -> None:
    car.unit.switch_ignition(True, car.clock.now())
    assert car.safety.press_sos(car.clock.now(), occupant=Occupant.silent)
    assert not car.safety.press_sos(car.clock.now())  # one call at a time
    await car.move(timedelta(seconds=1))
    assert car.attempts() == [(1, CallState.connected)]
    assert car.lights()[-1] is StatusLight.call_in_progress
    assert len(car.positions()) == 1  # the car's position for the case
    await car.move(VOICE_AFTER)
    [voice] = car.sent(EmergencyVoice)
    assert voice.occupant is Occupant.silent
    assert voice.incident_id == car.sent(EmergencyButton)[0].incident_id
    await car.move(CALL_LENGTH)
    assert car.attempts() == [(1, CallState.connected), (1, CallState.ended)]
    assert car.lights()[-1] is StatusLight.working


async def test_sos_without_coverage_makes_three_attempts_then_gives_up(car: Car) -> None:
    car.unit.switch_ignition(True, car.clock.now())
    car.unit.set_coverage(False, car.clock.now())
    car.safety.press_sos(car.clock.now())
    for _ in range(5):
        await car.move(SOS_RETRY)
    incident = car.safety.incidents[0]
    assert [(n, call) for n, _, call in incident.attempts] == [
        (1, CallState.no_coverage),
        (2, CallState.no_coverage),
        (3, CallState.no_coverage),
    ]
    assert incident.gave_up
    assert car.attempts() == []  # nothing got through: nothing to send


async def test_the_attempt_that_gets_through_reports_the_ones_that_did_not(car: Car) -> None:
    car.unit.switch_ignition(True, car.clock.now())
    car.unit.set_coverage(False, car.clock.now())
    pressed = car.clock.now()
    car.safety.press_sos(pressed)
    await car.move(timedelta(seconds=1))
    await car.move(SOS_RETRY)
    car.unit.set_coverage(True, car.clock.now())
    await car.move(SOS_RETRY)
    attempts = car.sent(EmergencyButton)
    assert [(m.attempt, m.call) for m in attempts] == [
        (1, CallState.no_coverage),
        (2, CallState.no_coverage),
        (3, CallState.connected),
    ]
    assert [m.occurred_at for m in attempts] == [pressed + SOS_RETRY * n for n in range(3)]
    assert len({m.incident_id for m in attempts}) == 1
    assert len({m.msg_id for m in attempts}) == 3
    ids = [msd.decode(msd.from_text(m.msd)).message_id for m in attempts]
    assert ids == [1, 2, 3]


async def test_a_collision_retries_for_24_hours_then_stops(car: Car) -> None:
    car.unit.set_coverage(False, car.clock.now())
    crashed = car.clock.now()
    car.safety.crash(crashed, sensor=CollisionSensor.impact)
    await car.move(timedelta(seconds=1))
    for _ in range(26):
        await car.move(timedelta(hours=1))
    incident = car.safety.incidents[0]
    moments = [at for _, at, _ in incident.attempts]
    gaps = [later - earlier for earlier, later in pairwise(moments)]
    assert gaps[:3] == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert max(gaps) == timedelta(minutes=30)
    assert moments[-1] < crashed + COLLISION_RETRY_WINDOW <= moments[-1] + timedelta(minutes=30)
    assert 40 < len(moments) < 70
    assert incident.gave_up
    car.unit.set_coverage(True, car.clock.now())
    await car.move(timedelta(hours=1))
    assert car.attempts() == []


async def test_the_data_set_carries_the_crash(car: Car) -> None:
    state = car.unit.car.state
    car.unit.switch_ignition(True, car.clock.now())
    here = (state.lat, state.lon)
    car.safety.move_to(here[0] + 0.003, here[1], car.clock.now(), speed_kmh=30)
    state.occupants = 2
    car.safety.crash(car.clock.now(), sensor=CollisionSensor.airbag)
    await car.move(timedelta(seconds=1))
    [attempt] = car.sent(Collision)
    assert attempt.sensor is CollisionSensor.airbag
    data = msd.decode(msd.from_text(attempt.msd))
    assert data.activation is msd.Activation.automatic
    assert data.vin == VIN
    assert data.passengers == 2
    assert data.direction_deg in (0, 358, 359)  # it drove north
    assert data.position.latitude == pytest.approx(here[0] + 0.003, abs=1e-5)
    assert data.previous[0].latitude == pytest.approx(here[0], abs=1e-4)


def test_the_propulsion_follows_the_powertrain() -> None:
    assert propulsion_of(Powertrain.bev) == frozenset({msd.Propulsion.electric})
    assert propulsion_of(Powertrain.diesel) == frozenset({msd.Propulsion.diesel})
    assert msd.Propulsion.electric in propulsion_of(Powertrain.hev)
    assert msd.Propulsion.petrol in propulsion_of(Powertrain.phev)


async def test_tracking_sends_positions_whatever_the_privacy_mode_and_pauses_without_power(
    car: Car,
) -> None:
    car.unit.switch_privacy(True, car.clock.now())
    car.unit.send_status(car.clock.now())
    assert car.positions() == []  # privacy mode: an ordinary status has no position
    start = car.command("tracking_start", {"case": "c1", "interval_s": 30})
    await car.unit.handle(start)
    assert car.answers(start) == [(CommandStatus.received, None), (CommandStatus.succeeded, None)]
    assert [m.phase.value for m in car.sent(TrackingState)] == ["active"]
    for _ in range(3):
        await car.move(timedelta(seconds=30))
    assert len(car.positions()) == 4

    car.safety.disconnect_battery(car.clock.now())
    for _ in range(3):
        await car.move(timedelta(seconds=30))
    assert len(car.positions()) == 4
    paused = car.sent(TrackingState)[-1]
    assert (paused.phase.value, paused.reason) == ("paused", "battery_disconnected")
    car.safety.reconnect_battery(car.clock.now())
    assert car.sent(TrackingState)[-1].phase.value == "active"
    assert len(car.positions()) == 5

    stop = car.command("tracking_stop", {"case": "c1"})
    await car.unit.handle(stop)
    assert car.answers(stop)[-1] == (CommandStatus.succeeded, None)
    assert car.sent(TrackingState)[-1].phase.value == "stopped"
    for _ in range(3):
        await car.move(timedelta(seconds=30))
    assert len(car.positions()) == 5
    car.safety.disconnect_battery(car.clock.now())
    car.safety.reconnect_battery(car.clock.now())
    assert car.sent(TrackingState)[-1].phase.value == "stopped"  # stopped stays stopped


@pytest.mark.parametrize(
    "params",
    [{}, {"case": "c1", "interval_s": "30"}, {"case": "c1", "interval_s": 1}, {"case": 5}],
)
async def test_a_tracking_start_with_bad_params_is_rejected(
    car: Car, params: dict[str, Any]
) -> None:
    command = car.command("tracking_start", params)
    await car.unit.handle(command)
    assert car.answers(command) == [(CommandStatus.rejected, "bad_params")]
    assert car.safety.tracking is None


async def test_an_unsigned_tracking_start_is_refused(car: Car) -> None:
    now = car.clock.now()
    unsigned = Command(
        msg_id=uuid.uuid4(),
        sent_at=now,
        expires_at=now + timedelta(minutes=1),
        type="tracking_start",
        params={"case": "c1", "interval_s": 30},
    )
    await car.unit.handle(unsigned)
    assert car.answers(unsigned) == [(CommandStatus.rejected, "bad_signature")]
    assert car.safety.tracking is None
