"""Lock and unlock over the real protocol: the car carries them out and its status follows;
the platform refuses what its view of the car shows, and the car refuses what only it can see."""

from __future__ import annotations

import uuid

from linkplus.remote.preconditions import Refusal, message
from tests.remote_e2e.support import DRIVER_DOOR, RemoteLink

LOCKED = f"Vehicle.Cabin.Door.{DRIVER_DOOR}.IsLocked"
OPEN = f"Vehicle.Cabin.Door.{DRIVER_DOOR}.IsOpen"


async def test_door_unlock_then_lock_complete_and_the_status_follows(rlink: RemoteLink) -> None:
    car = rlink.cars["phev"]
    assert await rlink.status_value("phev", LOCKED) is True

    unlocked = await rlink.run("phev", "door-unlock")
    assert unlocked["state"] == "completed", unlocked
    assert unlocked["acknowledged_at"] is not None
    assert not car.state.is_locked
    assert await rlink.status_value("phev", LOCKED) is False

    locked = await rlink.run("phev", "door-lock")
    assert locked["state"] == "completed", locked
    assert locked["code"] is None
    assert car.state.is_locked
    assert await rlink.status_value("phev", LOCKED) is True
    answers = rlink.watcher.for_command(uuid.UUID(locked["id"]))
    assert answers == [("received", None), ("succeeded", None)]


async def test_lock_with_a_door_open_is_refused_by_the_platform(rlink: RemoteLink) -> None:
    car = rlink.cars["phev"]
    await rlink.run("phev", "door-unlock")
    car.state.doors[DRIVER_DOOR].is_open = True
    await rlink.advance(seconds=5)
    car.unit.send_status(rlink.clock.now())  # the car reports the open door
    await rlink.settle()
    assert await rlink.status_value("phev", OPEN) is True

    refused = await rlink.command("phev", "door-lock")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == Refusal.door_open.value
    assert "Close it" in refused.json()["detail"]
    assert not car.state.is_locked


async def test_lock_is_refused_by_the_car_when_the_platforms_view_is_stale(
    rlink: RemoteLink,
) -> None:
    car = rlink.cars["phev"]
    await rlink.run("phev", "door-unlock")
    car.state.smart_key_inside = True  # someone left the key on the seat; no status since
    assert await rlink.status_value("phev", "Vehicle.Private.LinkPlus.SmartKey.IsInside") is False

    outcome = await rlink.run("phev", "door-lock")
    assert outcome["state"] == "failed"
    assert outcome["code"] == Refusal.smart_key_inside.value
    assert outcome["message"] == message(Refusal.smart_key_inside)
    assert not car.state.is_locked

    car.state.smart_key_inside = False
    car.state.doors["Row2.PassengerSide"].is_open = True  # and a rear door, unreported
    outcome = await rlink.run("phev", "door-lock")
    assert (outcome["state"], outcome["code"]) == ("failed", Refusal.door_open.value)


async def test_unlock_after_a_physical_key_lock_is_refused_by_the_car(rlink: RemoteLink) -> None:
    car = rlink.cars["hybrid"]
    car.state.lock(physical_key=True)  # the platform has no signal for this: only the car knows
    outcome = await rlink.run("hybrid", "door-unlock")
    assert (outcome["state"], outcome["code"]) == (
        "failed",
        Refusal.locked_with_physical_key.value,
    )
    assert "Unlock it with the key" in outcome["message"]
    assert car.state.is_locked
