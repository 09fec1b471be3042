"""One primary account per car: what secondary accounts see, claiming the role, the 404 rule."""

from __future__ import annotations

from typing import Any

import httpx

from linkplus.audit import service as audit
from linkplus.jobs.worker import Worker
from linkplus.runtime import Runtime
from tests.garage.support import add_car, make_car, owner_with_car, random_vin
from tests.support import Mailbox, bearer_for, make_owner


def _claim_url(vin: str) -> str:
    return f"/api/v1/vehicles/{vin}/primary-account"


async def test_secondary_sees_name_and_model_only(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime, plate="HH-LX 1")
    primary = await owner_with_car(runtime, client, await make_owner(runtime), car)
    secondary = await owner_with_car(runtime, client, await make_owner(runtime), car)

    full = (await client.get(f"/api/v1/vehicles/{car.vin}", headers=primary)).json()
    assert full["role"] == "primary"
    assert (full["model_code"], full["registration_plate"], full["market"]) == (
        "NX450HP",
        "HH-LX 1",
        "DE",
    )
    limited = (await client.get(f"/api/v1/vehicles/{car.vin.lower()}", headers=secondary)).json()
    assert {k: v for k, v in limited.items() if v is not None} == {
        "vin": car.vin,
        "model_name": "Lexus NX 450h+",
        "role": "secondary",
    }

    mileage = await client.get(f"/api/v1/vehicles/{car.vin}/odometer", headers=primary)
    assert mileage.status_code == 200
    assert mileage.json()["odometer_km"] == car.odometer_km
    refused = await client.get(f"/api/v1/vehicles/{car.vin}/odometer", headers=secondary)
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_primary_account"
    assert "Connected Services Centre" in refused.json()["detail"]


async def test_claim_with_qr_code_tells_the_old_primary_at_once(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    car = await make_car(runtime)
    old = await make_owner(runtime)
    old_headers = await owner_with_car(runtime, client, old, car)
    new = await make_owner(runtime)
    new_headers = await owner_with_car(runtime, client, new, car)

    claimed = await client.post(
        _claim_url(car.vin), json={"pairing_code": car.pairing_code(runtime)}, headers=new_headers
    )
    assert claimed.status_code == 204, claimed.text

    refused = await client.get(f"/api/v1/vehicles/{car.vin}/odometer", headers=old_headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_primary_account"
    assert (
        await client.get(f"/api/v1/vehicles/{car.vin}/odometer", headers=new_headers)
    ).is_success
    roles = {
        "old": (await client.get("/api/v1/garage/vehicles", headers=old_headers)).json()[0]["role"],
        "new": (await client.get("/api/v1/garage/vehicles", headers=new_headers)).json()[0]["role"],
    }
    assert roles == {"old": "secondary", "new": "primary"}

    inbox = (await client.get("/api/v1/notifications", headers=old_headers)).json()["items"]
    # Also told when ``new`` added the car (issue 11); both at the same moment of the test clock.
    assert sorted((n["kind"], n["category"]) for n in inbox) == [
        ("garage.primary_account_lost", "account"),
        ("garage.secondary_account_added", "account"),
    ]
    [lost] = [n for n in inbox if n["kind"] == "garage.primary_account_lost"]
    assert "Lexus NX 450h+" in lost["title"]
    assert car.vin in lost["body"]
    assert (await client.get("/api/v1/notifications", headers=new_headers)).json()["items"] == []

    await worker.run_due()
    [mail] = [m for m in mailbox.to(old.email) if "new primary account" in str(m["Subject"])]
    assert "Lexus NX 450h+" in str(mail["Subject"])
    assert car.vin in mailbox.text(mail)
    assert mailbox.to(new.email) == []

    async with runtime.db.transaction() as session:
        [entry] = await audit.entries_for(session, action="garage.primary_account_changed")
    assert (entry.actor_id, entry.subject_id) == (str(new.id), car.vin)
    assert entry.details["previous_account_id"] == str(old.id)
    assert entry.details["proof"] == "qr"


async def test_claim_by_odometer_follows_the_attempt_rules(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime, odometer_km=40_000)
    primary = await owner_with_car(runtime, client, await make_owner(runtime), car)
    secondary = await owner_with_car(runtime, client, await make_owner(runtime), car)

    already = await client.post(_claim_url(car.vin), json={"odometer_km": 40_000}, headers=primary)
    assert already.status_code == 409
    assert already.json()["code"] == "already_primary_account"

    for left in (2, 1):
        wrong = await client.post(_claim_url(car.vin), json={"odometer_km": 1}, headers=secondary)
        assert (wrong.status_code, wrong.json()["attempts_left"]) == (422, left)
    blocked = await client.post(_claim_url(car.vin), json={"odometer_km": 1}, headers=secondary)
    assert blocked.status_code == 409
    assert blocked.json()["code"] == "ownership_check_blocked"
    correct = await client.post(
        _claim_url(car.vin), json={"odometer_km": 40_000}, headers=secondary
    )
    assert correct.json()["code"] == "ownership_check_blocked"
    assert (await client.get(f"/api/v1/vehicles/{car.vin}", headers=primary)).json()[
        "role"
    ] == "primary"


async def test_claim_needs_one_proof_for_this_car(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime)
    other_car = await make_car(runtime)
    await owner_with_car(runtime, client, await make_owner(runtime), car)
    secondary = await owner_with_car(runtime, client, await make_owner(runtime), car)

    for body in ({}, {"odometer_km": 1, "pairing_code": car.pairing_code(runtime)}):
        response = await client.post(_claim_url(car.vin), json=body, headers=secondary)
        assert response.status_code == 422
        assert response.json()["errors"][0]["type"] == "one_proof"
    foreign = await client.post(
        _claim_url(car.vin),
        json={"pairing_code": other_car.pairing_code(runtime)},
        headers=secondary,
    )
    assert foreign.status_code == 422
    assert foreign.json()["code"] == "pairing_code_other_vehicle"


async def test_claim_a_car_without_primary_notifies_nobody(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime)
    first = await owner_with_car(runtime, client, await make_owner(runtime), car)
    second = await owner_with_car(runtime, client, await make_owner(runtime), car)
    removed = await client.request(
        "DELETE", f"/api/v1/garage/vehicles/{car.vin}", json={"confirm": True}, headers=first
    )
    assert removed.status_code == 204
    assert (await client.get(f"/api/v1/vehicles/{car.vin}", headers=second)).json()[
        "role"
    ] == "secondary"

    claimed = await client.post(
        _claim_url(car.vin), json={"odometer_km": car.odometer_km}, headers=second
    )
    assert claimed.status_code == 204
    assert (await client.get(f"/api/v1/vehicles/{car.vin}", headers=second)).json()[
        "role"
    ] == "primary"
    # ``first`` heard only of the secondary account (issue 11), not of the claim.
    kinds = [
        n["kind"]
        for n in (await client.get("/api/v1/notifications", headers=first)).json()["items"]
    ]
    assert kinds == ["garage.secondary_account_added"]


def _without_instance(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    body.pop("instance", None)
    return body


async def test_someone_elses_car_looks_exactly_like_no_car(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    theirs = await make_car(runtime)
    await owner_with_car(runtime, client, await make_owner(runtime), theirs)
    mine = await make_car(runtime)
    me = await owner_with_car(runtime, client, await make_owner(runtime), mine)

    vins = [theirs.vin, random_vin(), "not-a-vin", "JTHOOOOOOOOOOOOOO", "1" * 17]
    requests: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", "/api/v1/vehicles/{vin}", None),
        ("GET", "/api/v1/vehicles/{vin}/odometer", None),
        ("POST", "/api/v1/vehicles/{vin}/primary-account", {"odometer_km": 1}),
        ("DELETE", "/api/v1/garage/vehicles/{vin}", {"confirm": True}),
    ]
    for method, template, body in requests:
        answers = []
        for vin in vins:
            response = await client.request(method, template.format(vin=vin), json=body, headers=me)
            assert response.status_code == 404, (method, template, vin, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            answers.append(_without_instance(response))
        assert all(answer == answers[0] for answer in answers), answers
        assert answers[0]["code"] == "vehicle_not_found"
        # The body is the same byte for byte, apart from the echoed path.
        raw = {
            (
                await client.request(method, template.format(vin=vin), json=body, headers=me)
            ).content.replace(vin.encode(), b"<vin>")
            for vin in vins
        }
        assert len(raw) == 1, raw
    # Nothing was changed by those attempts: the other car keeps its primary account.
    assert (await client.get(f"/api/v1/vehicles/{mine.vin}", headers=me)).json()["role"] == (
        "primary"
    )


async def test_another_account_cannot_touch_my_car_by_lower_case_vin(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime)
    owner = await owner_with_car(runtime, client, await make_owner(runtime), car)
    stranger = await bearer_for(runtime, await make_owner(runtime))
    response = await client.get(f"/api/v1/vehicles/{car.vin.lower()}", headers=stranger)
    assert response.status_code == 404
    assert (await client.get(f"/api/v1/vehicles/{car.vin.lower()}", headers=owner)).is_success
    assert (await add_car(client, stranger, car, odometer_km=0)).json()["attempts_left"] == 2
