"""My Garage in headless Chromium against the real server with the worker running: an owner adds
a car by VIN and odometer reading, activates its connected services with the documents in the
same form, switches privacy mode and opens the Data Privacy Portal, on a phone-sized screen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright, expect

from linkplus.bootstrap import build_runtime
from linkplus.config import Settings
from linkplus.runtime import Runtime
from tests.factories import DEFAULT_PASSWORD, make_owner
from tests.garage.support import make_car
from tests.web.test_browser import (  # noqa: F401 - live_server is a fixture used below
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    LiveServer,
    live_server,
    require_chromium,
    submit,
)


@pytest.fixture
async def registry(database_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    """Direct access to the live server's database, to prepare the owner and the car."""
    runtime = build_runtime(
        Settings(
            data_dir=tmp_path,
            database_url=database_url,
            secret_key="browser-test-secret-key-long-enough-for-hs256",
            argon2_time_cost=1,
            argon2_memory_kib=8192,
            argon2_parallelism=1,
        )
    )
    yield runtime
    await runtime.db.dispose()


@pytest.mark.browser
async def test_an_owner_adds_a_car_activates_services_and_sets_privacy_mode(
    live_server: LiveServer,  # noqa: F811 - the fixture imported above
    registry: Runtime,
    tmp_path: Path,
) -> None:
    require_chromium()
    base = live_server.url
    owner = await make_owner(registry, email="garage.owner@example.com")
    car = await make_car(registry, model_code="NX450HP", odometer_km=15_230, plate="M-LX 450")
    async with async_playwright_browser() as browser:
        context = await browser.new_context(viewport=PHONE)
        page = await context.new_page()

        await page.goto(f"{base}/signin")
        await page.get_by_label("E-mail address").fill(owner.email)
        await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        await submit(page, "Sign in")
        await expect(page).to_have_url(f"{base}/vehicle")
        await expect(page.get_by_text("No cars in your garage yet")).to_be_visible()

        # Add the car by VIN and odometer reading.
        await page.get_by_role("link", name="Add a car").click()
        await page.get_by_label("VIN or registration plate").fill(car.vin)
        await page.get_by_label("Odometer reading (km)").fill("15 240")
        await submit(page, "Add the car")
        await expect(page.get_by_role("status")).to_contain_text("The car is in your garage")
        await expect(page.get_by_text("Primary account")).to_be_visible()

        # The garage lists it as primary with the prompt to activate its services.
        await page.get_by_role("link", name="← My Garage").click()
        cars = page.get_by_role("list", name="Your cars")
        await expect(cars).to_contain_text("Lexus NX 450h+")
        await expect(cars).to_contain_text("Primary")
        await expect(page.get_by_role("heading", name="Welcome!")).to_be_visible()
        garage_shot = tmp_path / "garage.png"
        await page.screenshot(path=str(garage_shot), full_page=True)

        # The Connected Services Centre: accept the documents and activate in one form.
        await cars.get_by_role("link", name="Activate connected services").click()
        await expect(page.get_by_role("heading", name="Connected Services Centre")).to_be_visible()
        await page.locator('input[name="accept_terms_of_use"]').check()
        await page.locator('input[name="accept_privacy_notice"]').check()
        await submit(page, "Activate")
        await expect(page.get_by_role("status")).to_contain_text("Connected services are activated")
        standard = page.locator("section.package", has_text="Standard services")
        await expect(standard.locator(".state-active").first).to_have_text("Active")
        await expect(page.get_by_role("button", name="Stop standard services")).to_be_visible()
        centre_shot = tmp_path / "services.png"
        await page.screenshot(path=str(centre_shot))  # what a phone shows first

        # Privacy mode on, with the change in its history.
        await page.get_by_role("link", name="Privacy mode").click()
        await expect(page.get_by_role("heading", name="Privacy mode is off")).to_be_visible()
        await submit(page, "Turn privacy mode on")
        await expect(page.get_by_role("heading", name="Privacy mode is on")).to_be_visible()
        await expect(page.get_by_text("privacy mode on (in the app)")).to_be_visible()

        # The Data Privacy Portal shows both documents accepted.
        await page.go_back()
        await page.go_back()
        await page.get_by_role("link", name="Data Privacy Portal").click()
        await expect(page.get_by_role("heading", name="Data Privacy Portal")).to_be_visible()
        await expect(page.locator(".badge-ok")).to_have_count(2)

    for shot in (garage_shot, centre_shot):
        assert shot.read_bytes().startswith(b"\x89PNG")


@asynccontextmanager
async def async_playwright_browser() -> AsyncIterator[Browser]:
    """The system's Chromium, started and stopped around the test."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
