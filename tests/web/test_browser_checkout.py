"""Checkout without a saved card, in headless Chromium on a phone-sized screen against the real
server: subscribe -> no card -> add a card on the provider's page (which lists its test cards and
what each does) -> back in the same checkout, the billing address typed once -> paid.

It used to dead-end with "Add a card, then come back": the wallet asked the billing address a
second time and left the owner in the wallet. Screenshots go to /tmp/linkplus-checkout-screenshots
(or the folder LINKPLUS_SCREENSHOTS names), never into the tree on an ordinary run."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from linkplus.payments.sandbox.cards import TEST_CARDS, WHAT_IT_DOES
from linkplus.runtime import Runtime
from tests.connected_services.support import link, make_vehicle
from tests.support import DEFAULT_PASSWORD, make_owner
from tests.web.support import (
    PHONE,
    LiveServer,
    async_playwright_browser,
    keep_copy,
    require_chromium,
    submit,
)

SHOTS = Path(os.environ.get("LINKPLUS_SCREENSHOTS", "/tmp/linkplus-checkout-screenshots"))


async def _shot(page: Page, tmp_path: Path, name: str) -> None:
    shot = tmp_path / f"{name}.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert keep_copy(shot, SHOTS / f"checkout-{name}.png").startswith(b"\x89PNG")


@pytest.mark.browser
async def test_checkout_without_a_card_adds_one_and_comes_back_to_pay(
    live_server: LiveServer, registry: Runtime, tmp_path: Path
) -> None:
    require_chromium()
    base = live_server.url
    owner = await make_owner(registry, email="checkout.owner@example.com", language="en")
    # Delivered in 2023: stolen-vehicle tracking's three free years are over, so it is bought
    # outright (charged at once), and the wallet is empty.
    vin = await make_vehicle(registry, first_delivery_date=date(2023, 6, 1))
    await link(registry, owner, vin, primary=True)
    async with async_playwright_browser() as browser:
        context = await browser.new_context(viewport=PHONE)
        page = await context.new_page()
        await page.goto(f"{base}/signin")
        await page.get_by_label("E-mail address").fill(owner.email)
        await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        await submit(page, "Sign in")

        # Subscribe, from the Connected Services Centre.
        await page.goto(f"{base}/vehicle/{vin}/services")
        svt = page.locator("section.package", has_text="Stolen vehicle tracking")
        await svt.get_by_role("link", name="Subscribe").click()
        await page.get_by_label(re.compile("Yearly")).check()
        await submit(page, "Continue")

        # The billing address: typed here, and only here.
        await expect(page.get_by_role("heading", name="Billing address")).to_be_visible()
        await page.get_by_label("Street and number").fill("Lindenallee 7")
        await page.get_by_label("Postcode").fill("50968")
        await page.get_by_label("City").fill("Köln")
        await submit(page, "Continue")

        # No card yet: no dead end, a way on.
        await expect(page.get_by_role("heading", name="Payment card")).to_be_visible()
        await expect(page.get_by_role("heading", name="Add a card to pay with")).to_be_visible()
        await _shot(page, tmp_path, "no-card")
        await submit(page, "Add a card")

        # The provider's page, listing its test cards and what each does.
        await expect(page).to_have_url(re.compile(r"/sandbox-pay/cards/new\?session="))
        listed = page.get_by_role("table")
        for number, behaviour in TEST_CARDS.items():
            grouped = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
            row = listed.get_by_role("row").filter(has_text=grouped)
            await expect(row).to_contain_text(WHAT_IT_DOES[behaviour])
        await _shot(page, tmp_path, "sandbox-card-page")
        await page.get_by_label("Card number").fill("4242 4242 4242 4242")
        await page.get_by_label("Month").fill("12")
        await page.get_by_label("Year").fill("2031")
        await page.get_by_label("CVC").fill("737")
        await page.get_by_label("Name on the card").fill("Alex Driver")
        await submit(page, "Continue")

        # Back in the same checkout, at the card step, with the new card chosen.
        await expect(page).to_have_url(
            f"{base}/vehicle/{vin}/subscriptions/offers/svt/checkout?plan=yearly&step=card"
        )
        await expect(page.get_by_label(re.compile("Visa ending in 4242"))).to_be_checked()
        await _shot(page, tmp_path, "back-in-checkout")
        await submit(page, "Continue")
        summary = page.locator(".summary")
        await expect(summary).to_contain_text("Lindenallee 7, 50968 Köln")
        await expect(summary).to_contain_text("Visa ending in 4242")
        await submit(page, "Pay and activate")

        # Paid.
        await expect(page).to_have_url(f"{base}/vehicle/{vin}/subscriptions?done=subscribed")
        await expect(page.get_by_role("status")).to_contain_text("Your subscription is active")
        line = page.locator("#sub-svt")
        await expect(line.locator(".badge")).to_have_text("Active")
        await expect(line).to_contain_text("Yearly")
        await _shot(page, tmp_path, "paid")
