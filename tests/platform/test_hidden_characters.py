"""Text another person reads (names, nicknames, notes, reasons, addresses, schedule names) refuses
invisible and reordering characters: bidi overrides (U+202E), zero-width characters (U+200B),
isolates (U+2066), the soft hyphen; a 422 naming the field, through the API and the web forms."""

from __future__ import annotations

import uuid

import httpx
import pytest

from linkplus.accounts import service as accounts
from linkplus.accounts.errors import InvalidStaffInput
from linkplus.models.accounts import StaffRole
from linkplus.runtime import Runtime
from tests.accounts.support import registration
from tests.garage.support import add_car, make_car, owner_with_car
from tests.remote.support import remote_car
from tests.support import bearer_for, make_owner, make_staff
from tests.web.support import post_form

TRICKS = ["\u202e", "\u200b", "\u2066", "\u00ad", "\ufeff"]


def _refused(answer: httpx.Response, field: str) -> None:
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "invalid_input"
    found = {e["field"]: e for e in problem["errors"]}
    assert field in found, found
    assert found[field]["type"] == "hidden_characters"
    assert "U+" in found[field]["message"]


@pytest.mark.parametrize("hidden", TRICKS)
async def test_a_name_with_a_hidden_character_is_refused_at_registration(
    client: httpx.AsyncClient, hidden: str
) -> None:
    answer = await client.post(
        "/api/v1/accounts",
        json=registration(f"{uuid.uuid4().hex}@example.com", first_name=f"Ali{hidden}ce"),
    )

    _refused(answer, "body.first_name")


async def test_names_in_any_script_are_still_welcome(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/api/v1/accounts",
        json=registration("zoe@example.com", first_name="Zoë-Ñúñez", last_name="李 O'Brien"),
    )

    assert answer.status_code == 202, answer.text


async def test_the_profile_refuses_a_hidden_character_in_a_name(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    headers = await bearer_for(runtime, await make_owner(runtime))

    answer = await client.patch("/api/v1/me", json={"last_name": "Driver\u200b"}, headers=headers)

    _refused(answer, "body.last_name")


async def test_a_car_nickname_with_a_bidi_isolate_is_refused(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime)
    headers = await bearer_for(runtime, await make_owner(runtime))

    answer = await add_car(client, headers, car, nickname="\u2066Family car")

    _refused(answer, "body.nickname")


async def test_staff_notes_and_reasons_refuse_hidden_characters(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime)
    owner = await make_owner(runtime)
    await owner_with_car(runtime, client, owner, car)
    dealer = await bearer_for(runtime, await make_staff(runtime, role=StaffRole.dealer))
    base = f"/api/v1/staff/vehicles/{car.vin}"

    notes = await client.post(
        f"{base}/identity-checks",
        json={"account_id": str(owner.id), "document": "passport", "notes": "ok\u202e"},
        headers=dealer,
    )
    reason = await client.request(
        "DELETE",
        f"{base}/accounts/{owner.id}",
        json={"reason": "sold\u00ad the car"},
        headers=dealer,
    )
    agent = await bearer_for(runtime, await make_staff(runtime, role=StaffRole.agent))
    cancel = await client.post(
        f"/api/v1/staff/subscriptions/{uuid.uuid4()}/cancel",
        json={"reason": "asked by\u200b phone"},
        headers=agent,
    )

    _refused(notes, "body.notes")
    _refused(reason, "body.reason")
    _refused(cancel, "body.reason")


async def test_a_schedule_name_with_a_zero_width_joiner_is_refused(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await remote_car(runtime, client, model_code="NX450HP")

    answer = await client.post(
        f"{car.base}/climate-schedules",
        json={"name": "Wo\u200drk", "kind": "weekly", "weekdays": ["mon"], "at": "07:30"},
        headers=await car.headers(),
    )

    _refused(answer, "body.name")


async def test_a_billing_address_with_a_hidden_character_is_refused(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    headers = await bearer_for(runtime, await make_owner(runtime))
    address = {
        "name": "Alex\u202e Driver",
        "street": "Hauptstraße 1",
        "postcode": "10115",
        "city": "Berlin",
        "country": "DE",
    }

    answer = await client.post(
        "/api/v1/wallet/cards",
        json={"token": "tok_any", "billing_address": address},
        headers=headers,
    )

    _refused(answer, "body.billing_address.name")


async def test_a_staff_name_with_a_hidden_character_is_refused(runtime: Runtime) -> None:
    with pytest.raises(InvalidStaffInput, match="U\\+202E"):
        async with runtime.db.transaction() as session:
            await accounts.create_staff(
                session,
                runtime,
                email="dealer@example.com",
                name="Dana \u202eDealer",
                role=StaffRole.dealer,
                password="a long enough staff password",
            )


async def test_the_sign_up_form_refuses_a_hidden_character_in_a_name(
    client: httpx.AsyncClient,
) -> None:
    fields = {
        "first_name": "Robin\u202e",
        "last_name": "Roads",
        "email": "robin@example.com",
        "password": "the road goes ever on",
        "country": "FR",
        "language": "fr",
        "phone": "",
    }

    answer = await post_form(client, "/signup", "/signup", fields)

    assert answer.status_code == 422
    assert "U+202E" in answer.text
