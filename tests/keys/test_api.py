"""The digital-key API's refusals: fields nobody may set, keys that are not the caller's, the
primary account only, the cap, limits that do not work; and a revocation waits for the broker
(pending, with its send job) when this process has none."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from linkplus.keys.rules import MAX_KEYS_PER_CAR
from linkplus.models.jobs import Job
from linkplus.runtime import Runtime
from linkplus.sim.keys import SimulatedPhone
from tests.connected_services.support import (
    ACCEPT_DE,
    Owner,
    activate,
    link,
    owner,
    primary_owner_of_new_car,
)
from tests.keys_e2e.support import Subscribed
from tests.support import bearer_for


async def _car(
    runtime: Runtime, client: httpx.AsyncClient, subscribed: Subscribed
) -> tuple[Owner, str]:
    person, vin = await primary_owner_of_new_car(runtime, model_code="NX450HP", market="BE")
    activated = await activate(client, person, vin, accept=ACCEPT_DE)
    assert activated.status_code == 200, activated.text
    subscribed.accounts.add(person.account.id)
    return person, vin


async def _post(
    client: httpx.AsyncClient, url: str, who: Owner, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(url, json=body, headers=who.headers)


async def test_unknown_fields_bad_keys_and_bad_limits_are_refused_with_their_code(
    runtime: Runtime, client: httpx.AsyncClient, subscribed: Subscribed
) -> None:
    person, vin = await _car(runtime, client, subscribed)
    phone = SimulatedPhone()
    base = f"/api/v1/vehicles/{vin}/keys"
    extra = await _post(
        client, f"{base}/owner", person, {"public_key": phone.public_key, "role": "owner"}
    )
    assert (extra.status_code, extra.json()["code"]) == (422, "invalid_input")
    raw = bytearray(phone.public_key.encode())
    raw[-3] = ord("A") if raw[-3] != ord("A") else ord("B")
    off_curve = await _post(client, f"{base}/owner", person, {"public_key": raw.decode()})
    assert (off_curve.status_code, off_curve.json()["code"]) == (422, "key_bad_public_key")

    full_with_days = await _post(
        client, f"{base}/invites", person, {"email": "a@example.com", "role": "full", "days": [1]}
    )
    assert (full_with_days.status_code, full_with_days.json()["code"]) == (422, "key_bad_limits")
    half_hours = await _post(
        client,
        f"{base}/invites",
        person,
        {"email": "a@example.com", "role": "limited", "hours_from": "08:00"},
    )
    assert (half_hours.status_code, half_hours.json()["code"]) == (422, "key_bad_limits")
    for wrong in (
        {"days": [0]},
        {"days": [8]},
        {"max_speed_kmh": 10},
        {"hours_from": "25:00", "hours_to": "08:00"},
        {"time_zone": "Mars/Base"},
        {"max_speed_kmh": 90.5},
    ):
        refused = await _post(
            client,
            f"{base}/invites",
            person,
            {"email": "a@example.com", "role": "limited", **wrong},
        )
        assert refused.status_code == 422, (wrong, refused.text)
    assert (await client.get(base, headers=person.headers)).json()["invites"] == []


async def test_only_the_primary_account_manages_keys_and_others_get_404(
    runtime: Runtime, client: httpx.AsyncClient, subscribed: Subscribed
) -> None:
    person, vin = await _car(runtime, client, subscribed)
    secondary = await owner(runtime)
    await link(runtime, secondary.account, vin, primary=False)
    stranger = await owner(runtime)
    base = f"/api/v1/vehicles/{vin}/keys"
    assert (await client.get(base, headers=secondary.headers)).status_code == 403
    assert (await client.get(base, headers=stranger.headers)).json()["code"] == "vehicle_not_found"
    made = await _post(client, f"{base}/owner", person, {"public_key": SimulatedPhone().public_key})
    assert made.status_code == 201
    key_id = made.json()["id"]
    for who in (secondary, stranger):
        assert (
            await client.post(f"/api/v1/keys/{key_id}/remove", headers=who.headers)
        ).status_code == 404
        shared = await _post(
            client,
            f"/api/v1/keys/{key_id}/invites",
            who,
            {"email": "b@example.com", "role": "full"},
        )
        assert shared.json()["code"] == "key_not_found"
    assert (await client.get("/api/v1/keys", headers=stranger.headers)).json() == []


async def test_a_car_has_at_most_the_documented_number_of_keys_and_invitations(
    runtime: Runtime, client: httpx.AsyncClient, subscribed: Subscribed
) -> None:
    person, vin = await _car(runtime, client, subscribed)
    base = f"/api/v1/vehicles/{vin}/keys"
    for n in range(MAX_KEYS_PER_CAR):
        made = await _post(
            client, f"{base}/invites", person, {"email": f"d{n}@example.com", "role": "full"}
        )
        assert made.status_code == 201, made.text
    over = await _post(
        client, f"{base}/invites", person, {"email": "late@example.com", "role": "full"}
    )
    assert (over.status_code, over.json()["code"]) == (409, "too_many_keys")
    assert f"at most {MAX_KEYS_PER_CAR}" in over.json()["detail"]
    first = (await client.get(base, headers=person.headers)).json()["invites"][0]["id"]
    cancelled = await client.delete(f"{base}/invites/{first}", headers=person.headers)
    assert cancelled.json()["state"] == "cancelled"
    again = await _post(
        client, f"{base}/invites", person, {"email": "late@example.com", "role": "full"}
    )
    assert again.status_code == 201
    runtime.clock.advance(timedelta(days=8))  # the other invitations expired unused
    person.headers = await bearer_for(runtime, person.account)
    for n in range(MAX_KEYS_PER_CAR - 1):
        made = await _post(
            client, f"{base}/invites", person, {"email": f"e{n}@example.com", "role": "full"}
        )
        assert made.status_code == 201, made.text


async def test_a_share_code_locks_the_invitation_after_five_wrong_tries(
    runtime: Runtime, client: httpx.AsyncClient, subscribed: Subscribed
) -> None:
    person, vin = await _car(runtime, client, subscribed)
    invitee = await owner(runtime)
    made = await _post(
        client,
        f"/api/v1/vehicles/{vin}/keys/invites",
        person,
        {"email": invitee.account.email, "role": "full"},
    )
    url = f"/api/v1/keys/invites/{made.json()['id']}/accept"
    body = {"public_key": SimulatedPhone().public_key, "share_code": "ZZZZZZZZ"}
    codes = [(await _post(client, url, invitee, body)).json()["code"] for _ in range(6)]
    assert codes == ["key_wrong_share_code"] * 5 + ["key_invite_closed"]
    right = await _post(client, url, invitee, {**body, "share_code": made.json()["share_code"]})
    assert right.json()["code"] == "key_invite_closed"


@pytest.mark.usefixtures("subscribed")
async def test_without_a_broker_the_revocation_is_pending_and_left_to_its_job(
    runtime: Runtime, client: httpx.AsyncClient, subscribed: Subscribed
) -> None:
    person, vin = await _car(runtime, client, subscribed)
    made = await _post(
        client,
        f"/api/v1/vehicles/{vin}/keys/owner",
        person,
        {"public_key": SimulatedPhone().public_key},
    )
    revoked = await client.post(
        f"/api/v1/vehicles/{vin}/keys/{made.json()['id']}/revoke", headers=person.headers
    )
    assert (revoked.json()["state"], revoked.json()["revocation"]) == ("revoked", "pending")
    async with runtime.db.transaction() as session:
        names = list(
            await session.scalars(select(Job.name).where(Job.name == "keys.send_revocation"))
        )
    assert names == ["keys.send_revocation"]
    twice = await client.post(
        f"/api/v1/vehicles/{vin}/keys/{made.json()['id']}/revoke", headers=person.headers
    )
    assert twice.json()["revocation"] == "pending"
