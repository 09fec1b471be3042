"""The owner's phone key: made for the primary account while the digital-key service is active,
it opens the car over the short-range call with no network, and the dashboard sees the doors."""

from __future__ import annotations

from linkplus.keys import certificates
from linkplus.keys.certificates import Refusal
from linkplus.sim.keys import SimulatedPhone
from tests.keys_e2e.support import LOCKED, KeyWorld


async def test_the_owner_key_opens_the_car_offline_and_the_dashboard_follows(
    world: KeyWorld,
) -> None:
    phone = SimulatedPhone()
    made = await world.owner_key("car", phone)
    assert made.status_code == 201, made.text
    assert (made.json()["role"], made.json()["state"]) == ("owner", "active")
    assert world.car_state("car").is_locked

    unit = world.link.cars["car"].unit
    unit.set_coverage(False, world.link.clock.now())  # an underground car park
    await world.link.advance(seconds=5)
    assert not unit.connected

    assert phone.open(world.reader("car")) is Refusal.ok
    assert not world.car_state("car").is_locked
    assert await world.link.status_value("car", LOCKED) is True  # the platform cannot know yet

    unit.set_coverage(True, world.link.clock.now())
    await world.link.until(lambda: _connected(unit), "the car to reconnect")
    await world.link.settle()
    assert await world.link.status_value("car", LOCKED) is False


async def _connected(unit: object) -> bool:
    return bool(getattr(unit, "connected", False))


async def test_one_owner_key_only_for_the_primary_account_with_the_service(
    world: KeyWorld,
) -> None:
    first, second = SimulatedPhone(), SimulatedPhone()
    assert (await world.owner_key("car", first)).status_code == 201
    again = await world.owner_key("car", second)
    assert (again.status_code, again.json()["code"]) == (409, "owner_key_exists")

    world.subscribed.accounts.discard(world.link.cars["other"].owner.account.id)
    stopped = await world.owner_key("other", SimulatedPhone())
    assert (stopped.status_code, stopped.json()["code"]) == (409, "digital_key_not_active")
    assert "Remote Connect" in stopped.json()["detail"]

    stranger = await world.person()
    answer = await world.client.post(
        f"/api/v1/vehicles/{world.vin('car')}/keys/owner",
        json={"public_key": second.public_key},
        headers=await world.headers_of(stranger),
    )
    assert (answer.status_code, answer.json()["code"]) == (404, "vehicle_not_found")


async def test_another_cars_key_a_forged_certificate_and_a_replayed_answer_do_not_open(
    world: KeyWorld,
) -> None:
    phone = SimulatedPhone()
    assert (await world.owner_key("car", phone)).status_code == 201
    reader, other = world.reader("car"), world.reader("other")

    # Another car's key: the certificate names the first car.
    nonce = other.challenge()
    certificate = phone.certificates[world.vin("car")]
    assert other.present(certificate, nonce, phone.answer(other.vin, nonce)) is Refusal.wrong_car
    assert world.car_state("other").is_locked

    # A forged certificate: the same fields, signed by a key that is not the car's authority.
    parsed = certificates.parse(certificate)
    assert parsed is not None
    forger = SimulatedPhone().private_key
    forged = certificates.issue(forger, parsed[0])
    nonce = reader.challenge()
    assert reader.present(forged, nonce, phone.answer(reader.vin, nonce)) is Refusal.forged
    # ... or the real certificate with a longer validity written into it.
    _, body, signature = parsed
    stretched = body.replace(str(parsed[0].not_after).encode(), b"4102444800")
    tampered = f"lpk1.{certificates.b64(stretched)}.{certificates.b64(signature)}"
    nonce = reader.challenge()
    assert reader.present(tampered, nonce, phone.answer(reader.vin, nonce)) is Refusal.forged
    # ... or someone else's phone presenting the owner's certificate.
    nonce = reader.challenge()
    thief = SimulatedPhone()
    assert reader.present(certificate, nonce, thief.answer(reader.vin, nonce)) is (
        Refusal.bad_response
    )
    assert world.car_state("car").is_locked

    # A replayed exchange: overheard once, sent again.
    nonce = reader.challenge()
    answer = phone.answer(reader.vin, nonce)
    assert reader.present(certificate, nonce, answer) is Refusal.ok
    world.car_state("car").lock()
    assert reader.present(certificate, nonce, answer) is Refusal.replayed
    assert world.car_state("car").is_locked
    stale = reader.challenge()
    world.link.clock.advance(seconds=31)
    assert reader.present(certificate, stale, phone.answer(reader.vin, stale)) is (
        Refusal.challenge_expired
    )
