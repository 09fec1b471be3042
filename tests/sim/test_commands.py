"""The simulated car carrying out remote commands: the platform's rules checked against its real
state, its own timers in simulated time, and the signature checks, with nothing between the test
and the unit (what it would send waits in its outbox, which the tests read)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from linkplus.protocol.vehicle import Command, CommandResult, CommandStatus, Telemetry
from linkplus.remote import signing
from linkplus.sim.car import SimulatedCar
from linkplus.sim.clock import ManualClock, ScaledClock
from linkplus.sim.commands import REMOTE_HANDLERS
from linkplus.sim.roads import build_network
from linkplus.sim.unit import TelematicsUnit
from linkplus.vehicle_link.client import BrokerAddress
from linkplus.vehicles.catalogue import catalogue
from tests.servers import free_port

SEED = 7
T0 = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
NETWORK = build_network(SEED)
MASTER = b"test-command-master"
VIN = "JTH2PXSJ4SJ000002"
OTHER_VIN = "JTH2PXSJ6SJ000003"
DRIVER_DOOR = "Row1.DriverSide"


class Car:
    """A unit that is not connected: commands go in with ``send``, answers pile up unsent."""

    def __init__(self, unit: TelematicsUnit, clock: ManualClock) -> None:
        self.unit = unit
        self.clock = clock
        self.state = unit.car.state
        self.counter = 0

    def command(
        self,
        type_: str,
        params: dict[str, Any] | None = None,
        *,
        counter: int | None = None,
        vin: str = VIN,
        expires_in: timedelta = timedelta(seconds=60),
        key: bytes | None = None,
    ) -> Command:
        if counter is None:
            self.counter += 1
            counter = self.counter
        now = self.clock.now()
        unsigned = Command(
            msg_id=uuid.uuid4(),
            sent_at=now,
            expires_at=now + expires_in,
            type=type_,
            params=params or {},
        )
        return signing.sign_command(
            key or signing.derive_key(MASTER, vin), unsigned, vin=vin, counter=counter
        )

    async def send(self, command: Command) -> list[tuple[CommandStatus, str | None]]:
        """Hand the command to the unit; its answers to this command, in order."""
        await self.unit.handle(command)
        return self.answers(command.msg_id)

    async def do(self, type_: str, params: dict[str, Any] | None = None) -> str | None:
        """Send a fresh signed command; None when it succeeded, else the reason it failed."""
        answers = await self.send(self.command(type_, params))
        final, reason = answers[-1]
        if final is CommandStatus.succeeded:
            assert answers[0] == (CommandStatus.received, None)
            return None
        return reason

    def answers(self, command_id: uuid.UUID) -> list[tuple[CommandStatus, str | None]]:
        return [
            (m.status, m.reason)
            for m in self.unit.pending()
            if isinstance(m, CommandResult) and m.command_id == command_id
        ]

    def last_status(self) -> dict[str, Any]:
        snapshots = [m for m in self.unit.pending() if isinstance(m, Telemetry)]
        assert snapshots, "the car sent no status"
        return {r.path: r.value for r in snapshots[-1].signals}

    def statuses(self) -> int:
        return sum(isinstance(m, Telemetry) for m in self.unit.pending())

    async def move_to(self, moment: datetime) -> None:
        """Move simulated time; the car's timers that fall due run before this returns."""
        self.clock.set(moment)
        for _ in range(10):  # let the woken timer tasks run (no time passes here)
            await asyncio.sleep(0)


async def _car(model_code: str, *, key: bool = True) -> AsyncIterator[Car]:
    clock = ManualClock(T0)
    model = catalogue().models[model_code]
    simulated = SimulatedCar.create(vin=VIN, model=model, network=NETWORK, seed=SEED, start=T0)
    unit = TelematicsUnit(
        simulated,
        secret="unused",
        address=BrokerAddress("127.0.0.1", free_port()),
        clock=clock,
        handlers=REMOTE_HANDLERS,
        command_key=signing.derive_key(MASTER, VIN) if key else None,
    )
    state = simulated.state
    state.close_everything()
    state.smart_key_inside = False
    state.outside_c = 5.0
    car = Car(unit, clock)
    try:
        yield car
    finally:
        await unit.stop_timers()


@pytest.fixture
async def phev() -> AsyncIterator[Car]:
    async for car in _car("NX450HP"):
        yield car


@pytest.fixture
async def hybrid() -> AsyncIterator[Car]:
    async for car in _car("UX300H"):  # MM21: 20 minutes, engine start, advanced climate
        yield car


# --- doors ---------------------------------------------------------------------------------------


async def test_lock_locks_every_door_and_answers_with_a_fresh_status(phev: Car) -> None:
    phev.state.unlock()
    command = phev.command("door_lock")
    answers = await phev.send(command)
    assert answers == [(CommandStatus.received, None), (CommandStatus.succeeded, None)]
    assert phev.state.is_locked
    status = phev.last_status()
    assert status[f"Vehicle.Cabin.Door.{DRIVER_DOOR}.IsLocked"] is True
    assert status["Vehicle.Body.Trunk.Rear.IsLocked"] is True
    kinds = [type(m).__name__ for m in phev.unit.pending()]
    assert kinds == ["CommandResult", "Telemetry", "CommandResult"]  # status before the outcome


@pytest.mark.parametrize(
    ("open_what", "reason"),
    [
        ("door", "door_open"),
        ("boot", "door_open"),
        ("hood", "door_open"),
        ("key", "smart_key_inside"),
    ],
)
async def test_lock_is_refused_with_something_open_or_the_key_inside(
    phev: Car, open_what: str, reason: str
) -> None:
    state = phev.state
    state.unlock()
    if open_what == "door":
        state.doors[DRIVER_DOOR].is_open = True
    elif open_what == "boot":
        state.boot_open = True
    elif open_what == "hood":
        state.hood_open = True
    else:
        state.smart_key_inside = True
    assert await phev.do("door_lock") == reason
    assert not state.is_locked
    assert phev.statuses() == 0  # nothing changed, so nothing to report


async def test_unlock_is_refused_while_the_alarm_sounds_or_after_a_physical_key_lock(
    phev: Car,
) -> None:
    state = phev.state
    state.lock()
    state.alarm_triggered = True
    assert await phev.do("door_unlock") == "alarm_set"
    state.alarm_triggered = False
    state.lock(physical_key=True)
    assert await phev.do("door_unlock") == "locked_with_physical_key"
    assert state.is_locked
    state.lock()
    assert await phev.do("door_unlock") is None
    assert not state.is_locked
    assert not state.alarm_armed
    assert phev.last_status()[f"Vehicle.Cabin.Door.{DRIVER_DOOR}.IsLocked"] is False


# --- hazard lights -------------------------------------------------------------------------------


async def test_hazard_lights_flash_for_60_seconds_and_only_then_start_again(phev: Car) -> None:
    assert await phev.do("hazard_lights_on") is None
    assert phev.state.hazard_on
    assert phev.last_status()["Vehicle.Body.Lights.Hazard.IsSignaling"] is True
    await phev.move_to(T0 + timedelta(seconds=59))
    assert phev.state.hazard_on
    assert await phev.do("hazard_lights_on") == "hazard_lights_running"
    await phev.move_to(T0 + timedelta(seconds=60))
    assert not phev.state.hazard_on
    assert phev.last_status()["Vehicle.Body.Lights.Hazard.IsSignaling"] is False
    assert await phev.do("hazard_lights_on") is None
    assert phev.state.remote.hazard_until == T0 + timedelta(seconds=120)


# --- climate -------------------------------------------------------------------------------------


async def test_plug_in_climate_needs_the_models_minimum_charge(phev: Car) -> None:
    capacity = phev.state.spec.battery_kwh
    assert capacity is not None
    phev.state.levels.battery_kwh = capacity * 0.29  # NX 450h+: 30 % minimum
    assert await phev.do("climate_start") == "battery_too_low"
    phev.state.levels.battery_kwh = capacity * 0.31
    assert await phev.do("climate_start") is None
    assert phev.state.remote.climate_until == T0 + timedelta(minutes=20)
    assert not phev.state.engine_on  # a plug-in heats from its battery


async def test_plug_in_hybrid_climate_does_not_run_below_minus_ten(phev: Car) -> None:
    capacity = phev.state.spec.battery_kwh
    assert capacity is not None
    phev.state.levels.battery_kwh = capacity * 0.8
    phev.state.outside_c = -10.5
    assert await phev.do("climate_start") == "too_cold"
    phev.state.outside_c = -10.0
    assert await phev.do("climate_start") is None


async def test_electric_climate_runs_in_deep_cold() -> None:
    async for bev in _car("UX300E"):
        capacity = bev.state.spec.battery_kwh
        assert capacity is not None
        bev.state.levels.battery_kwh = capacity * 0.5
        bev.state.outside_c = -18.0
        assert await bev.do("climate_start") is None
        before = bev.state.levels.battery_kwh
        await bev.move_to(T0 + timedelta(minutes=20))
        assert bev.state.remote.climate_until is None
        assert bev.state.levels.battery_kwh == pytest.approx(before - 3.0 / 3, abs=0.01)


async def test_basic_climate_starts_the_engine_and_renews_twice(hybrid: Car) -> None:
    state = hybrid.state
    assert await hybrid.do("climate_start") is None
    assert state.engine_on
    assert state.remote.climate_settings == state.cabin_settings  # the last trip's settings
    assert hybrid.last_status()["Vehicle.LowVoltageSystemState"] == "ON"
    await hybrid.move_to(T0 + timedelta(minutes=5))
    assert await hybrid.do("climate_renew") is None
    assert await hybrid.do("climate_renew") is None
    assert await hybrid.do("climate_renew") == "renewals_used_up"
    end = T0 + timedelta(minutes=60)  # three runs of 20 minutes
    assert state.remote.climate_until == state.remote.engine_until == end
    await hybrid.move_to(T0 + timedelta(minutes=20))  # the first run's timer finds nothing
    assert state.engine_on
    await hybrid.move_to(end)
    assert not state.engine_on
    assert state.remote.climate_until is None
    assert hybrid.last_status()["Vehicle.LowVoltageSystemState"] == "OFF"
    assert await hybrid.do("climate_renew") == "climate_not_running"


async def test_advanced_climate_keeps_the_engine_off_and_stop_ends_it(hybrid: Car) -> None:
    settings = {"temperature_c": 22.5, "seat_heating": {"driver": 2}, "defrost": {"front": True}}
    assert await hybrid.do("climate_start", {"mode": "advanced", "minutes": 20, **settings}) is None
    assert hybrid.state.remote.climate_settings["temperature_c"] == 22.5
    assert hybrid.state.remote.climate_settings["defrost"] == {"front": True}
    assert not hybrid.state.engine_on
    assert await hybrid.do("climate_stop") is None
    assert hybrid.state.remote.climate_until is None
    assert await hybrid.do("climate_stop") == "climate_not_running"


async def test_older_multimedia_runs_climate_for_ten_minutes() -> None:
    async for car in _car("UX250H"):
        assert await car.do("climate_start") is None
        assert car.state.remote.climate_until == T0 + timedelta(minutes=10)
        await car.move_to(T0 + timedelta(minutes=10))
        assert not car.state.engine_on


async def test_the_driver_taking_over_keeps_the_engine_running(hybrid: Car) -> None:
    assert await hybrid.do("climate_start") is None
    hybrid.state.smart_key_inside = True  # the driver got in before the run ended
    await hybrid.move_to(T0 + timedelta(minutes=20))
    assert hybrid.state.engine_on
    assert hybrid.state.remote.engine_until is None


# --- engine --------------------------------------------------------------------------------------


async def test_engine_start_and_stop(hybrid: Car) -> None:
    assert await hybrid.do("engine_stop") == "engine_not_running"
    assert await hybrid.do("engine_start") is None
    assert hybrid.state.engine_on
    fuel = hybrid.state.levels.fuel_l
    assert fuel is not None
    await hybrid.move_to(T0 + timedelta(minutes=15))
    assert await hybrid.do("engine_stop") is None
    assert not hybrid.state.engine_on
    assert hybrid.state.levels.fuel_l == pytest.approx(fuel - 0.2, abs=0.001)  # 15 min idling


async def test_a_model_without_the_function_says_so(phev: Car) -> None:
    assert await phev.do("engine_start") == "not_supported"
    assert not phev.state.engine_on


# --- signatures ----------------------------------------------------------------------------------


async def test_every_forged_or_stale_command_is_refused_with_its_reason(phev: Car) -> None:
    phev.state.unlock()
    other = phev.command("door_lock", vin=OTHER_VIN, counter=50)
    assert await phev.send(other) == [(CommandStatus.rejected, "wrong_vin")]
    tampered = phev.command("climate_start", {"minutes": 20}, counter=51).model_copy(
        update={"params": {"minutes": 600}}
    )
    assert await phev.send(tampered) == [(CommandStatus.rejected, "bad_signature")]
    wrong_key = phev.command("door_lock", counter=52, key=b"\x00" * 32)
    assert await phev.send(wrong_key) == [(CommandStatus.rejected, "bad_signature")]
    unsigned = phev.command("door_lock", counter=53).model_copy(update={"signature": None})
    assert await phev.send(unsigned) == [(CommandStatus.rejected, "bad_signature")]
    late = phev.command("door_lock", counter=54, expires_in=timedelta(seconds=-1))
    assert await phev.send(late) == [(CommandStatus.rejected, "expired")]
    assert not phev.state.is_locked
    assert phev.unit.last_counter is None  # nothing so far was authentic and current

    good = phev.command("door_lock", counter=100)
    assert (await phev.send(good))[-1] == (CommandStatus.succeeded, None)
    assert phev.unit.last_counter == 100
    phev.state.unlock()
    assert (await phev.send(good))[-1] == (CommandStatus.rejected, "replayed")
    older = phev.command("door_lock", counter=100 - signing.REPLAY_WINDOW)
    assert await phev.send(older) == [(CommandStatus.rejected, "counter_not_increasing")]
    assert not phev.state.is_locked  # neither the replay nor the too old one locked it
    overtaken = phev.command("door_lock", counter=99)  # within the window, never used
    assert (await phev.send(overtaken))[-1] == (CommandStatus.succeeded, None)
    assert phev.unit.last_counter == 100
    phev.state.unlock()
    assert (await phev.send(overtaken))[-1] == (CommandStatus.rejected, "replayed")
    assert not phev.state.is_locked
    newer = phev.command("door_lock", counter=61)
    assert (await phev.send(newer))[-1] == (CommandStatus.succeeded, None)


async def test_a_unit_without_a_key_obeys_no_command_but_answers_refresh() -> None:
    async for car in _car("NX450HP", key=False):
        car.state.unlock()
        assert await car.send(car.command("door_lock")) == [
            (CommandStatus.rejected, "bad_signature")
        ]
        assert not car.state.is_locked
        now = car.clock.now()
        refresh = Command(
            msg_id=uuid.uuid4(), sent_at=now, expires_at=now + timedelta(minutes=1), type="refresh"
        )
        assert await car.send(refresh) == [(CommandStatus.succeeded, None)]


async def test_a_unit_running_faster_than_real_time_judges_expiry_by_the_platforms_time() -> None:
    """The demo fleet replays the past at 30x: after 40 real seconds its own clock is 40
    minutes behind the platform's. A command the platform signed just now is fresh, one past its
    expiry is not."""
    real = [0.0]
    clock = ScaledClock(T0 - timedelta(hours=1), 30, platform_start=T0, monotonic=lambda: real[0])
    model = catalogue().models["NX450HP"]
    simulated = SimulatedCar.create(vin=VIN, model=model, network=NETWORK, seed=SEED, start=T0)
    simulated.state.close_everything()
    simulated.state.smart_key_inside = False
    unit = TelematicsUnit(
        simulated,
        secret="unused",
        address=BrokerAddress("127.0.0.1", free_port()),
        clock=clock,
        handlers=REMOTE_HANDLERS,
        command_key=signing.derive_key(MASTER, VIN),
    )
    real[0] = 40.0
    platform_now = clock.platform_now()
    assert platform_now - clock.now() == timedelta(minutes=40, seconds=40)

    def signed(counter: int, *, sent_at: datetime) -> Command:
        unsigned = Command(
            msg_id=uuid.uuid4(),
            sent_at=sent_at,
            expires_at=sent_at + timedelta(seconds=60),
            type="door_lock",
        )
        return signing.sign_command(
            signing.derive_key(MASTER, VIN), unsigned, vin=VIN, counter=counter
        )

    def answers(command: Command) -> list[tuple[CommandStatus, str | None]]:
        return [
            (m.status, m.reason)
            for m in unit.pending()
            if isinstance(m, CommandResult) and m.command_id == command.msg_id
        ]

    try:
        fresh = signed(1, sent_at=platform_now)
        await unit.handle(fresh)
        assert answers(fresh)[-1] == (CommandStatus.succeeded, None)
        stale = signed(2, sent_at=platform_now - timedelta(seconds=61))
        await unit.handle(stale)
        assert answers(stale) == [(CommandStatus.rejected, "expired")]
    finally:
        await unit.stop_timers()
