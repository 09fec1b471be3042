"""Accessibility in headless Chromium: axe-core (pinned, vendored for the tests) runs on every
owner page and every console page, filled with real data (the demo owner's three cars with a
month of trips, a saved card, an invoice, an SOS case), on a phone-sized screen and in light and
dark colours, and finds no violation of impact serious or critical. The helper itself is shown
to fail on a page that has such violations."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select

from linkplus.demo import DEMO_CARS, prepare_demo
from linkplus.models.accounts import Account, StaffRole
from linkplus.runtime import Runtime
from tests.invoices.support import issue
from tests.support import DEFAULT_PASSWORD, make_staff
from tests.web.support import (
    BLOCKING_IMPACTS,
    PHONE,
    LiveServer,
    assert_accessible,
    async_playwright_browser,
    axe_violations,
    describe_violations,
    require_chromium,
    sos_through_the_service,
    submit,
)

EMAIL = "a11y.demo@example.com"
PASSWORD = "a11y-demo-password"
VIN = DEMO_CARS[1].vin  # the plug-in hybrid: the most tiles, controls and services


async def _blocking(page: Page) -> list[dict[str, object]]:
    return [v for v in await axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]


class Walk:
    """Visits pages and keeps each one's serious and critical violations, so one run lists
    every page that needs fixing, not only the first."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []
        self.seen: list[str] = []

    async def check(self, name: str) -> None:
        await self.page.wait_for_load_state("load")
        self.seen.append(name)
        blocking = await _blocking(self.page)
        if blocking:
            self.problems.append(f"{name}: " + describe_violations(self.page.url, blocking))

    async def visit(self, name: str, path: str) -> None:
        answer = await self.page.goto(path)
        assert answer is not None, f"{name}: {path} gave no answer"
        assert answer.ok, f"{name}: {path} answered {answer.status}"
        await self.check(name)


async def _add_card(page: Page, base: str) -> None:
    """A card through the wallet and the sandbox provider's page, as an owner adds one."""
    await page.goto(f"{base}/wallet/cards/new")
    await page.get_by_label("Street and number").fill("Hauptstraße 1")
    await page.get_by_label("Postcode").fill("10115")
    await page.get_by_label("City").fill("Berlin")
    await submit(page, "Continue to the card")
    await expect(page).to_have_url(re.compile(r"/sandbox-pay/cards/new\?session="))
    await page.get_by_label("Card number").fill("4242 4242 4242 4242")
    await page.get_by_label("Month").fill("12")
    await page.get_by_label("Year").fill("2031")
    await page.get_by_label("CVC").fill("737")
    await page.get_by_label("Name on the card").fill("Demo Owner")
    await submit(page, "Continue")
    await expect(page).not_to_have_url(re.compile(r"/sandbox-pay/"))


async def _export_walk(page: Page, base: str, walk: Walk) -> None:
    """The export page with none yet, once asked for, and with the ready export's password form
    (the live server's worker makes it within a second or so)."""
    await walk.visit("data export", f"{base}/privacy/export")
    await submit(page, "Ask for a copy of my data")
    await expect(page.get_by_role("status")).to_contain_text("We are making your export")
    await walk.check("data export asked for")
    ready = page.locator(".export-download")
    for _ in range(60):
        if await ready.count():
            break
        await page.wait_for_timeout(500)  # the worker's poll; bounded, reached on failure
        await page.reload()
    await expect(ready).to_have_count(1)
    await walk.check("data export ready")


async def _erasure_walk(page: Page, base: str, walk: Walk) -> None:
    """The erasure preview, then its grace period (the account is erased only in 7 days)."""
    await walk.visit("erase my account", f"{base}/account/privacy/erasure")
    await page.get_by_label("Your password").fill(PASSWORD)
    await submit(page, "Erase my account after 7 days")
    await expect(page.get_by_role("heading", name="Your account will be erased")).to_be_visible()
    await walk.check("erasure grace period")


async def _owner_walk(page: Page, base: str, walk: Walk, invoice: str) -> None:
    await walk.visit("sign-up", f"{base}/signup")
    await walk.visit("forgot password", f"{base}/forgot-password")
    await walk.visit("activation e-mail", f"{base}/activation-email")
    await walk.visit("sign-in", f"{base}/signin")
    await page.get_by_label("E-mail address").fill(EMAIL)
    await page.get_by_label("Password").fill(PASSWORD)
    await submit(page, "Sign in")
    await walk.check("My Garage")
    await walk.visit("add a car", f"{base}/vehicle/add")
    await walk.visit("the car page", f"{base}/vehicle/{VIN}")
    await walk.visit("status", f"{base}/vehicle/{VIN}/status")
    await walk.visit("remote", f"{base}/vehicle/{VIN}/remote")
    await walk.visit("trips", f"{base}/vehicle/{VIN}/trips")
    trip = page.locator('a[href*="/trips/"]').filter(has_not_text=re.compile("month", re.I))
    await trip.first.click()
    await expect(page).to_have_url(re.compile(r"/trips/[0-9a-f-]{36}$"))
    await walk.check("one trip")
    await walk.visit("monthly trips", f"{base}/vehicle/{VIN}/trips/monthly")
    await walk.visit("services centre", f"{base}/vehicle/{VIN}/services")
    await walk.visit("subscriptions", f"{base}/vehicle/{VIN}/subscriptions")
    await walk.visit("an offer", f"{base}/vehicle/{VIN}/subscriptions/offers/svt")
    await walk.visit(
        "checkout", f"{base}/vehicle/{VIN}/subscriptions/offers/svt/checkout?plan=yearly"
    )
    await walk.visit("new card", f"{base}/wallet/cards/new")
    await _add_card(page, base)
    await walk.visit("wallet", f"{base}/wallet")
    await walk.visit("invoices", f"{base}/invoices")
    await walk.visit("an invoice", f"{base}/invoices/{invoice}")
    await walk.visit("notifications", f"{base}/notifications")
    await walk.visit("account", f"{base}/account")
    await walk.visit("privacy portal", f"{base}/account/privacy")
    await walk.visit("who saw my data", f"{base}/privacy/access")
    await _export_walk(page, base, walk)
    await walk.visit("safety page", f"{base}/vehicle/{VIN}/safety")
    await walk.visit("privacy mode", f"{base}/vehicle/{VIN}/privacy-mode")
    await walk.visit("prepare to sell", f"{base}/vehicle/{VIN}/sell")
    await walk.visit("remove from the garage", f"{base}/vehicle/{VIN}/remove")
    await walk.visit("preferred dealer", f"{base}/account/dealer")
    await walk.visit("map", f"{base}/map")
    await walk.visit("support", f"{base}/support")
    await _erasure_walk(page, base, walk)  # last: the grace period stops purchases


async def _console_walk(page: Page, base: str, walk: Walk, email: str, case: str) -> None:
    await walk.visit("staff sign-in", f"{base}/console/signin")
    await page.get_by_label("Staff e-mail address").fill(email)
    await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    await submit(page, "Sign in to the console")
    await walk.check("console landing")
    await walk.visit("console vehicles", f"{base}/console/vehicles")
    asked = await page.goto(f"{base}/console/vehicles/{VIN}")
    assert asked is not None
    assert asked.status == 403  # the reason form comes first (issue 15)
    await walk.check("console reason form")
    await page.get_by_label("Reason").select_option("dealer_service_visit")
    await submit(page, "Open")
    await walk.check("console vehicle")
    await walk.visit("safety queue", f"{base}/console/safety")
    await walk.visit("a safety case", f"{base}/console/safety/cases/{case}")


@pytest.mark.browser
@pytest.mark.parametrize("colours", ["light", "dark"])
async def test_every_owner_and_console_page_has_no_serious_accessibility_violation(
    live_server: LiveServer, registry: Runtime, colours: str
) -> None:
    require_chromium()
    base = live_server.url
    await prepare_demo(live_server.settings, email=EMAIL, password=PASSWORD, simulate=False)
    case = await sos_through_the_service(registry, VIN)
    async with registry.db.transaction() as session:
        owner_id = await session.scalar(select(Account.id).where(Account.email_key == EMAIL))
    assert owner_id is not None
    invoice = await issue(registry, owner_id)
    admin = await make_staff(registry, role=StaffRole.admin)
    async with async_playwright_browser() as browser:
        owner = await browser.new_context(viewport=PHONE, color_scheme=colours)  # type: ignore[arg-type]
        owner_walk = Walk(await owner.new_page())
        await _owner_walk(owner_walk.page, base, owner_walk, str(invoice.id))
        staff = await browser.new_context(viewport=PHONE, color_scheme=colours)  # type: ignore[arg-type]
        staff_walk = Walk(await staff.new_page())
        await _console_walk(staff_walk.page, base, staff_walk, admin.email, str(case))
    problems = owner_walk.problems + staff_walk.problems
    assert len(owner_walk.seen) >= 35
    assert len(staff_walk.seen) >= 6
    assert not problems, "\n\n".join(problems)


@pytest.mark.browser
async def test_the_check_fails_on_a_page_with_serious_violations() -> None:
    """The helper is not a check that cannot fail: an unlabelled field, grey-on-grey text and an
    image without a text alternative are each reported with their impact and element."""
    require_chromium()
    async with async_playwright_browser() as browser:
        page = await browser.new_page(viewport=PHONE)
        await page.set_content(
            '<!doctype html><html lang="en"><head><title>Bad</title></head><body><main>'
            "<h1>Bad</h1><input type=text id=nolabel>"
            '<p style="color:#aaa;background:#bbb">faint</p><img src="x.png" id=noalt>'
            "</main></body></html>"
        )
        with pytest.raises(AssertionError) as failure:
            await assert_accessible(page)
    message = str(failure.value)
    assert "[critical] label" in message
    assert "#nolabel" in message
    assert "[serious] color-contrast" in message
    assert "[critical] image-alt" in message
    assert "#noalt" in message


async def _sign_in(page: Page, base: str) -> None:
    await page.goto(f"{base}/signin")
    await page.get_by_label("E-mail address").fill(EMAIL)
    await page.get_by_label("Password").fill(PASSWORD)
    await submit(page, "Sign in")


@pytest.mark.browser
async def test_the_status_page_updates_itself_and_a_person_can_pause_it(
    live_server: LiveServer,
) -> None:
    """The status page's timed reload (which replaced a meta refresh that axe rightly flagged:
    nobody could stop it) still runs, and "Pause updates" stops it. The browser's clock is
    moved; nothing waits ten real seconds."""
    require_chromium()
    base = live_server.url
    await prepare_demo(live_server.settings, email=EMAIL, password=PASSWORD, simulate=False)
    async with async_playwright_browser() as browser:
        page = await (await browser.new_context(viewport=PHONE)).new_page()
        await page.clock.install()
        await _sign_in(page, base)
        loads: list[str] = []
        page.on("load", lambda loaded: loads.append(loaded.url))
        await page.goto(f"{base}/vehicle/{VIN}/status?done=refresh_requested")
        await expect(page.get_by_role("button", name="Pause updates")).to_be_visible()
        assert len(loads) == 1
        async with page.expect_navigation():
            await page.clock.run_for(10_500)
        await expect(page).to_have_url(f"{base}/vehicle/{VIN}/status")  # the notice is not repeated
        await page.get_by_role("button", name="Pause updates").click()
        await expect(page.get_by_role("button", name="Resume updates")).to_be_visible()
        await page.clock.run_for(60_000)
        await page.wait_for_timeout(300)  # a reload, had one started, would have begun by now
        assert len(loads) == 2
        await assert_accessible(page)


DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.browser
async def test_on_a_desktop_the_content_uses_the_width_and_on_a_phone_one_column(
    live_server: LiveServer,
) -> None:
    require_chromium()
    base = live_server.url
    await prepare_demo(live_server.settings, email=EMAIL, password=PASSWORD, simulate=False)
    async with async_playwright_browser() as browser:
        widths = {}
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page = await (await browser.new_context(viewport=viewport)).new_page()  # type: ignore[arg-type]
            await _sign_in(page, base)
            await page.goto(f"{base}/vehicle/{VIN}/trips")
            main = await page.locator("main").bounding_box()
            months = page.locator("main > .card")
            first, second = await months.nth(0).bounding_box(), await months.nth(1).bounding_box()
            assert main
            assert first
            assert second
            widths[size] = main["width"]
            if size == "desktop":
                assert first["y"] == second["y"]
                assert second["x"] > first["x"]
                rail = await page.get_by_role("navigation", name="Sections").bounding_box()
                assert rail
                assert rail["x"] == 0
                assert rail["height"] >= DESKTOP["height"] - 1
            else:
                assert second["y"] > first["y"]
                assert second["x"] == first["x"]
    assert widths["desktop"] >= 1000  # not a 640 px column
    assert widths["phone"] <= PHONE["width"]
