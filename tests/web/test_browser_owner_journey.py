"""A new owner's whole first day in the app, in headless Chromium at phone size, against the real
server with its worker, embedded broker and gateway, and a simulated car on the broker: sign up,
confirm the e-mail from the dev mailbox, sign in, add the car by VIN and odometer reading,
activate its services, read the dashboard, find the car on the Map, lock it from the car page
and watch the command complete. Every step through the pages, as a person would."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import expect

from linkplus.runtime import Runtime
from tests.garage.support import make_car
from tests.web.support import (
    PHONE,
    LiveServer,
    async_playwright_browser,
    provision,
    remote_unit,
    require_chromium,
    submit,
)

WAIT_MS = 15_000  # a bound for what crosses the broker and the worker; reached only on failure
PASSWORD = "first day with the new car"


@pytest.mark.browser
async def test_a_new_owner_goes_from_sign_up_to_a_completed_lock(
    live_server: LiveServer, registry: Runtime
) -> None:
    require_chromium()
    base = live_server.url
    email = "first.day@example.com"
    car = await make_car(registry, model_code="NX450HP", market="BE", odometer_km=8_410)
    secret = await provision(registry, car.vin)
    # The car reports the mileage the registry knows, so the owner's reading matches it.
    unit = remote_unit(live_server, car.vin, secret, "NX450HP", seed=9, odometer_km=8_410.0)
    simulated = unit.car
    stop = asyncio.Event()
    running = asyncio.create_task(unit.run(stop))
    try:
        async with async_playwright_browser() as browser:
            page = await (await browser.new_context(viewport=PHONE)).new_page()

            # Sign up and confirm the address from the dev mailbox.
            await page.goto(f"{base}/")
            await page.get_by_role("link", name="New here? Create an account").click()
            await page.get_by_label("First name").fill("Sam")
            await page.get_by_label("Last name").fill("Newcar")
            await page.get_by_label("E-mail address").fill(email)
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_label("Country").select_option("BE")
            await page.get_by_label("Language").select_option("en")
            await submit(page, "Create account")
            await page.get_by_role("link", name="Open the dev mailbox").click()
            await page.get_by_role("link", name="Confirm your e-mail address for linkplus").click()
            await page.locator('.mail-body a[href*="/activate?token="]').click()
            await submit(page, "Confirm my e-mail address")
            await expect(page.get_by_role("status")).to_contain_text("e-mail address is confirmed")

            # Sign in; the garage is empty.
            await page.get_by_label("E-mail address").fill(email)
            await page.get_by_label("Password").fill(PASSWORD)
            await submit(page, "Sign in")
            await expect(page).to_have_url(f"{base}/vehicle")

            # Add the car.
            await page.get_by_role("link", name="Add a car").click()
            await page.get_by_label("VIN or registration plate").fill(car.vin)
            await page.get_by_label("Odometer reading (km)").fill("8 420")
            await submit(page, "Add the car")
            await expect(page.get_by_role("status")).to_contain_text("The car is in your garage")

            # Activate its connected services.
            await page.goto(f"{base}/vehicle/{car.vin}/services")
            await page.locator('input[name="accept_terms_of_use"]').check()
            await page.locator('input[name="accept_privacy_notice"]').check()
            await submit(page, "Activate")
            await expect(page.get_by_role("status")).to_contain_text(
                "Connected services are activated"
            )

            # The car comes home and parks: ignition on, off, and its status with the spot.
            moment = datetime.now(UTC)
            unit.switch_ignition(True, moment)
            unit.switch_ignition(False, moment + timedelta(seconds=1))
            simulated.state.position_at = moment + timedelta(seconds=1)  # its fix as it parked
            unit.send_status(moment + timedelta(seconds=2))

            # The dashboard, then the Map, which knows where the car is.
            await page.goto(f"{base}/vehicle/{car.vin}")
            await expect(page.get_by_role("heading", level=1)).to_be_visible()
            sections = page.get_by_role("navigation", name="Sections")
            await sections.get_by_role("link", name="Map").click()
            await expect(page).to_have_url(re.compile(rf"{base}/map"))
            await expect(page.locator(".leaflet-marker-icon").first).to_be_visible(timeout=WAIT_MS)

            # Lock from the car page, and see it done.
            await page.goto(f"{base}/vehicle/{car.vin}")
            await page.get_by_role("button", name="Lock", exact=True).click()
            progress = page.get_by_role("status").locator(".remote-progress")
            await expect(progress).to_have_text("Lock: Completed", timeout=WAIT_MS)
        assert simulated.state.is_locked
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
