"""Every flow works from the keyboard alone, in headless Chromium on a phone-sized screen: an owner
signs in, opens a car and locks it (the simulated car answers over the real broker), and a staff
member signs in to the console and opens a car, with Tab, typing and Enter only; no mouse, no
``click``. Each element Tab reaches shows where the focus is (an outline or a ring)."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Page, expect

from linkplus.models.accounts import StaffRole
from linkplus.runtime import Runtime
from tests.connected_services.support import make_vehicle
from tests.support import DEFAULT_PASSWORD, make_staff
from tests.web.support import (
    PHONE,
    LiveServer,
    async_playwright_browser,
    owner_with_remote_car,
    require_chromium,
)

WAIT_MS = 15_000  # a bound for what crosses the broker and the worker; reached only on failure
TAB_LIMIT = 60  # more Tab presses than any page here has stops; reached only on failure

# What has the focus: its accessible name as a person hears it, and whether it is drawn.
FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const name = (el.labels && el.labels.length ? el.labels[0].innerText
        : el.getAttribute("aria-label") || el.innerText || el.value || "").trim();
    const style = getComputedStyle(el);
    const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
    const ringed = style.boxShadow !== "none";
    return {name: name.replace(/\\s+/g, " "), tag: el.tagName.toLowerCase(),
            visible: outlined || ringed};
}"""


async def tab_to(page: Page, name: str) -> None:
    """Press Tab until the element named ``name`` has the focus; every stop on the way must
    show its focus."""
    passed = []
    for _ in range(TAB_LIMIT):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(FOCUSED)
        if focused is None:
            continue
        assert focused["visible"], f"{focused['tag']} {focused['name']!r} shows no focus"
        if focused["name"] == name:
            return
        passed.append(focused["name"])
    raise AssertionError(f"Tab never reached {name!r} on {page.url}; it passed {passed}")


async def press_enter_and_wait(page: Page) -> None:
    async with page.expect_navigation():
        await page.keyboard.press("Enter")


@pytest.mark.browser
async def test_an_owner_signs_in_opens_the_car_and_locks_it_with_the_keyboard_only(
    live_server: LiveServer, registry: Runtime
) -> None:
    require_chromium()
    email = "keyboard.owner@example.com"
    vin, unit = await owner_with_remote_car(
        live_server, registry, email, model_code="NX450HP", market="BE", seed=5, language="en"
    )
    stop = asyncio.Event()
    running = asyncio.create_task(unit.run(stop))
    try:
        async with async_playwright_browser() as browser:
            page = await (await browser.new_context(viewport=PHONE)).new_page()
            await page.goto(f"{live_server.url}/signin")
            await tab_to(page, "E-mail address")
            await page.keyboard.type(email)
            await tab_to(page, "Password")
            await page.keyboard.type(DEFAULT_PASSWORD)
            await press_enter_and_wait(page)
            await expect(page).to_have_url(f"{live_server.url}/vehicle")

            name = await page.locator(f'a[href="/vehicle/{vin}"]').first.inner_text()
            await tab_to(page, name.strip())
            await press_enter_and_wait(page)
            await expect(page).to_have_url(f"{live_server.url}/vehicle/{vin}")

            await tab_to(page, "Lock")
            await press_enter_and_wait(page)
            progress = page.get_by_role("status").locator(".remote-progress")
            await expect(progress).to_have_text("Lock: Completed", timeout=WAIT_MS)
            assert unit.car.state.is_locked
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)


@pytest.mark.browser
async def test_staff_sign_in_to_the_console_and_open_a_car_with_the_keyboard_only(
    live_server: LiveServer, registry: Runtime
) -> None:
    require_chromium()
    staff = await make_staff(registry, role=StaffRole.admin)
    vin = await make_vehicle(registry)
    async with async_playwright_browser() as browser:
        page = await (await browser.new_context(viewport=PHONE)).new_page()
        await page.goto(f"{live_server.url}/console/signin")
        await tab_to(page, "Staff e-mail address")
        await page.keyboard.type(staff.email)
        await tab_to(page, "Password")
        await page.keyboard.type(DEFAULT_PASSWORD)
        await press_enter_and_wait(page)
        await expect(page.get_by_role("heading", name="Staff console")).to_be_visible()

        await tab_to(page, "Find a car by VIN")
        await press_enter_and_wait(page)
        await tab_to(page, "VIN")
        await page.keyboard.type(vin)
        await press_enter_and_wait(page)
        await expect(page).to_have_url(f"{live_server.url}/console/vehicles/{vin}")
        await expect(page.get_by_role("heading", level=1)).to_be_visible()

        await tab_to(page, "\u2190 Find another car")
        await press_enter_and_wait(page)
        await tab_to(page, "\u2190 Staff console")
        await press_enter_and_wait(page)
        await tab_to(page, "Safety cases")
        await press_enter_and_wait(page)
        await expect(page).to_have_url(f"{live_server.url}/console/safety")


@pytest.mark.browser
async def test_the_first_tab_stop_skips_to_the_content(live_server: LiveServer) -> None:
    """The top bar comes before the page's own content on every page; the first Tab offers to
    jump over it, out of sight until then."""
    require_chromium()
    async with async_playwright_browser() as browser:
        page = await (await browser.new_context(viewport=PHONE)).new_page()
        await page.goto(f"{live_server.url}/signin")
        skip = page.get_by_role("link", name="Skip to content")
        assert (await skip.bounding_box() or {"y": 0})["y"] < 0  # hidden above the page
        await page.keyboard.press("Tab")
        assert (await page.evaluate(FOCUSED))["name"] == "Skip to content"
        assert (await skip.bounding_box() or {"y": -1})["y"] >= 0  # shown while it has focus
        await page.keyboard.press("Enter")
        await expect(page).to_have_url(f"{live_server.url}/signin#content")
        await tab_to(page, "E-mail address")  # and Tab goes on into the page
