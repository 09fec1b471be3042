"""Registering the simulated fleet, the simulated clock, and the broker the cars use."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from linkplus.cli.simulate import broker_address
from linkplus.config import Settings
from linkplus.kit.vin import normalize_vin
from linkplus.runtime import Runtime
from linkplus.sim.clock import REPLAY, ManualClock, ScaledClock, replay_start
from linkplus.sim.registry import fleet_vehicles, register_fleet
from linkplus.vehicle_link import credentials
from linkplus.vehicle_link.client import MqttVersion
from linkplus.vehicle_link.runner import NoVehicleListener
from linkplus.vehicles import service as vehicles
from linkplus.vehicles.catalogue import Powertrain

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def test_fleet_vins_are_valid_distinct_and_follow_the_seed() -> None:
    cars = fleet_vehicles(25, seed=8)
    assert [c.vin for c in cars] == [c.vin for c in fleet_vehicles(25, seed=8)]
    assert {c.vin for c in cars}.isdisjoint({c.vin for c in fleet_vehicles(25, seed=9)})
    assert len({c.vin for c in cars}) == 25
    assert all(normalize_vin(c.vin) == c.vin for c in cars)
    assert {c.model.powertrain for c in cars} >= {Powertrain.hev, Powertrain.phev, Powertrain.bev}
    assert all("BE" in c.model.markets for c in cars)


async def test_registering_twice_keeps_the_cars_and_rotates_the_unit_secrets(
    runtime: Runtime,
) -> None:
    first = await register_fleet(runtime, vehicles_count=4, seed=2)
    second = await register_fleet(runtime, vehicles_count=4, seed=2)
    assert [c.vin for c in first] == [c.vin for c in second]
    async with runtime.db.transaction() as session:
        for old, new in zip(first, second, strict=True):
            vehicle = await vehicles.get_vehicle(session, new.vin)
            assert vehicle is not None
            assert vehicle.model_code == new.model.code
            assert vehicle.telematics_unit
            assert await credentials.verify(session, vin=new.vin, secret=new.secret)
            assert not await credentials.verify(session, vin=old.vin, secret=old.secret)


def test_the_cars_use_the_given_broker_else_the_vehicle_listener_else_the_embedded_one() -> None:
    settings = Settings(mqtt_port=18830)  # an address worked out, never bound
    embedded = broker_address(settings, None)
    assert (embedded.host, embedded.port, embedded.version) == (
        "127.0.0.1",
        18830,
        MqttVersion.v311,
    )
    configured = Settings(
        mqtt_url="mqtt://broker.example:1884", mqtt_vehicle_url="mqtt://cars.example:8883"
    )
    assert (broker_address(configured, None).host, broker_address(configured, None).port) == (
        "cars.example",
        8883,
    )
    assert broker_address(configured, "mqtt://other:1999").port == 1999
    # The platform's own listener refuses cars: never send them there (issue 22: refused
    # forever, 705 log lines in 4 minutes).
    with pytest.raises(NoVehicleListener, match="LINKPLUS_MQTT_VEHICLE_URL"):
        broker_address(Settings(mqtt_url="mqtt://broker.example:1884"), None)


async def test_scaled_clock_replays_the_past_at_speed_then_follows_the_platform() -> None:
    real = [100.0]
    clock = ScaledClock(T0 - timedelta(hours=1), 60, platform_start=T0, monotonic=lambda: real[0])
    real[0] += 30
    assert clock.now() == T0 - timedelta(minutes=30)  # 60x while it replays
    real[0] += 30
    assert clock.now() == T0  # the replay has reached T0; the platform is at T0 + 60 s
    real[0] += 600
    assert clock.now() == clock.platform_now() == T0 + timedelta(seconds=660)
    await clock.sleep_until(T0)  # the past: returns at once


def test_a_scaled_clock_never_runs_ahead_of_the_platform() -> None:
    """Simulated cars must not report times in the future. At 60x from the platform's own time,
    the old clock was an hour ahead after a real minute, and every report it stamped with it."""
    real = [0.0]
    clock = ScaledClock(T0, 60, monotonic=lambda: real[0])
    for step in (0.5, 1, 59.5, 3600):
        real[0] += step
        assert clock.now() <= clock.platform_now(), real[0]
    assert clock.now() == T0 + timedelta(seconds=real[0])


async def test_a_scaled_clock_sleeps_until_the_moment_has_come_on_the_platform_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = [0.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        real[0] += seconds

    monkeypatch.setattr("linkplus.sim.clock.asyncio.sleep", fake_sleep)
    clock = ScaledClock(T0 - timedelta(hours=1), 60, platform_start=T0, monotonic=lambda: real[0])
    await clock.sleep_until(T0 - timedelta(minutes=30))  # in the replay: 30 real seconds
    assert slept == [30.0]
    await clock.sleep_until(T0 + timedelta(minutes=5))  # after it: when the platform gets there
    assert clock.now() == T0 + timedelta(minutes=5)
    assert real[0] == 300.0


def test_a_fleet_started_now_faster_than_real_time_replays_the_last_hour() -> None:
    assert replay_start(T0, 30) == T0 - REPLAY
    assert replay_start(T0, 1) == T0


async def test_manual_clock_wakes_sleepers_in_time_order() -> None:
    clock = ManualClock(T0)
    woke: list[int] = []

    async def sleeper(minutes: int) -> None:
        await clock.sleep_until(T0 + timedelta(minutes=minutes))
        woke.append(minutes)

    tasks = [asyncio.create_task(sleeper(m)) for m in (30, 10, 20)]
    await asyncio.sleep(0)
    clock.advance(minutes=15)
    await asyncio.sleep(0)
    assert woke == [10]
    clock.advance(hours=1)
    await asyncio.gather(*tasks)
    assert woke == [10, 20, 30]
