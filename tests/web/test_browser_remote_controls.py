"""The German hybrid's remote controls in headless Chromium at phone size: the car page offers
lock, unlock and hazard lights, no climate, and says why (the law of the car's market; engine
start and advanced climate need the remote package); a Lock pressed there completes through the
real broker and a simulated car, and an address nobody serves is a page with a way back.

Screenshots go to /tmp unless LINKPLUS_SCREENSHOTS names a folder (docs/screenshots/ when the
documentation's pictures are made), so an ordinary run leaves the tree clean."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from playwright.async_api import expect

from linkplus.runtime import Runtime
from tests.support import DEFAULT_PASSWORD
from tests.web.support import (
    PHONE,
    LiveServer,
    async_playwright_browser,
    keep_copy,
    owner_with_remote_car,
    require_chromium,
    submit,
)

WAIT_MS = 15_000  # a bound for what crosses the broker and the worker; reached only on failure
SHOTS = Path(os.environ.get("LINKPLUS_SCREENSHOTS", "/tmp/linkplus-remote-screenshots"))


@pytest.mark.browser
async def test_the_german_hybrid_offers_what_it_can_run_and_says_why_not(
    live_server: LiveServer, registry: Runtime, tmp_path: Path
) -> None:
    require_chromium()
    base = live_server.url
    email = "hybrid.owner@example.com"
    vin, unit = await owner_with_remote_car(
        live_server, registry, email, model_code="NX350H", market="DE"
    )
    stop = asyncio.Event()
    car = asyncio.create_task(unit.run(stop))
    shots: list[tuple[Path, str]] = []
    try:
        async with async_playwright_browser() as browser:
            context = await browser.new_context(viewport=PHONE)
            page = await context.new_page()
            await page.goto(f"{base}/signin")
            await page.get_by_label("E-mail address").fill(email)
            await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
            await submit(page, "Sign in")
            await page.goto(f"{base}/vehicle/{vin}/remote")
            controls = page.get_by_role("region", name="Controls")
            for offered in ("Lock", "Unlock", "Hazard lights"):
                await expect(
                    controls.get_by_role("button", name=offered, exact=True)
                ).to_be_visible()
            for never in ("Start climate", "Renew climate", "Stop climate", "Start engine"):
                await expect(controls.get_by_role("button", name=never)).to_have_count(0)
            why = controls.locator("[data-unavailable]")
            await expect(why).to_contain_text("does not allow")
            await expect(
                why.get_by_role("link", name="Open the Connected Services Centre")
            ).to_be_visible()
            shot = tmp_path / "remote-controls.png"
            await page.screenshot(path=str(shot), full_page=True)
            shots.append((shot, "remote-controls-hybrid-de.png"))

            async with page.expect_navigation():
                await controls.get_by_role("button", name="Lock", exact=True).click()
            progress = page.get_by_role("status").locator(".remote-progress")
            await expect(progress).to_have_text("Lock: Completed", timeout=WAIT_MS)
            await expect(page.locator(".remote-steps li.done")).to_have_count(4)
            assert unit.car.state.is_locked

            answer = await page.goto(f"{base}/vehicles/{vin}")
            assert answer is not None
            assert answer.status == 404
            await expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
            shot = tmp_path / "error-404.png"
            await page.screenshot(path=str(shot))
            shots.append((shot, "error-404.png"))
            await page.get_by_role("link", name="Back to My Garage").click()
            await expect(page).to_have_url(f"{base}/vehicle")
            await expect(page.get_by_role("link", name="Lexus NX 350h")).to_be_visible()
    finally:
        stop.set()
        await asyncio.wait_for(car, 10)
    for shot, name in shots:
        assert keep_copy(shot, SHOTS / name).startswith(b"\x89PNG")
