"""The dealer console's car pages through HTTP: hidden from owners, the identity check and unblock
flow, and removing a car from an account on the owner's request."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from linkplus.app import create_app
from linkplus.audit import service as audit
from linkplus.models.accounts import StaffAccount, StaffRole
from linkplus.runtime import Runtime
from tests.garage.support import make_car
from tests.support import DEFAULT_PASSWORD, make_owner, make_staff
from tests.web.support import add_by_reading, csrf_in, post_form, sign_in


@pytest.fixture
async def console(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The dealer's browser: its own cookies."""
    app = create_app(runtime, run_worker=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def staff_signed_in(
    runtime: Runtime, browser: httpx.AsyncClient, role: StaffRole = StaffRole.dealer
) -> StaffAccount:
    staff = await make_staff(runtime, role=role)
    answer = await post_form(
        browser,
        "/console/signin",
        "/console/signin",
        {"email": staff.email, "password": DEFAULT_PASSWORD},
    )
    assert answer.headers["location"] == "/console"
    return staff


async def test_owners_and_strangers_get_404_on_every_console_car_page(
    runtime: Runtime, client: httpx.AsyncClient, console: httpx.AsyncClient
) -> None:
    car = await make_car(runtime)
    owner = await make_owner(runtime)
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    assert (await add_by_reading(client, car.vin, car.odometer_km or 0)).status_code == 303
    token = csrf_in((await client.get("/vehicle")).text)
    base = f"/console/vehicles/{car.vin}"
    pages = ["/console/vehicles", f"/console/vehicles?vin={car.vin}", base]
    forms = [
        (f"{base}/identity-checks", {"account_id": str(owner.id), "document": "passport"}),
        (f"{base}/ownership-checks/{owner.id}/unblock", {}),
        (f"{base}/accounts/{owner.id}/remove", {"reason": "sold the car"}),
    ]
    for browser in (client, console):  # an owner's session, and nobody signed in
        for page in pages:
            hidden = await browser.get(page)
            assert hidden.status_code == 404, page
            # The page an address nobody serves gets (``web.errors_pages``): nothing told apart.
            assert 'data-error-status="404"' in hidden.text
            assert "There is nothing at this address." in hidden.text
        for action, fields in forms:
            hidden = await browser.post(action, data={**fields, "csrf_token": token})
            assert hidden.status_code == 404, action
    assert car.vin in (await client.get("/vehicle")).text  # nothing was removed

    await staff_signed_in(runtime, console, role=StaffRole.emergency_agent)
    assert (await console.get(base)).status_code == 403


async def test_a_dealer_records_an_identity_check_and_unblocks_the_owner(
    runtime: Runtime, client: httpx.AsyncClient, console: httpx.AsyncClient
) -> None:
    car = await make_car(runtime, odometer_km=22_000, plate="S-LX 22")
    owner = await make_owner(runtime, email="blocked.owner@example.com")
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    for reading in (1, 2, 3):
        await add_by_reading(client, car.vin, reading)
    assert (await add_by_reading(client, car.vin, 22_000)).status_code == 409

    dealer = await staff_signed_in(runtime, console)
    search = await console.get("/console/vehicles")
    assert "Find a car" in search.text
    found = await console.get("/console/vehicles", params={"vin": f" {car.vin.lower()} "})
    assert found.headers["location"] == f"/console/vehicles/{car.vin}"
    page = await console.get(found.headers["location"])
    assert page.status_code == 200
    assert "blocked.owner@example.com" in page.text
    assert "Blocked" in page.text
    assert "Not in garage" in page.text
    assert "S-LX 22" in page.text
    async with runtime.db.transaction() as session:
        entries = await audit.entries_for(session, subject_type="vehicle", subject_id=car.vin)
    assert any(e.action == "staff.vehicle_viewed" and e.actor_id == str(dealer.id) for e in entries)

    base = f"/console/vehicles/{car.vin}"
    early = await post_form(console, base, f"{base}/ownership-checks/{owner.id}/unblock", {})
    assert early.status_code == 409
    assert "Record an in-person identity check" in early.text

    no_document = await post_form(
        console, base, f"{base}/identity-checks", {"account_id": str(owner.id), "document": ""}
    )
    assert no_document.status_code == 422
    assert "Nothing was recorded" in no_document.text

    checked = await post_form(
        console,
        base,
        f"{base}/identity-checks",
        {"account_id": str(owner.id), "document": "id_card", "notes": "Seen at the desk"},
    )
    assert checked.headers["location"] == f"{base}?done=identity_recorded"
    assert (
        "The identity check is recorded." in (await console.get(checked.headers["location"])).text
    )
    unblocked = await post_form(console, base, f"{base}/ownership-checks/{owner.id}/unblock", {})
    assert unblocked.headers["location"] == f"{base}?done=check_unblocked"
    after = await console.get(unblocked.headers["location"])
    assert "0 wrong readings, 3 left" in after.text

    # The owner can add the car again with the right reading.
    added = await add_by_reading(client, car.vin, 22_010)
    assert added.headers["location"] == f"/vehicle/{car.vin}?done=vehicle_added"


async def test_a_dealer_removes_a_car_from_an_account_with_a_reason(
    runtime: Runtime, client: httpx.AsyncClient, console: httpx.AsyncClient
) -> None:
    car = await make_car(runtime)
    owner = await make_owner(runtime, email="seller@example.com")
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    await add_by_reading(client, car.vin, car.odometer_km or 0)
    await staff_signed_in(runtime, console)
    base = f"/console/vehicles/{car.vin}"
    page = await console.get(base)
    assert "seller@example.com" in page.text
    assert "Primary" in page.text

    no_reason = await post_form(console, base, f"{base}/accounts/{owner.id}/remove", {})
    assert no_reason.status_code == 422
    assert "Nothing was removed" in no_reason.text
    assert car.vin in (await client.get("/vehicle")).text

    removed = await post_form(
        console, base, f"{base}/accounts/{owner.id}/remove", {"reason": "Owner sold the car"}
    )
    assert removed.headers["location"] == f"{base}?done=removed_from_account"
    assert "No cars in your garage yet" in (await client.get("/vehicle")).text
    unknown = await console.get("/console/vehicles/JTHOOOOOOOOOOOOOO")
    assert unknown.status_code == 422
    assert "VINs never contain I, O or Q" in unknown.text


async def test_accounts_guessing_in_turn_block_the_car_until_a_dealer_unblocks_it(
    runtime: Runtime, client: httpx.AsyncClient, console: httpx.AsyncClient
) -> None:
    car = await make_car(runtime, odometer_km=61_000)
    primary = await make_owner(runtime, email="car.owner@example.com")
    await sign_in(client, primary.email, DEFAULT_PASSWORD)
    assert (await add_by_reading(client, car.vin, 61_000)).status_code == 303

    answers = []
    for readings in ((1, 2), (3, 4), (5,)):  # three new accounts, each in its own browser
        guesser = await make_owner(runtime)
        app = create_app(runtime, run_worker=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
            await sign_in(browser, guesser.email, DEFAULT_PASSWORD)
            for reading in readings:
                answers.append(await add_by_reading(browser, car.vin, reading))
            if readings == (5,):
                right = await add_by_reading(browser, car.vin, 61_000)
    assert [a.status_code for a in answers] == [422, 422, 422, 422, 409]
    assert "Visit a dealer" in answers[-1].text
    assert 'href="/account/dealer"' in answers[-1].text
    assert right.status_code == 409  # blocked for everyone, the right reading included
    inbox = await client.get("/notifications")
    assert inbox.text.count("A wrong odometer reading was entered for your") == 5

    await staff_signed_in(runtime, console)
    base = f"/console/vehicles/{car.vin}"
    page = await console.get(base)
    assert "Blocked</strong> for every account" in page.text
    early = await post_form(console, base, f"{base}/ownership-block/unblock", {})
    assert early.status_code == 409
    assert "identity check of the car&#39;s owner" in early.text
    checked = await post_form(
        console,
        base,
        f"{base}/identity-checks",
        {"account_id": str(primary.id), "document": "passport"},
    )
    assert checked.headers["location"] == f"{base}?done=identity_recorded"
    unblocked = await post_form(console, base, f"{base}/ownership-block/unblock", {})
    assert unblocked.headers["location"] == f"{base}?done=car_unblocked"
    after = await console.get(unblocked.headers["location"])
    assert "The car is unblocked" in after.text
    assert "Not blocked: 0 wrong readings" in after.text
    async with runtime.db.transaction() as session:
        entries = await audit.entries_for(session, subject_type="vehicle", subject_id=car.vin)
    assert any(e.action == "staff.vehicle_ownership_unblocked" for e in entries)
