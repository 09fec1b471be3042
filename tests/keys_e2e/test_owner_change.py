"""When the car changes hands every key of the previous owner and of their drivers is revoked at
once, and the new owner sees the car confirm it; while stolen-vehicle tracking runs, keys are
suspended (the car refuses them, the platform issues none)."""

from __future__ import annotations

import uuid

from linkplus.keys.certificates import Refusal
from linkplus.remote import service as remote
from linkplus.sim.keys import SimulatedPhone
from linkplus.vehicles import service as vehicles
from tests.connected_services.support import link
from tests.keys_e2e.support import KeyWorld


async def test_a_new_primary_account_revokes_every_key_of_the_previous_owner_at_once(
    world: KeyWorld,
) -> None:
    owner_phone, driver_phone = SimulatedPhone(), SimulatedPhone()
    assert (await world.owner_key("car", owner_phone)).status_code == 201
    await world.invited_driver("car", driver_phone)
    pending = await world.invite("car", "later@example.com")
    assert pending.status_code == 201
    reader = world.reader("car")
    assert owner_phone.open(reader) is Refusal.ok
    world.car_state("car").lock()

    world.link.clock.advance(minutes=5)
    buyer = await world.person()
    await link(world.runtime, buyer.account, world.vin("car"), primary=False)
    async with world.runtime.db.transaction() as session:
        vehicle = await vehicles.get_vehicle(session, world.vin("car"))
        assert vehicle is not None
        odometer = vehicle.odometer_km
    claimed = await world.client.post(
        f"/api/v1/vehicles/{world.vin('car')}/primary-account",
        json={"odometer_km": odometer},
        headers=await world.headers_of(buyer),
    )
    assert claimed.status_code == 204, claimed.text
    world.subscribed.accounts.add(buyer.account.id)

    async def confirmed() -> bool:
        answer = await world.client.get(
            f"/api/v1/vehicles/{world.vin('car')}/keys", headers=await world.headers_of(buyer)
        )
        return bool(answer.json()["handover"]) and all(
            h["confirmed_at"] for h in answer.json()["handover"]
        )

    await world.link.until(confirmed, "the car to confirm the handover")
    view = (
        await world.client.get(
            f"/api/v1/vehicles/{world.vin('car')}/keys", headers=await world.headers_of(buyer)
        )
    ).json()
    assert view["keys"] == []  # nothing of the previous owner shows
    assert view["invites"] == []
    assert [h["keys"] for h in view["handover"]] == [2]
    sent = [c for _, c in world.link.publisher.sent if c.type == "key_revoke"]
    assert len(sent) == 1
    assert len(sent[0].params["key_ids"]) == 2
    assert owner_phone.open(reader) is Refusal.revoked
    assert driver_phone.open(reader) is Refusal.revoked
    assert world.car_state("car").is_locked

    # The new owner's own key works.
    new_phone = SimulatedPhone()
    made = await world.client.post(
        f"/api/v1/vehicles/{world.vin('car')}/keys/owner",
        json={"public_key": new_phone.public_key},
        headers=await world.headers_of(buyer),
    )
    assert made.status_code == 201, made.text
    new_phone.certificates[world.vin("car")] = made.json()["certificate"]
    assert new_phone.open(reader) is Refusal.ok


async def test_removing_the_car_from_the_owners_garage_revokes_its_keys(world: KeyWorld) -> None:
    phone = SimulatedPhone()
    driver, key = await world.invited_driver("car", phone)
    removed = await world.client.request(
        "DELETE",
        f"/api/v1/garage/vehicles/{world.vin('car')}",
        json={"confirm": True},
        headers=await world.owner_headers("car"),
    )
    assert removed.status_code == 204, removed.text

    async def confirmed() -> bool:
        mine = await world.client.get("/api/v1/keys", headers=await world.headers_of(driver))
        return mine.json()[0]["revocation"] == "confirmed"

    await world.link.until(confirmed, "the car to withdraw the keys")
    mine = (await world.client.get("/api/v1/keys", headers=await world.headers_of(driver))).json()
    assert (mine[0]["id"], mine[0]["revoked_by"]) == (key["id"], "ownership")
    assert phone.open(world.reader("car")) is Refusal.revoked


async def test_keys_are_suspended_while_stolen_vehicle_tracking_runs(world: KeyWorld) -> None:
    phone = SimulatedPhone()
    await world.invited_driver("car", phone)
    reader = world.reader("car")
    case = "c0ffee00-0000-4000-8000-000000000001"
    start = world.link.signed(
        "car", "tracking_start", counter=10_000, params={"case": case, "interval_s": 30}
    )
    await world.link.inject("car", start)
    await _carried_out(world, start.msg_id)
    assert phone.open(reader) is Refusal.suspended
    assert world.car_state("car").is_locked

    async with world.runtime.db.transaction() as session:
        await remote.set_stolen_vehicle_tracking(
            session, vin=world.vin("car"), active=True, now=world.link.clock.now(), reference=case
        )
    view = await world.car_keys("car")
    assert view["suspended"] is True
    assert [k["state"] for k in view["keys"]] == ["suspended"]
    refused = await world.invite("car", "friend@example.com")
    assert (refused.status_code, refused.json()["code"]) == (409, "keys_suspended")

    stop = world.link.signed("car", "tracking_stop", counter=10_001, params={"case": case})
    await world.link.inject("car", stop)
    await _carried_out(world, stop.msg_id)
    assert phone.open(reader) is Refusal.ok


async def _carried_out(world: KeyWorld, command_id: uuid.UUID) -> None:
    """Until the car answered ``succeeded`` (its ``received`` comes first)."""

    async def done() -> bool:
        return ("succeeded", None) in world.link.watcher.for_command(command_id)

    await world.link.until(done, "the car to carry out the tracking command")
