"""Remote control in headless Chromium, on a phone-sized screen, against the real server with its
worker, its embedded MQTT broker and gateway, and a simulated car connected to that broker: the
owner locks the car from its page and watches the command complete, then switches the hazard
lights on and sees their countdown. Real time throughout; the car answers at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import expect

from linkplus.runtime import Runtime
from tests.support import DEFAULT_PASSWORD
from tests.web.support import (
    PHONE,
    LiveServer,
    async_playwright_browser,
    owner_with_remote_car,
    require_chromium,
    submit,
)

WAIT_MS = 15_000  # a bound for what crosses the broker and the worker; reached only on failure


@pytest.mark.browser
async def test_an_owner_locks_the_car_and_flashes_the_hazard_lights(
    live_server: LiveServer, registry: Runtime, tmp_path: Path
) -> None:
    require_chromium()
    base = live_server.url
    email = "remote.owner@example.com"
    vin, unit = await owner_with_remote_car(
        live_server, registry, email, model_code="NX450HP", market="BE"
    )
    stop = asyncio.Event()
    car = asyncio.create_task(unit.run(stop))
    try:
        async with async_playwright_browser() as browser:
            context = await browser.new_context(viewport=PHONE)
            page = await context.new_page()
            await page.goto(f"{base}/signin")
            await page.get_by_label("E-mail address").fill(email)
            await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
            await submit(page, "Sign in")
            await page.goto(f"{base}/vehicle/{vin}")
            controls = page.get_by_role("region", name="Remote control")
            await expect(controls.get_by_role("button", name="Lock", exact=True)).to_be_visible()
            car_shot = tmp_path / "car-page.png"
            await page.screenshot(path=str(car_shot), full_page=True)

            async with page.expect_navigation():
                await controls.get_by_role("button", name="Lock", exact=True).click()
            progress = page.get_by_role("status").locator(".remote-progress")
            await expect(progress).to_have_text("Lock: Completed", timeout=WAIT_MS)
            assert unit.car.state.is_locked
            await expect(page.locator(".remote-steps li.done")).to_have_count(4)

            await submit(page, "Hazard lights")
            countdown = page.locator('[data-countdown="hazard"]')
            await expect(countdown).to_be_visible(timeout=WAIT_MS)
            await expect(countdown).to_contain_text(" left")
            await expect(progress).to_have_text("Hazard lights: Completed")
            first = await countdown.get_attribute("data-seconds")
            assert first is not None
            assert 50 <= int(first) <= 60
            await expect(countdown).not_to_have_attribute("data-seconds", first, timeout=WAIT_MS)
            assert unit.car.state.hazard_on
            hazard_shot = tmp_path / "remote-hazard.png"
            await page.screenshot(path=str(hazard_shot))
    finally:
        stop.set()
        await asyncio.wait_for(car, 10)
    for shot in (car_shot, hazard_shot):
        assert shot.read_bytes().startswith(b"\x89PNG")
