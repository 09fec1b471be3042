"""Commands that did not come signed from the platform, published straight to a car's topic with
the gateway's credential: the car refuses every one and says why, and does nothing."""

from __future__ import annotations

from datetime import timedelta

from tests.remote_e2e.support import RemoteLink


async def test_the_car_refuses_forged_replayed_and_expired_commands(
    rlink: RemoteLink,
) -> None:
    car = rlink.cars["phev"]
    done = await rlink.run("phev", "door-unlock")
    assert done["state"] == "completed"
    vin, platform_command = rlink.publisher.sent[-1]
    assert vin == car.vin
    assert platform_command.signature is not None
    counter = car.unit.last_counter
    assert counter is not None

    now = rlink.clock.now()
    replay = platform_command  # the very bytes the platform sent, again
    expired = rlink.signed(
        "phev", "door_lock", counter=counter + 1, expires_at=now - timedelta(seconds=1)
    )
    other_car = rlink.signed("phev", "door_lock", counter=counter + 1, vin=rlink.cars["hybrid"].vin)
    forged = rlink.signed("phev", "door_lock", counter=counter + 1, key=b"\x01" * 32)
    altered = rlink.signed(
        "phev", "hazard_lights_on", counter=counter + 1, params={"seconds": 60}
    ).model_copy(update={"params": {"seconds": 3600}})
    unsigned = rlink.signed("phev", "door_lock", counter=counter + 1).model_copy(
        update={"signature": None}
    )
    answers = await rlink.inject("phev", replay, expired, other_car, forged, altered, unsigned)
    assert answers == [
        [("rejected", "replayed")],
        [("rejected", "expired")],
        [("rejected", "wrong_vin")],
        [("rejected", "bad_signature")],
        [("rejected", "bad_signature")],
        [("rejected", "bad_signature")],
    ]
    assert not car.state.is_locked
    assert not car.state.hazard_on
    assert car.unit.last_counter == counter

    await rlink.settle()  # the refusals reached the platform, which ignores them
    again = await rlink.get("phev", f"commands/{done['id']}")
    assert (again["state"], again["code"]) == ("completed", None)

    locked = await rlink.run("phev", "door-lock")  # the platform's next command still works
    assert locked["state"] == "completed"
    assert car.state.is_locked


async def test_a_command_for_one_car_signed_with_its_key_is_refused_by_another(
    rlink: RemoteLink,
) -> None:
    hybrid = rlink.cars["hybrid"]
    command = rlink.signed("phev", "door_unlock", counter=10_000)
    answers = await rlink.inject("hybrid", command)
    assert answers == [[("rejected", "wrong_vin")]]
    assert hybrid.state.is_locked
