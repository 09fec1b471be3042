"""Hazard lights and remote climate over the real protocol, with the clock moved: the car's own
timers switch them off, its status says so, and the platform's countdown agrees."""

from __future__ import annotations

from linkplus.remote.preconditions import Refusal
from tests.remote_e2e.support import RemoteLink

HAZARD = "Vehicle.Body.Lights.Hazard.IsSignaling"
POWER = "Vehicle.LowVoltageSystemState"


async def test_hazard_lights_flash_60_seconds_and_start_again_only_after(
    rlink: RemoteLink,
) -> None:
    car = rlink.cars["phev"]
    done = await rlink.run("phev", "hazard-lights-on")
    assert done["state"] == "completed"
    assert done["seconds_left"] == 60
    assert car.state.hazard_on
    assert await rlink.status_value("phev", HAZARD) is True
    state = await rlink.get("phev", "remote-state")
    assert state["hazard_seconds_left"] == 60

    await rlink.advance(seconds=30)
    assert (await rlink.get("phev", "remote-state"))["hazard_seconds_left"] == 30
    refused = await rlink.command("phev", "hazard-lights-on")  # one second later: 29 s left
    assert refused.status_code == 409
    assert refused.json()["code"] == Refusal.hazard_lights_running.value
    assert refused.headers["Retry-After"] == "29"

    await rlink.advance(seconds=29)
    assert not car.state.hazard_on  # the car switched them off by itself ...
    assert await rlink.status_value("phev", HAZARD) is False  # ... and said so
    assert (await rlink.get("phev", "remote-state"))["hazard_seconds_left"] == 0
    again = await rlink.run("phev", "hazard-lights-on")
    assert again["state"] == "completed"
    assert car.state.hazard_on


async def test_basic_climate_runs_the_engine_renews_twice_and_stops(rlink: RemoteLink) -> None:
    car = rlink.cars["hybrid"]
    started = await rlink.run("hybrid", "climate-start")
    assert started["state"] == "completed", started
    assert started["seconds_left"] == 20 * 60
    assert car.state.engine_on
    assert await rlink.status_value("hybrid", POWER) == "ON"

    await rlink.advance(minutes=15)
    for _ in range(2):
        renewed = await rlink.run("hybrid", "climate-renew")
        assert renewed["state"] == "completed", renewed
    state = await rlink.get("hybrid", "remote-state")
    assert state["climate_renewals_left"] == 0
    assert state["climate_until"] == car.state.remote.climate_until.isoformat().replace(
        "+00:00", "Z"
    )
    refused = await rlink.command("hybrid", "climate-renew")
    assert refused.json()["code"] == Refusal.renewals_used_up.value

    stopped = await rlink.run("hybrid", "climate-stop")
    assert stopped["state"] == "completed"
    assert not car.state.engine_on
    assert car.state.remote.climate_until is None
    assert await rlink.status_value("hybrid", POWER) == "OFF"
    assert (await rlink.get("hybrid", "remote-state"))["climate_seconds_left"] == 0


async def test_climate_switches_itself_off_when_its_time_is_up(rlink: RemoteLink) -> None:
    car = rlink.cars["phev"]
    car.state.cabin_settings = {"temperature_c": 22.0, "seat_heating": {"driver": 3}}
    started = await rlink.run("phev", "climate-start")
    assert started["state"] == "completed", started
    assert started["params"]["mode"] == "basic"
    assert car.state.remote.climate_settings == car.state.cabin_settings  # the last trip's
    assert not car.state.engine_on  # a plug-in hybrid heats from its battery
    battery = car.state.levels.battery_kwh

    await rlink.advance(minutes=20)
    assert car.state.remote.climate_until is None
    assert car.state.levels.battery_kwh < battery  # what the run cost
    refused = await rlink.command("phev", "climate-stop")
    assert refused.json()["code"] == Refusal.climate_not_running.value


async def test_plug_in_climate_below_the_minimum_charge_is_refused_by_the_car(
    rlink: RemoteLink,
) -> None:
    car = rlink.cars["phev"]
    capacity = car.state.spec.battery_kwh
    car.state.levels.battery_kwh = capacity * 0.25  # drained since its last status (80 %)
    outcome = await rlink.run("phev", "climate-start")
    assert (outcome["state"], outcome["code"]) == ("failed", Refusal.battery_too_low.value)
    assert car.state.remote.climate_until is None

    car.unit.send_status(rlink.clock.now())  # now the platform knows, and refuses itself
    await rlink.settle()
    refused = await rlink.command("phev", "climate-start")
    assert refused.status_code == 409
    assert refused.json()["code"] == Refusal.battery_too_low.value
