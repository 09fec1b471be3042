"""The dealer console's garage functions: find a car, identity check, unblock, remove."""

from __future__ import annotations

import uuid

import httpx

from linkplus.audit import service as audit
from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import StaffRole
from linkplus.runtime import Runtime
from tests.garage.support import add_car, make_car, owner_with_car, random_vin
from tests.support import bearer_for, make_owner, make_staff

REASON = {"reason": "dealer_service_visit"}


def _car_url(vin: str) -> str:
    return f"/api/v1/staff/vehicles/{vin}"


async def test_owner_tokens_find_nothing_and_other_roles_are_refused(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime)
    owner = await make_owner(runtime)
    owner_headers = await owner_with_car(runtime, client, owner, car)
    base = _car_url(car.vin)
    requests = [
        ("GET", base, None),
        ("POST", f"{base}/identity-checks", {"account_id": str(owner.id), "document": "passport"}),
        ("POST", f"{base}/ownership-checks/{owner.id}/unblock", None),
        ("DELETE", f"{base}/accounts/{owner.id}", {"reason": "owner sold the car"}),
    ]
    emergency = await bearer_for(runtime, await make_staff(runtime, role=StaffRole.emergency_agent))
    for method, url, body in requests:
        for headers in (owner_headers, {}):
            hidden = await client.request(method, url, json=body, headers=headers)
            assert hidden.status_code == 404, (method, url)
            assert hidden.json()["code"] == "not_found"
        wrong_role = await client.request(method, url, json=body, headers=emergency)
        assert wrong_role.status_code == 403, (method, url)
    assert len((await client.get("/api/v1/garage/vehicles", headers=owner_headers)).json()) == 1


async def test_dealer_unblocks_after_an_identity_check(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await make_car(runtime, odometer_km=8_000, plate="K-LX 8")
    first = await make_owner(runtime, email="first@example.com")
    await owner_with_car(runtime, client, first, car)
    blocked = await make_owner(runtime, email="blocked@example.com")
    headers = await bearer_for(runtime, blocked)
    for _ in range(3):
        await add_car(client, headers, car, odometer_km=100)
    still = await add_car(client, headers, car)
    assert still.json()["code"] == "ownership_check_blocked"

    dealer_account = await make_staff(runtime, role=StaffRole.dealer)
    dealer = await bearer_for(runtime, dealer_account)
    found = await client.get(_car_url(car.vin.lower()), params=REASON, headers=dealer)
    assert found.status_code == 200, found.text
    view = found.json()
    assert (view["model_name"], view["registration_plate"]) == ("Lexus NX 450h+", "K-LX 8")
    by_email = {row["email"]: row for row in view["accounts"]}
    assert by_email["first@example.com"]["role"] == "primary"
    assert by_email["first@example.com"]["in_garage"] is True
    stuck = by_email["blocked@example.com"]
    assert (stuck["in_garage"], stuck["role"]) == (False, None)
    assert stuck["ownership_check"]["blocked"] is True
    assert stuck["ownership_check"]["failed_attempts"] == 3
    assert stuck["ownership_check"]["attempts_left"] == 0

    unblock_url = f"{_car_url(car.vin)}/ownership-checks/{blocked.id}/unblock"
    without = await client.post(unblock_url, headers=dealer)
    assert without.status_code == 409
    assert without.json()["code"] == "identity_check_required"

    checked = await client.post(
        f"{_car_url(car.vin)}/identity-checks",
        json={"account_id": str(blocked.id), "document": "passport", "notes": "seen at desk"},
        headers=dealer,
    )
    assert checked.status_code == 201, checked.text
    assert checked.json()["staff_id"] == str(dealer_account.id)

    clock.advance(hours=25)  # the identity check is too old now
    dealer = await bearer_for(runtime, dealer_account)
    stale = await client.post(unblock_url, headers=dealer)
    assert stale.json()["code"] == "identity_check_required"

    again = await client.post(
        f"{_car_url(car.vin)}/identity-checks",
        json={"account_id": str(blocked.id), "document": "driving_licence"},
        headers=dealer,
    )
    assert again.status_code == 201
    unblocked = await client.post(unblock_url, headers=dealer)
    assert unblocked.status_code == 200, unblocked.text
    assert unblocked.json()["blocked"] is False
    assert unblocked.json()["attempts_left"] == 3

    headers = await bearer_for(runtime, blocked)
    added = await add_car(client, headers, car)
    assert (added.status_code, added.json()["role"]) == (201, "secondary")

    async with runtime.db.transaction() as session:
        entries = await audit.entries_for(session, subject_type="vehicle", subject_id=car.vin)
    actions = [(e.action, e.actor_type) for e in reversed(entries)]
    assert ("garage.ownership_check_blocked", "owner") in actions
    assert ("staff.vehicle_viewed", "staff") in actions
    assert actions.count(("staff.identity_checked", "staff")) == 2
    assert ("staff.ownership_check_unblocked", "staff") in actions
    unblock_entry = next(e for e in entries if e.action == "staff.ownership_check_unblocked")
    assert unblock_entry.actor_id == str(dealer_account.id)
    assert unblock_entry.details["account_id"] == str(blocked.id)


async def test_identity_check_input_is_checked(runtime: Runtime, client: httpx.AsyncClient) -> None:
    car = await make_car(runtime)
    owner = await make_owner(runtime)
    await owner_with_car(runtime, client, owner, car)
    agent = await bearer_for(runtime, await make_staff(runtime, role=StaffRole.agent))
    url = f"{_car_url(car.vin)}/identity-checks"

    bad_document = await client.post(
        url, json={"account_id": str(owner.id), "document": "library_card"}, headers=agent
    )
    assert bad_document.status_code == 422
    stranger = await client.post(
        url, json={"account_id": str(uuid.uuid4()), "document": "id_card"}, headers=agent
    )
    assert stranger.status_code == 404
    assert stranger.json()["code"] == "account_not_linked"
    nothing_to_unblock = await client.post(
        f"{_car_url(car.vin)}/ownership-checks/{uuid.uuid4()}/unblock", headers=agent
    )
    assert nothing_to_unblock.status_code == 404

    malformed = await client.get(_car_url("JTHOOOOOOOOOOOOOO"), params=REASON, headers=agent)
    assert malformed.status_code == 422
    assert malformed.json()["code"] == "invalid_vin"
    unknown = await client.get(_car_url(random_vin()), params=REASON, headers=agent)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "vehicle_not_found"


async def test_staff_removes_a_car_on_the_owners_request(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime)
    owner = await make_owner(runtime)
    headers = await owner_with_car(runtime, client, owner, car)
    agent_account = await make_staff(runtime, role=StaffRole.agent)
    agent = await bearer_for(runtime, agent_account)
    url = f"{_car_url(car.vin)}/accounts/{owner.id}"

    for body in (None, {}, {"reason": "  "}):
        assert (await client.request("DELETE", url, json=body, headers=agent)).status_code == 422
    removed = await client.request(
        "DELETE", url, json={"reason": "Owner called: car sold"}, headers=agent
    )
    assert removed.status_code == 204
    assert (await client.get("/api/v1/garage/vehicles", headers=headers)).json() == []
    twice = await client.request("DELETE", url, json={"reason": "again please"}, headers=agent)
    assert twice.status_code == 404
    assert twice.json()["code"] == "account_not_linked"

    view = (await client.get(_car_url(car.vin), params=REASON, headers=agent)).json()
    assert view["accounts"] == []
    async with runtime.db.transaction() as session:
        [entry] = await audit.entries_for(session, action="staff.vehicle_removed_from_account")
    assert entry.actor_id == str(agent_account.id)
    assert entry.details == {
        "account_id": str(owner.id),
        "reason": "Owner called: car sold",
        "was_primary": True,
    }
