"""Home charging in headless Chromium on a phone-sized screen, against the real server (its
central system included): the owner adds a charger with the code on its label, reads the
password the page shows once, the simulated charger connects with it over OCPP 2.0.1, the owner
starts charging, sees the energy and cost, stops, and finds the session in the history.

Screenshots are kept under /tmp/linkplus-charging-screenshots (or the folder
LINKPLUS_SCREENSHOTS names, so an ordinary run leaves the tree clean)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from linkplus.runtime import Runtime
from linkplus.sim.charger import ChargerSpec, connect
from tests.charging.support import BEV, factory_charger
from tests.garage.support import make_car, owner_with_car
from tests.support import DEFAULT_PASSWORD, make_owner
from tests.web.support import (
    PHONE,
    LiveServer,
    assert_accessible,
    async_playwright_browser,
    keep_copy,
    require_chromium,
    submit,
)

SHOTS = Path(os.environ.get("LINKPLUS_SCREENSHOTS", "/tmp/linkplus-charging-screenshots"))


async def _shot(page: Page, tmp_path: Path, name: str) -> None:
    shot = tmp_path / f"{name}.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert keep_copy(shot, SHOTS / f"charging-{name}.png").startswith(b"\x89PNG")


async def _reload_until(page: Page, text: str) -> None:
    for _ in range(60):  # the central system polls for commands; bounded, reached on failure
        if await page.get_by_text(text).count():
            return
        await page.wait_for_timeout(250)
        await page.reload()
    await expect(page.get_by_text(text).first).to_be_visible()


@pytest.mark.browser
async def test_the_owner_adds_a_charger_and_charges_from_the_app(
    live_server: LiveServer, registry: Runtime, tmp_path: Path
) -> None:
    require_chromium()
    base = live_server.url
    account = await make_owner(registry, email="charging.owner@example.com")
    car = await make_car(registry, model_code=BEV)
    async with httpx.AsyncClient(base_url=base) as api:
        await owner_with_car(registry, api, account, car)
    label = await factory_charger(registry, "WALLBOX-42")

    async with async_playwright_browser() as browser:
        page = await (await browser.new_context(viewport=PHONE)).new_page()
        await page.goto(f"{base}/signin")
        await page.get_by_label("E-mail address").fill(account.email)
        await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        await submit(page, "Sign in")

        await page.goto(f"{base}/account")
        await page.get_by_role("link", name="Home chargers").click()
        await expect(page.get_by_role("heading", name="Home chargers", exact=True)).to_be_visible()
        await page.get_by_label("Charger identity").fill(label.identity)
        await page.get_by_label("Activation code").fill("WRONG-CODE-0000-0000")
        await submit(page, "Add the charger")
        await expect(page.get_by_role("alert")).to_contain_text("No charger has this identity")
        await _shot(page, tmp_path, "wrong-code")

        await page.get_by_label("Activation code").fill(label.activation_code.lower())
        await page.get_by_label("Name (optional)").fill("Garage")
        await submit(page, "Add the charger")
        await expect(page.get_by_role("heading", name="Charger added")).to_be_visible()
        password = (await page.locator(".charging-secret").inner_text()).strip()
        await assert_accessible(page)
        await _shot(page, tmp_path, "added")

        spec = ChargerSpec(label.identity, password, protocol="ocpp2.0.1")
        async with connect(spec, f"{base.replace('http', 'ws')}/ocpp") as charger:
            assert await charger.boot() == "Accepted"
            await page.get_by_role("link", name="Go to the charger").click()
            await expect(page.get_by_text("Connected", exact=True)).to_be_visible()
            await expect(page.get_by_text("Homecharge 11")).to_be_visible()
            await submit(page, "Start charging")
            await expect(page.get_by_role("status")).to_contain_text("asked to start")
            await _reload_until(page, "Charging since the start")
            await charger.charge_for(3600)  # an hour at 11 kW
            await page.reload()
            await expect(page.get_by_text("11.00 kWh").first).to_be_visible()
            await assert_accessible(page)
            await _shot(page, tmp_path, "charging")
            await submit(page, "Stop charging")
            await _reload_until(page, "Start charging")
        await expect(page.get_by_role("link", name="Download as CSV")).to_be_visible()
        await _shot(page, tmp_path, "history")
