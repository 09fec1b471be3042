"""Paying for connected services in headless Chromium against the real server (worker, embedded
broker and payment sandbox running): an owner activates the standard services, adds a card on
the provider's page with its 3-D Secure challenge, starts a free trial of Remote Connect from
the Connected Services Centre, buys stolen-vehicle tracking outright and downloads its invoice,
on a phone-sized screen."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from linkplus.runtime import Runtime
from tests.connected_services.support import link, make_vehicle
from tests.support import DEFAULT_PASSWORD, make_owner
from tests.web.support import PHONE, LiveServer, async_playwright_browser, require_chromium, submit

CHALLENGE_CARD = "4000 0000 0000 3063"  # the sandbox's 3-D Secure challenge card
CHALLENGE_CODE = "123456"


async def subscribe(page: Page, plan_label: str, last_button: str) -> None:
    """From a package's offer page through address, card and summary to activation."""
    await page.get_by_label(re.compile(plan_label)).check()
    await submit(page, "Continue")
    await expect(page.get_by_role("heading", name="Billing address")).to_be_visible()
    await expect(page.get_by_label("Street and number")).to_have_value("Hauptstraße 1")
    await submit(page, "Continue")
    await expect(page.get_by_role("heading", name="Payment card")).to_be_visible()
    await expect(page.get_by_label(re.compile("Visa ending in 3063"))).to_be_checked()
    await submit(page, "Continue")
    await expect(page.get_by_role("heading", name="Summary")).to_be_visible()
    await expect(page.get_by_role("button", name=last_button)).to_be_visible()


@pytest.mark.browser
async def test_an_owner_adds_a_card_subscribes_and_downloads_the_invoice(
    live_server: LiveServer,
    registry: Runtime,
    tmp_path: Path,
) -> None:
    require_chromium()
    base = live_server.url
    owner = await make_owner(registry, email="billing.owner@example.com", language="en")
    # Delivered in 2023: standard services still complimentary, stolen-vehicle tracking's
    # three free years over (so it is bought outright), Remote Connect with a free trial.
    vin = await make_vehicle(registry, first_delivery_date=date(2023, 6, 1))
    await link(registry, owner, vin, primary=True)
    async with async_playwright_browser() as browser:
        context = await browser.new_context(viewport=PHONE)
        page = await context.new_page()

        await page.goto(f"{base}/signin")
        await page.get_by_label("E-mail address").fill(owner.email)
        await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        await submit(page, "Sign in")

        # Standard services on, in the Connected Services Centre.
        await page.goto(f"{base}/vehicle/{vin}/services")
        await page.locator('input[name="accept_terms_of_use"]').check()
        await page.locator('input[name="accept_privacy_notice"]').check()
        await submit(page, "Activate")
        await expect(page.get_by_role("status")).to_contain_text("Connected services are activated")

        # Wallet: the billing address first, then the provider's page and the bank's check.
        await page.goto(f"{base}/account")
        await page.get_by_role("link", name="Wallet").click()
        await expect(page.get_by_text("No cards yet")).to_be_visible()
        await page.get_by_role("link", name="Add a card").click()
        await expect(page.get_by_label("Name", exact=True)).to_have_value("Alex Driver")
        await page.get_by_label("Street and number").fill("Hauptstraße 1")
        await page.get_by_label("Postcode").fill("10115")
        await page.get_by_label("City").fill("Berlin")
        await submit(page, "Continue to the card")
        await expect(page).to_have_url(re.compile(r"/sandbox-pay/cards/new\?session="))
        await page.get_by_label("Card number").fill(CHALLENGE_CARD)
        await page.get_by_label("Month").fill("12")
        await page.get_by_label("Year").fill("2031")
        await page.get_by_label("CVC").fill("737")
        await page.get_by_label("Name on the card").fill("Alex Driver")
        await submit(page, "Continue")
        await expect(page).to_have_url(re.compile(r"/sandbox-pay/3ds/"))
        await page.get_by_label("Code").fill(CHALLENGE_CODE)
        await submit(page, "Confirm")
        await expect(page).to_have_url(f"{base}/wallet?done=card_added")
        cards = page.get_by_role("list", name="Your cards")
        await expect(cards).to_contain_text("Visa ending in 3063")
        await expect(cards.locator(".badge-ok")).to_have_text("Primary")
        await expect(page.get_by_text("add a new card instead")).to_be_visible()
        wallet_shot = tmp_path / "wallet.png"
        await page.screenshot(path=str(wallet_shot), full_page=True)

        # A free trial of Remote Connect, from the Connected Services Centre.
        await page.goto(f"{base}/vehicle/{vin}/services")
        remote = page.locator("section.package", has_text="Remote Connect")
        await remote.get_by_role("link", name="Subscribe").click()
        await expect(page.get_by_text("Starts with a one-month free trial")).to_be_visible()
        await subscribe(page, "Monthly", "Start the free trial")
        await expect(page.locator(".summary")).to_contain_text("after the one-month free trial")
        summary_shot = tmp_path / "summary.png"
        await page.screenshot(path=str(summary_shot), full_page=True)
        await submit(page, "Start the free trial")
        await expect(page.get_by_role("status")).to_contain_text("Your free trial has started")
        line = page.locator("#sub-remote")
        await expect(line.locator(".badge")).to_have_text("Active")
        await expect(line).to_contain_text("Free trial")
        await expect(line).to_contain_text("Next payment:")

        # Stolen-vehicle tracking bought outright: charged now, with an invoice.
        await page.goto(f"{base}/vehicle/{vin}/services")
        svt = page.locator("section.package", has_text="Stolen vehicle tracking")
        await svt.get_by_role("link", name="Subscribe").click()
        await subscribe(page, "Yearly", "Pay and activate")
        await submit(page, "Pay and activate")
        await expect(page.get_by_role("status")).to_contain_text("Your subscription is active")
        await expect(page.locator("#sub-svt")).to_contain_text("Yearly")
        overview_shot = tmp_path / "subscriptions.png"
        await page.screenshot(path=str(overview_shot), full_page=True)

        # The invoice: listed, opened, and its PDF downloaded with the browser's session.
        await page.get_by_role("link", name="Invoices").click()
        invoices = page.get_by_role("list", name="Your invoices and credit notes")
        await expect(invoices).to_contain_text("Invoice")
        await invoices.locator("a").first.click()
        await expect(page.get_by_role("heading", name=re.compile(r"^Invoice DE-"))).to_be_visible()
        async with page.expect_download() as download_info:
            await page.get_by_role("link", name="Download PDF").click()
        download = await download_info.value
        pdf_path = tmp_path / "invoice.pdf"
        await download.save_as(str(pdf_path))

    assert pdf_path.read_bytes().startswith(b"%PDF")
    for shot in (wallet_shot, summary_shot, overview_shot):
        assert shot.read_bytes().startswith(b"\x89PNG")
