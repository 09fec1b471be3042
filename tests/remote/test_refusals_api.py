"""Refusals the platform finds itself, each with its stable code, and who may send commands."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.remote import service
from linkplus.remote.preconditions import CommandType
from linkplus.runtime import Runtime
from tests.connected_services.support import link, owner
from tests.remote.support import RecordingPublisher, put_to_sleep, remote_car, set_twin

DOOR = "Vehicle.Cabin.Door.Row2.DriverSide.IsOpen"
SMART_KEY = "Vehicle.Private.LinkPlus.SmartKey.IsInside"
ALARM = "Vehicle.Private.LinkPlus.Alarm.IsTriggered"
PHYSICAL_KEY = "Vehicle.Private.LinkPlus.Lock.IsLockedWithKey"
SOC = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"
OUTSIDE = "Vehicle.Exterior.AirTemperature"


@pytest.mark.parametrize(
    ("model", "twin", "body", "code"),
    [
        ("NX450HP", {DOOR: True}, {"type": "door-lock"}, "door_open"),
        ("NX450HP", {SMART_KEY: True}, {"type": "door-lock"}, "smart_key_inside"),
        ("NX450HP", {ALARM: True}, {"type": "door-unlock"}, "alarm_set"),
        ("NX450HP", {PHYSICAL_KEY: True}, {"type": "door-unlock"}, "locked_with_physical_key"),
        ("NX450HP", {SOC: 29.5}, {"type": "climate-start"}, "battery_too_low"),
        ("UX300E", {SOC: 19}, {"type": "climate-start"}, "battery_too_low"),
        ("NX450HP", {OUTSIDE: -12.0}, {"type": "climate-start"}, "too_cold"),
        ("UX250H", {}, {"type": "engine-start"}, "not_supported"),
        ("UX250H", {}, {"type": "climate-start", "temperature_c": 20}, "not_supported"),
    ],
)
async def test_refused_from_the_cars_last_state(
    runtime: Runtime,
    client: httpx.AsyncClient,
    publisher: RecordingPublisher,
    model: str,
    twin: dict[str, Any],
    body: dict[str, Any],
    code: str,
) -> None:
    car = await remote_car(runtime, client, model_code=model)
    await set_twin(runtime, car.vin, twin)
    response = await car.command(body)
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["code"] == code
    assert len(problem["detail"]) > 30
    assert (await car.get("commands")).json() == []


async def test_the_same_state_fixed_lets_the_command_through(
    runtime: Runtime, client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    car = await remote_car(runtime, client)
    await set_twin(runtime, car.vin, {DOOR: True})
    assert (await car.command({"type": "door-lock"})).json()["open"] == ["rear left door"]
    await set_twin(runtime, car.vin, {DOOR: False})
    assert (await car.command({"type": "door-lock"})).status_code == 202


@pytest.mark.parametrize("market", ["AT", "DE"])
async def test_basic_climate_on_a_hybrid_is_not_allowed_in_austria_and_germany(
    runtime: Runtime, client: httpx.AsyncClient, publisher: RecordingPublisher, market: str
) -> None:
    hybrid = await remote_car(runtime, client, model_code="UX250H", market=market)
    refused = await hybrid.command({"type": "climate-start"})
    assert refused.json()["code"] == "climate_not_allowed_in_market"
    electric = await remote_car(runtime, client, model_code="UX300E", market=market)
    assert (await electric.command({"type": "climate-start"})).status_code == 202


async def test_paid_functions_need_the_remote_package(
    runtime: Runtime, client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    car = await remote_car(runtime, client, model_code="NX350H")
    response = await car.command({"type": "engine-start"})
    assert response.status_code == 409
    assert response.json()["code"] == "service_not_active"
    advanced = await car.command({"type": "climate-start", "temperature_c": 22})
    assert advanced.json()["code"] == "service_not_active"


async def test_services_not_activated(
    runtime: Runtime, client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    car = await remote_car(runtime, client, active=False)
    response = await car.command({"type": "door-lock"})
    assert response.json()["code"] == "service_not_active"
    assert "Connected Services Centre" in response.json()["detail"]


async def test_a_sleeping_car_asks_for_the_engine_to_be_started(
    runtime: Runtime, client: httpx.AsyncClient, publisher: RecordingPublisher, clock: ManualClock
) -> None:
    car = await remote_car(runtime, client)
    await put_to_sleep(runtime, car.vin, clock.now() - timedelta(days=9, hours=1))
    response = await car.command({"type": "door-unlock"})
    assert response.json()["code"] == "vehicle_asleep"
    assert "Start the engine" in response.json()["detail"]


async def test_stolen_vehicle_tracking_switches_remote_control_off(
    runtime: Runtime, client: httpx.AsyncClient, publisher: RecordingPublisher, clock: ManualClock
) -> None:
    car = await remote_car(runtime, client)
    async with runtime.db.transaction() as session:
        await service.set_stolen_vehicle_tracking(
            session, vin=car.vin, active=True, now=clock.now(), reference="police-123"
        )
    response = await car.command({"type": "door-unlock"})
    assert response.json()["code"] == "stolen_vehicle_tracking"
    async with runtime.db.transaction() as session:
        assert await service.stolen_vehicle_tracking_active(session, vin=car.vin)
        await service.set_stolen_vehicle_tracking(
            session, vin=car.vin, active=False, now=clock.now()
        )
    assert (await car.command({"type": "door-unlock"})).status_code == 202


async def test_another_accounts_car_is_not_found(
    runtime: Runtime, client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    car = await remote_car(runtime, client)
    mine = (await car.command({"type": "door-lock"})).json()["id"]
    stranger = await owner(runtime)
    response = await car.command({"type": "door-lock"}, who=stranger)
    assert response.status_code == 404
    assert response.json()["code"] == "vehicle_not_found"
    assert (await car.get(f"commands/{mine}", who=stranger)).status_code == 404
    assert (await car.get("commands/stream", who=stranger)).status_code == 404
    other = await remote_car(runtime, client)
    # A command id of one car is not found under another of the same owner's cars.
    assert (await other.get(f"commands/{mine}")).status_code == 404


async def test_a_secondary_account_may_not_send_commands(
    runtime: Runtime, client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    car = await remote_car(runtime, client)
    family = await owner(runtime)
    await link(runtime, family.account, car.vin, primary=False)
    response = await car.command({"type": "door-unlock"}, who=family)
    assert response.status_code == 403
    assert response.json()["code"] == "not_primary_account"


async def test_idempotency_key_returns_the_same_command(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, publisher: RecordingPublisher
) -> None:
    car = await remote_car(runtime, client)
    first = await car.command({"type": "door-lock"}, key="tap-1")
    assert first.status_code == 202
    again = await car.command({"type": "door-lock"}, key="tap-1")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    other = await car.command({"type": "door-unlock"}, key="tap-1")
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    await worker.run_due()
    assert len(publisher.sent) == 1
    bad = await car.command({"type": "door-lock"}, key="has space")
    assert bad.json()["code"] == "invalid_idempotency_key"


async def test_rate_limit_per_car_answers_429_with_retry_after(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    clock: ManualClock,
    publisher: RecordingPublisher,
) -> None:
    car = await remote_car(runtime, client)
    for i in range(10):
        response = await car.command({"type": "door-lock" if i % 2 == 0 else "door-unlock"})
        assert response.status_code == 202, response.text
        await worker.run_due()
        await _finish(runtime, worker, car.vin, response.json()["id"])
        clock.advance(seconds=2)
    limited = await car.command({"type": "door-lock"})
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert limited.json()["scope"] == "vehicle"
    assert limited.headers["Retry-After"] == "40"  # the first left 20 s ago of its 60
    clock.advance(seconds=40)
    assert (await car.command({"type": "door-lock"})).status_code == 202


async def test_rate_limit_per_account_across_cars(
    runtime: Runtime, client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    runtime.settings.command_rate_per_account = 3
    first = await remote_car(runtime, client)
    for body in ({"type": "door-lock"}, {"type": "hazard-lights-on"}, {"type": "climate-start"}):
        assert (await first.command(body)).status_code == 202
    limited = await first.command({"type": "door-lock"})
    assert limited.status_code == 429
    assert limited.json()["scope"] == "account"


async def _finish(runtime: Runtime, worker: Worker, vin: str, command_id: str) -> None:
    from tests.remote.support import complete

    await complete(runtime, worker, vin, command_id)


@pytest.mark.parametrize("market", ["DE", "FR"])
async def test_the_remote_state_says_which_commands_the_car_can_run_and_why_not(
    runtime: Runtime, client: httpx.AsyncClient, publisher: RecordingPublisher, market: str
) -> None:
    hybrid = await remote_car(runtime, client, model_code="UX250H", market=market)
    await set_twin(runtime, hybrid.vin, {DOOR: True})
    state = (await hybrid.get("remote-state")).json()
    commands = {command["type"]: command for command in state["commands"]}
    assert set(commands) == {t.value for t in CommandType}
    lock = commands["door-lock"]
    # Offered (the car can lock), but not now: the same refusal the command itself would get.
    assert (lock["offered"], lock["ready"], lock["code"]) == (True, False, "door_open")
    assert lock["title"] == "Lock"
    assert "Close it" in lock["message"]
    climate = commands["climate-start"]
    if market == "DE":  # an engine car: the law forbids starting it remotely
        assert (climate["offered"], climate["code"]) == (False, "climate_not_allowed_in_market")
        assert commands["climate-renew"]["offered"] is False
        assert commands["climate-stop"]["offered"] is False
    else:
        assert (climate["offered"], climate["ready"], climate["code"]) == (True, True, None)
    for command_type in ("door-lock", "climate-start"):
        refused = await hybrid.command({"type": command_type})
        assert refused.json()["code"] == commands[command_type]["code"]
