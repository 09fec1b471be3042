"""My Garage, the Connected Services Centre, privacy mode, the privacy portal and the preferred
dealer, through HTTP as a browser uses them: open the page, send its form back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from linkplus.app import create_app
from linkplus.jobs.worker import Worker
from linkplus.notifications import service as notifications
from linkplus.runtime import Runtime
from tests.garage.support import make_car
from tests.support import DEFAULT_PASSWORD
from tests.web.support import (
    add_by_reading,
    csrf_in,
    owner_with_car,
    post_form,
    sign_in,
    signed_in_owner,
    text_of,
)

ACCEPT_DE = {"accept_terms_of_use": "2.0", "accept_privacy_notice": "1.0"}  # current for DE/de


@pytest.fixture
async def other_client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser (its own cookies) on the same platform."""
    app = create_app(runtime, run_worker=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


# --- the garage and adding a car -------------------------------------------------------------


async def test_adding_a_car_by_vin_and_reading_shows_it_as_primary_with_the_welcome_prompt(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime, odometer_km=12_345, plate="M-AB 123")
    owner = await signed_in_owner(runtime, client)
    empty = await client.get("/vehicle")
    assert "No cars in your garage yet" in empty.text
    assert "Welcome" not in empty.text

    added = await add_by_reading(client, car.vin.lower(), "12 360")
    assert added.status_code == 303
    assert added.headers["location"] == f"/vehicle/{car.vin}?done=vehicle_added"
    page = await client.get(added.headers["location"])
    assert "The car is in your garage." in page.text
    assert "Primary account" in page.text
    assert car.vin in page.text
    assert "M-AB 123" in page.text
    assert "12,345 km" in page.text

    garage = await client.get("/vehicle")
    assert "Lexus NX 450h+" in garage.text
    assert "badge-primary" in garage.text
    assert "Activate connected services" in garage.text
    assert f'href="/vehicle/{car.vin}/services"' in garage.text

    # After the next sign-in the garage greets the owner with the welcome banner.
    await client.post("/signout", data={"csrf_token": csrf_in(garage.text)})
    again = await sign_in(client, owner.email, DEFAULT_PASSWORD)
    assert again.headers["location"] == "/vehicle"
    welcome = await client.get("/vehicle")
    assert "Welcome! Activate your connected services" in welcome.text
    assert "Activate for the Lexus NX 450h+" in welcome.text
    assert (await client.get("/garage")).headers["location"] == "/vehicle"


async def test_the_add_form_explains_each_refusal(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    unreported = await make_car(runtime, odometer_km=None)
    await signed_in_owner(runtime, client)

    bad_vin = await add_by_reading(client, "JTHOA3BH000000001", 100)
    assert bad_vin.status_code == 422
    assert "VINs never contain I, O or Q" in bad_vin.text
    assert 'aria-invalid="true" aria-describedby="e-identifier"' in bad_vin.text

    missing = await add_by_reading(client, "", "")
    assert missing.status_code == 422
    assert "Enter the car&#39;s VIN or registration plate." in missing.text
    assert "Enter the odometer reading" in missing.text

    words = await add_by_reading(client, unreported.vin, "about 1000")
    assert words.status_code == 422
    assert "digits only" in words.text

    unknown = await add_by_reading(client, "JTHZZ3BH000000001", 100)
    assert unknown.status_code == 404
    assert "We found no car with this VIN" in unknown.text
    assert "JTHZZ3BH000000001" in unknown.text  # the form keeps what was typed

    no_reading = await add_by_reading(client, unreported.vin, 100)
    assert no_reading.status_code == 422
    assert "scan the QR code it shows" in no_reading.text


async def test_wrong_readings_count_down_then_block_and_point_to_a_dealer(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime, odometer_km=40_000)
    await signed_in_owner(runtime, client)
    first = await add_by_reading(client, car.vin, 100)
    assert first.status_code == 422
    assert "You have 2 more tries" in first.text
    second = await add_by_reading(client, car.vin, 200)
    assert "You have 1 more try" in second.text
    third = await add_by_reading(client, car.vin, 300)
    assert third.status_code == 409
    assert "Visit a dealer" in third.text
    assert 'href="/account/dealer"' in third.text
    # Blocked means blocked: even the right reading is refused now.
    right = await add_by_reading(client, car.vin, 40_000)
    assert right.status_code == 409
    assert "No cars in your garage yet" in (await client.get("/vehicle")).text


async def test_a_car_is_added_by_its_plate_or_by_the_qr_code(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    by_plate = await make_car(runtime, plate="HH-LX 77", odometer_km=5_000)
    by_code = await make_car(runtime, model_code="RZ450E", odometer_km=None)
    await signed_in_owner(runtime, client)
    plate = await add_by_reading(client, "hh lx77", 5_010)
    assert plate.headers["location"] == f"/vehicle/{by_plate.vin}?done=vehicle_added"

    code = by_code.pairing_code(runtime)
    scanned = await post_form(
        client,
        "/vehicle/add",
        "/vehicle/add",
        {"pairing_code": f"\n{code[:40]}\n{code[40:]}\n", "nickname": "Weekend car"},
    )
    assert scanned.headers["location"] == f"/vehicle/{by_code.vin}?done=vehicle_added"
    garage = await client.get("/vehicle")
    assert "Weekend car (Lexus RZ 450e)" in garage.text

    reused = await post_form(client, "/vehicle/add", "/vehicle/add", {"pairing_code": code})
    assert reused.status_code == 422
    assert "already been used" in reused.text


# --- another account, secondary accounts -----------------------------------------------------


async def test_a_car_another_account_has_is_the_same_404_as_an_unknown_vin(
    runtime: Runtime, client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime)
    await owner_with_car(runtime, client, car)
    await signed_in_owner(runtime, other_client)
    for suffix in ("", "/services", "/privacy-mode", "/sell", "/remove"):
        theirs = await other_client.get(f"/vehicle/{car.vin}{suffix}")
        unknown = await other_client.get(f"/vehicle/JTHZZ3BH000000001{suffix}")
        malformed = await other_client.get(f"/vehicle/not-a-vin{suffix}")
        assert theirs.status_code == unknown.status_code == malformed.status_code == 404
        # The same error page, word for word (web.errors_pages); nothing tells them apart.
        assert text_of(theirs.text) == text_of(unknown.text) == text_of(malformed.text)
        assert 'data-error-status="404"' in theirs.text
    token = csrf_in((await other_client.get("/vehicle")).text)
    for action in ("remove", "primary", "services/activate", "privacy-mode"):
        posted = await other_client.post(
            f"/vehicle/{car.vin}/{action}",
            data={"csrf_token": token, "confirm": "remove", "odometer_km": "12345"},
        )
        assert posted.status_code == 404, action


async def test_a_secondary_account_sees_name_and_model_only_and_can_become_the_active_one(
    runtime: Runtime,
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
) -> None:
    car = await make_car(runtime, odometer_km=30_000, plate="B-LX 300")
    first = await owner_with_car(runtime, client, car)
    await owner_with_car(runtime, other_client, car)

    page = await other_client.get(f"/vehicle/{car.vin}")
    assert "Secondary account" in page.text
    assert "Lexus NX 450h+" in page.text
    assert "B-LX 300" not in page.text
    assert "30,000" not in page.text
    assert "Make this account the active one" in page.text
    assert f'href="/vehicle/{car.vin}/services"' not in page.text
    centre = await other_client.get(f"/vehicle/{car.vin}/services")
    assert "Another account is this car's primary account" in centre.text
    assert 'name="back" value="services"' in centre.text
    assert "Vehicle status" not in centre.text
    privacy = await other_client.get(f"/vehicle/{car.vin}/privacy-mode")
    assert privacy.headers["location"] == f"/vehicle/{car.vin}?done=not_primary"

    wrong = await post_form(
        other_client,
        f"/vehicle/{car.vin}",
        f"/vehicle/{car.vin}/primary",
        {"odometer_km": "1", "pairing_code": "", "back": "services"},
    )
    assert wrong.status_code == 422
    assert "You have 2 more tries" in wrong.text
    empty = await post_form(
        other_client, f"/vehicle/{car.vin}", f"/vehicle/{car.vin}/primary", {"odometer_km": ""}
    )
    assert empty.status_code == 422
    assert "Enter the odometer reading, or paste the QR code text." in empty.text

    claimed = await post_form(
        other_client,
        f"/vehicle/{car.vin}/services",
        f"/vehicle/{car.vin}/primary",
        {"odometer_km": "30 010", "pairing_code": "", "back": "services"},
    )
    assert claimed.headers["location"] == f"/vehicle/{car.vin}/services?done=primary_claimed"
    assert "Vehicle status" in (await other_client.get(claimed.headers["location"])).text

    # The first account is told at once and sees the car as secondary from now on.
    assert "Secondary account" in (await client.get(f"/vehicle/{car.vin}")).text
    async with runtime.db.transaction() as session:
        inbox = await notifications.inbox(session, account_id=first.id)
    assert any("new primary account" in entry.title for entry in inbox)


# --- removing and selling --------------------------------------------------------------------


async def test_removing_a_car_asks_first_and_says_what_stops(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime)
    await owner_with_car(runtime, client, car)
    confirm = await client.get(f"/vehicle/{car.vin}/remove")
    words = text_of(confirm.text)
    assert "This cannot be undone." in words
    assert "its connected services stop for your account" in words
    assert "your account stops being its primary account" in words

    unconfirmed = await post_form(
        client, f"/vehicle/{car.vin}/remove", f"/vehicle/{car.vin}/remove", {}
    )
    assert unconfirmed.status_code == 422
    assert "Nothing was removed" in unconfirmed.text
    assert (await client.get(f"/vehicle/{car.vin}")).status_code == 200

    removed = await post_form(
        client, f"/vehicle/{car.vin}/remove", f"/vehicle/{car.vin}/remove", {"confirm": "remove"}
    )
    assert removed.headers["location"] == "/vehicle?done=vehicle_removed"
    garage = await client.get(removed.headers["location"])
    assert "The car is removed from your account." in garage.text
    assert "No cars in your garage yet" in garage.text
    assert (await client.get(f"/vehicle/{car.vin}")).status_code == 404


async def test_the_sell_checklist_ticks_the_owners_steps(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime)
    await owner_with_car(runtime, client, car)
    page = await client.get(f"/vehicle/{car.vin}/sell")
    assert "Prepare to sell" in page.text
    assert "/api/v1" not in page.text
    assert page.text.count("Mark as done") == 2
    ticked = await post_form(
        client, f"/vehicle/{car.vin}/sell", f"/vehicle/{car.vin}/sell/tell_buyer", {}
    )
    assert ticked.status_code == 303, ticked.text[:3000]
    assert ticked.headers["location"] == f"/vehicle/{car.vin}/sell?done=step_ticked"
    after = await client.get(ticked.headers["location"])
    assert after.text.count("Mark as done") == 1
    assert "Done 21 Nov 2026" in after.text
    unknown = await post_form(
        client, f"/vehicle/{car.vin}/sell", f"/vehicle/{car.vin}/sell/keep_account", {}
    )
    assert unknown.status_code == 404


# --- Connected Services Centre and privacy mode ----------------------------------------------


async def test_activation_needs_the_documents_accepted_in_the_same_form(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime)
    await owner_with_car(runtime, client, car)
    centre_url = f"/vehicle/{car.vin}/services"
    centre = await client.get(centre_url)
    assert 'href="/account/privacy/terms_of_use"' in centre.text
    assert 'name="accept_terms_of_use" value="2.0"' in centre.text
    assert 'name="accept_privacy_notice" value="1.0"' in centre.text
    assert "Not available" in centre.text  # paid and market-restricted services are listed too

    refused = await post_form(
        client, centre_url, f"{centre_url}/activate", {"packages": "standard"}
    )
    assert refused.status_code == 409
    assert "Nothing was activated" in refused.text
    assert "Stop standard services" not in refused.text

    nothing = await post_form(client, centre_url, f"{centre_url}/activate", ACCEPT_DE)
    assert nothing.status_code == 422
    assert "Choose at least one package" in nothing.text

    activated = await post_form(
        client, centre_url, f"{centre_url}/activate", {"packages": "standard", **ACCEPT_DE}
    )
    assert activated.headers["location"] == f"{centre_url}?done=services_activated"
    after = await client.get(activated.headers["location"])
    assert "Connected services are activated." in after.text
    assert "state-active" in after.text
    assert "Stop standard services" in after.text
    assert 'name="accept_terms_of_use"' not in after.text  # accepted now
    assert "Activate connected services" not in (await client.get("/vehicle")).text

    stopped = await post_form(
        client, centre_url, f"{centre_url}/deactivate", {"package": "standard"}
    )
    assert stopped.headers["location"] == f"{centre_url}?done=services_deactivated"
    assert "Activate connected services" in (await client.get("/vehicle")).text


async def test_privacy_mode_switches_and_keeps_its_history(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime)
    await owner_with_car(runtime, client, car)
    url = f"/vehicle/{car.vin}/privacy-mode"
    page = await client.get(url)
    assert "Privacy mode is off" in page.text
    assert "No changes yet" in page.text
    on = await post_form(client, url, url, {"privacy_mode": "on"})
    assert on.headers["location"] == f"{url}?done=privacy_mode_on"
    page = await client.get(url)
    assert "Privacy mode is on" in page.text
    assert "privacy mode on" in page.text
    off = await post_form(client, url, url, {"privacy_mode": "off"})
    assert off.headers["location"] == f"{url}?done=privacy_mode_off"
    page = await client.get(url)
    assert "Privacy mode is off" in page.text
    assert page.text.count("(in the app)") == 2


# --- Data Privacy Portal and preferred dealer ------------------------------------------------


async def test_the_privacy_portal_accepts_and_withdrawing_the_terms_stops_services(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker
) -> None:
    car = await make_car(runtime)
    await owner_with_car(runtime, client, car)
    portal = await client.get("/account/privacy")
    assert "Terms of Use" in portal.text or "Nutzungsbedingungen" in portal.text
    assert "Not accepted" in portal.text

    document = await client.get("/account/privacy/terms_of_use")
    assert "Version 2.0" in document.text
    accepted = await post_form(
        client,
        "/account/privacy/terms_of_use",
        "/account/privacy/terms_of_use/accept",
        {"version": "2.0"},
    )
    assert accepted.headers["location"] == "/account/privacy/terms_of_use?done=document_accepted"
    assert "You accepted this version" in (await client.get(accepted.headers["location"])).text
    outdated = await post_form(
        client,
        "/account/privacy/privacy_notice",
        "/account/privacy/privacy_notice/accept",
        {"version": "0.1"},
    )
    assert outdated.status_code == 409
    assert "is not the current one" in outdated.text
    await post_form(
        client,
        "/account/privacy/privacy_notice",
        "/account/privacy/privacy_notice/accept",
        {"version": "1.0"},
    )
    centre_url = f"/vehicle/{car.vin}/services"
    activated = await post_form(
        client, centre_url, f"{centre_url}/activate", {"packages": "standard"}
    )
    assert activated.status_code == 303  # already accepted in the portal

    confirm = await client.get("/account/privacy/terms_of_use/withdraw")
    assert "stops the connected services of every car in your account" in text_of(confirm.text)
    withdrawn = await post_form(
        client,
        "/account/privacy/terms_of_use/withdraw",
        "/account/privacy/terms_of_use/withdraw",
        {"confirm": "withdraw"},
    )
    assert withdrawn.headers["location"] == "/account/privacy?done=consent_withdrawn"
    portal = await client.get(withdrawn.headers["location"])
    assert "withdrawn" in portal.text
    await worker.run_due()
    centre = await client.get(centre_url)
    assert "Stop standard services" not in centre.text
    assert 'name="accept_terms_of_use" value="2.0"' in centre.text
    assert (await client.get("/account/privacy/cookies")).status_code == 404


async def test_the_preferred_dealer_is_found_by_name_or_position_and_chosen(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    await signed_in_owner(runtime, client)
    page = await client.get("/account/dealer")
    assert "You have not chosen a dealer yet" in page.text
    by_name = await client.get("/account/dealer", params={"name": "münchen"})
    assert "Isarblick Automobile" in by_name.text
    near = await client.get("/account/dealer", params={"lat": "52.5", "lon": "13.4"})
    assert near.text.index("Spreebogen Premium Cars") < near.text.index("Alsterwerk Autohaus")
    assert "km away" in near.text
    half = await client.get("/account/dealer", params={"lat": "52.5"})
    assert half.status_code == 422
    assert "Give both latitude and longitude" in half.text

    chosen = await post_form(
        client, "/account/dealer?name=Berlin", "/account/dealer", {"dealer_id": "de-ber-1"}
    )
    assert chosen.headers["location"] == "/account/dealer?done=dealer_chosen"
    page = await client.get(chosen.headers["location"])
    assert "Your preferred dealer is saved." in page.text
    assert "Spreebogen Premium Cars" in page.text
    gone = await post_form(client, "/account/dealer", "/account/dealer", {"dealer_id": "nope"})
    assert gone.status_code == 404
    assert "not in the directory" in gone.text


# --- every new form needs its token ----------------------------------------------------------


async def test_the_new_forms_refuse_posts_without_a_valid_token(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime)
    await owner_with_car(runtime, client, car)
    other = await make_car(runtime)
    actions = [
        ("/vehicle/add", {"identifier": other.vin, "odometer_km": str(other.odometer_km)}),
        (f"/vehicle/{car.vin}/primary", {"odometer_km": str(car.odometer_km)}),
        (f"/vehicle/{car.vin}/remove", {"confirm": "remove"}),
        (f"/vehicle/{car.vin}/sell/tell_buyer", {}),
        (f"/vehicle/{car.vin}/services/activate", {"packages": "standard", **ACCEPT_DE}),
        (f"/vehicle/{car.vin}/services/deactivate", {"package": "standard"}),
        (f"/vehicle/{car.vin}/privacy-mode", {"privacy_mode": "on"}),
        ("/account/privacy/terms_of_use/accept", {"version": "2.0"}),
        ("/account/privacy/terms_of_use/withdraw", {"confirm": "withdraw"}),
        ("/account/dealer", {"dealer_id": "de-ber-1"}),
    ]
    for action, fields in actions:
        for token in (None, "forged.token"):
            data = fields if token is None else {**fields, "csrf_token": token}
            refused = await client.post(action, data=data)
            assert refused.status_code == 403, action
            assert "This form has expired" in refused.text
    garage = await client.get("/vehicle")
    assert garage.text.count("badge-primary") == 1
    assert "Activate connected services" in garage.text
    assert "Privacy mode is off" in (await client.get(f"/vehicle/{car.vin}/privacy-mode")).text
    assert "Not accepted" in (await client.get("/account/privacy")).text
    assert "You have not chosen a dealer yet" in (await client.get("/account/dealer")).text
