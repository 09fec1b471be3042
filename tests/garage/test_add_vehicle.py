"""Adding a car: one way to name it, proof of access, the 10-car limit, the ownership check."""

from __future__ import annotations

import httpx

from linkplus.kit.clock import ManualClock
from linkplus.runtime import Runtime
from tests.garage.support import add_car, make_car, random_vin
from tests.support import bearer_for, make_owner

URL = "/api/v1/garage/vehicles"


async def test_first_account_is_primary_and_later_ones_secondary(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime, plate="M-LX 450")
    first = await bearer_for(runtime, await make_owner(runtime))
    second = await bearer_for(runtime, await make_owner(runtime))

    added = await add_car(client, first, car, nickname="  Family car ")
    assert added.status_code == 201, added.text
    assert added.json()["role"] == "primary"
    assert added.json()["nickname"] == "Family car"
    assert added.json()["model_name"] == "Lexus NX 450h+"
    assert added.json()["powertrain"] == "phev"

    by_plate = await client.post(
        URL, json={"registration_plate": "m lx-450", "odometer_km": 12_380}, headers=second
    )
    assert by_plate.status_code == 201, by_plate.text
    assert by_plate.json()["role"] == "secondary"

    listed = (await client.get(URL, headers=second)).json()
    assert listed == [
        {
            "vin": car.vin,
            "model_name": "Lexus NX 450h+",
            "nickname": None,
            "role": "secondary",
            "model_code": None,
            "model_year": None,
            "powertrain": None,
            "multimedia": None,
            "market": None,
            "registration_plate": None,
            "added_at": None,
            "services_need_activation": None,
        }
    ]
    mine = (await client.get(URL, headers=first)).json()
    assert [
        (
            c["vin"],
            c["role"],
            c["powertrain"],
            c["registration_plate"],
            c["services_need_activation"],
        )
        for c in mine
    ] == [(car.vin, "primary", "phev", "M-LX 450", True)]


async def test_qr_code_adds_a_car_that_never_reported_its_mileage(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime, odometer_km=None)
    headers = await bearer_for(runtime, await make_owner(runtime))

    by_vin = await add_car(client, headers, car, odometer_km=100)
    assert by_vin.status_code == 422
    assert by_vin.json()["code"] == "qr_code_required"
    assert "QR code" in by_vin.json()["detail"]

    by_qr = await client.post(
        URL, json={"pairing_code": car.pairing_code(runtime)}, headers=headers
    )
    assert by_qr.status_code == 201, by_qr.text
    assert by_qr.json()["vin"] == car.vin
    assert by_qr.json()["role"] == "primary"


async def test_qr_code_expired_or_reused_is_refused(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await make_car(runtime)
    first = await bearer_for(runtime, await make_owner(runtime))
    second = await bearer_for(runtime, await make_owner(runtime))

    old_code = car.pairing_code(runtime)
    clock.advance(minutes=11)
    expired = await client.post(URL, json={"pairing_code": old_code}, headers=first)
    assert expired.status_code == 422
    assert expired.json()["code"] == "pairing_code_expired"

    code = car.pairing_code(runtime)
    assert (await client.post(URL, json={"pairing_code": code}, headers=first)).status_code == 201
    reused = await client.post(URL, json={"pairing_code": code}, headers=second)
    assert reused.status_code == 422
    assert reused.json()["code"] == "pairing_code_used"

    forged = code.rsplit(".", 1)[0] + "." + "A" * 86
    tampered = await client.post(URL, json={"pairing_code": forged}, headers=second)
    assert tampered.status_code == 422
    assert tampered.json()["code"] == "pairing_code_invalid"


async def test_a_refused_qr_code_is_not_spent(runtime: Runtime, client: httpx.AsyncClient) -> None:
    car = await make_car(runtime)
    headers = await bearer_for(runtime, await make_owner(runtime))
    assert (await add_car(client, headers, car)).status_code == 201

    code = car.pairing_code(runtime)
    again = await client.post(URL, json={"pairing_code": code}, headers=headers)
    assert again.status_code == 409
    assert again.json()["code"] == "vehicle_already_in_garage"
    other = await bearer_for(runtime, await make_owner(runtime))
    assert (await client.post(URL, json={"pairing_code": code}, headers=other)).status_code == 201


async def test_bad_identifiers(runtime: Runtime, client: httpx.AsyncClient) -> None:
    headers = await bearer_for(runtime, await make_owner(runtime))

    malformed = await client.post(
        URL, json={"vin": "JTHOOOOOOOOOOOOOO", "odometer_km": 10}, headers=headers
    )
    assert malformed.status_code == 422
    [error] = malformed.json()["errors"]
    assert error["type"] == "invalid_vin"
    assert "I, O or Q" in error["message"]

    short = await client.post(URL, json={"vin": "JTH123", "odometer_km": 10}, headers=headers)
    assert short.status_code == 422
    assert short.json()["errors"][0]["type"] == "invalid_vin"

    unknown = await client.post(URL, json={"vin": random_vin(), "odometer_km": 10}, headers=headers)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "vehicle_not_found"

    plate = await client.post(
        URL, json={"registration_plate": "NO-SUCH 1", "odometer_km": 10}, headers=headers
    )
    assert plate.status_code == 404
    assert plate.json()["code"] == "vehicle_not_found"


async def test_exactly_one_way_and_the_proof_it_needs(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime, plate="B-AB 1")
    headers = await bearer_for(runtime, await make_owner(runtime))
    cases = [
        ({"vin": car.vin, "registration_plate": "B-AB 1", "odometer_km": 1}, "one_identifier"),
        ({"odometer_km": 1}, "one_identifier"),
        ({"vin": car.vin}, "odometer_required"),
        ({"pairing_code": car.pairing_code(runtime), "odometer_km": 1}, "odometer_not_needed"),
        ({"vin": car.vin, "odometer_km": -1}, "greater_than_equal"),
        ({"vin": car.vin, "odometer_km": "12345"}, "int_type"),
        ({"vin": car.vin, "odometer_km": 1, "role": "primary"}, "extra_forbidden"),
        ({"vin": car.vin, "odometer_km": 1, "nickname": "   "}, "empty"),
    ]
    for body, error_type in cases:
        response = await client.post(URL, json=body, headers=headers)
        assert response.status_code == 422, body
        assert error_type in [e["type"] for e in response.json()["errors"]], response.json()
    assert (await client.get(URL, headers=headers)).json() == []


async def test_eleventh_car_is_refused(runtime: Runtime, client: httpx.AsyncClient) -> None:
    headers = await bearer_for(runtime, await make_owner(runtime))
    for _ in range(10):
        response = await add_car(client, headers, await make_car(runtime))
        assert response.status_code == 201, response.text
    eleventh = await add_car(client, headers, await make_car(runtime))
    assert eleventh.status_code == 409
    assert eleventh.json()["code"] == "garage_full"
    assert len((await client.get(URL, headers=headers)).json()) == 10


async def test_same_car_twice_and_unconfirmed_email(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime)
    headers = await bearer_for(runtime, await make_owner(runtime))
    assert (await add_car(client, headers, car)).status_code == 201
    twice = await add_car(client, headers, car)
    assert twice.status_code == 409
    assert twice.json()["code"] == "vehicle_already_in_garage"

    unconfirmed = await bearer_for(runtime, await make_owner(runtime, confirmed=False))
    refused = await add_car(client, unconfirmed, car)
    assert refused.status_code == 403
    assert refused.json()["code"] == "email_not_confirmed"
    assert (await client.get(URL, headers=unconfirmed)).status_code == 403
    assert (await client.get(URL)).status_code == 401


async def test_wrong_readings_count_down_then_block(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await make_car(runtime, odometer_km=20_000)
    headers = await bearer_for(runtime, await make_owner(runtime))

    assert (await add_car(client, headers, car, odometer_km=20_050)).status_code == 201  # edge
    blocked_owner = await make_owner(runtime)
    other = await bearer_for(runtime, blocked_owner)
    first = await add_car(client, other, car, odometer_km=19_994)
    assert first.status_code == 422
    assert first.json()["code"] == "odometer_mismatch"
    assert first.json()["attempts_left"] == 2
    assert "2 more tries" in first.json()["detail"]

    second = await add_car(client, other, car, odometer_km=20_051)
    assert second.json()["attempts_left"] == 1
    assert "1 more try" in second.json()["detail"]

    third = await add_car(client, other, car, odometer_km=1)
    assert third.status_code == 409
    assert third.json()["code"] == "ownership_check_blocked"
    assert "dealer" in third.json()["detail"]

    clock.advance(days=30)
    other = await bearer_for(runtime, blocked_owner)
    correct = await add_car(client, other, car, odometer_km=20_000)
    assert correct.status_code == 409
    assert correct.json()["code"] == "ownership_check_blocked"
    by_qr = await client.post(URL, json={"pairing_code": car.pairing_code(runtime)}, headers=other)
    assert by_qr.status_code == 409
    assert by_qr.json()["code"] == "ownership_check_blocked"
    assert (await client.get(URL, headers=other)).json() == []


async def test_attempts_are_per_car_and_account(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime, odometer_km=500)
    another_car = await make_car(runtime, odometer_km=500)
    headers = await bearer_for(runtime, await make_owner(runtime))
    for _ in range(2):
        assert (await add_car(client, headers, car, odometer_km=9_999)).status_code == 422
    assert (await add_car(client, headers, another_car, odometer_km=9_999)).json()[
        "attempts_left"
    ] == 2
    someone_else = await bearer_for(runtime, await make_owner(runtime))
    assert (await add_car(client, someone_else, car, odometer_km=9_999)).json()[
        "attempts_left"
    ] == 2
    # A correct reading before the block resets the count.
    assert (await add_car(client, headers, car, odometer_km=505)).status_code == 201
