"""Erase my account in the browser (issue 15): the preview, the password, the grace period with
its cancel button, the clock moved past the grace period, the job, and then an account that is
gone (signing in fails with the ordinary message) and an address free for a new sign-up.

The live server runs on the real clock; the test moves a second runtime's clock (``registry``)
past the grace period and lets a worker on it run the due jobs, as the server's own worker would
once the days have passed. Phone-sized screenshots go to /tmp/linkplus-erasure-screenshots (or
the folder LINKPLUS_SCREENSHOTS names), never into the tree on an ordinary run."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select

from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import Account
from linkplus.models.erasure import ErasureRequest
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

SHOTS = Path(os.environ.get("LINKPLUS_SCREENSHOTS", "/tmp/linkplus-erasure-screenshots"))


async def _shot(page: Page, tmp_path: Path, name: str) -> None:
    shot = tmp_path / f"{name}.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert keep_copy(shot, SHOTS / f"erasure-{name}.png").startswith(b"\x89PNG")


async def _sign_in(page: Page, base: str, email: str) -> None:
    await page.goto(f"{base}/signin")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    await submit(page, "Sign in")


async def _erase_due(registry: Runtime) -> None:
    """Move the registry's clock past the grace period and run what is due until it is done."""
    registry.clock = ManualClock(registry.clock.now() + timedelta(days=7, minutes=1))
    worker = Worker(registry, name="erasure-test-worker")
    for _ in range(30):
        await worker.run_due()
        async with registry.db.transaction() as session:
            states = list(await session.scalars(select(ErasureRequest.state)))
        if states == ["done"]:
            return
        assert isinstance(registry.clock, ManualClock)
        registry.clock.advance(timedelta(minutes=2))
    raise AssertionError(f"the erasure did not finish: {states}")


@pytest.mark.browser
async def test_erasing_an_account_from_the_preview_through_the_grace_period_to_gone(
    live_server: LiveServer, registry: Runtime, tmp_path: Path
) -> None:
    require_chromium()
    owner = await make_owner(registry, email="erase.me@example.org")
    vin = await make_vehicle(registry)
    await link(registry, owner, vin, primary=True)
    base = live_server.url
    async with async_playwright_browser() as browser:
        page = await browser.new_page(viewport=PHONE)
        await _sign_in(page, base, owner.email)
        await page.goto(f"{base}/account/privacy")
        await page.get_by_role("link", name="Erase my account").click()
        await expect(page.get_by_role("heading", name="What is kept, and why")).to_be_visible()
        await expect(page.get_by_text(vin)).to_be_visible()
        await expect(page.get_by_role("heading", name="Invoices and credit notes")).to_be_visible()
        await _shot(page, tmp_path, "1-preview-phone")

        await page.get_by_label("Your password").fill("not my password")
        await submit(page, "Erase my account after 7 days")
        await expect(page.get_by_role("alert")).to_contain_text("Enter your current password")
        await page.get_by_label("Your password").fill(DEFAULT_PASSWORD)
        await submit(page, "Erase my account after 7 days")
        await expect(
            page.get_by_role("heading", name="Your account will be erased")
        ).to_be_visible()
        cancel = page.get_by_role("button", name="Cancel the erasure and keep my account")
        await expect(cancel).to_be_visible()
        await _shot(page, tmp_path, "2-grace-phone")

        await _erase_due(registry)
        async with registry.db.transaction() as session:
            assert await session.get(Account, owner.id) is None

        await page.goto(f"{base}/account/privacy/erasure")
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        await _sign_in(page, base, "nobody.here@example.org")
        ordinary = await page.get_by_role("alert").inner_text()
        await _sign_in(page, base, owner.email)
        await expect(page.get_by_role("alert")).to_have_text(ordinary)
        await _shot(page, tmp_path, "3-gone-phone")

        await page.goto(f"{base}/signup")
        await page.get_by_label("First name").fill("New")
        await page.get_by_label("Last name").fill("Owner")
        await page.get_by_label("E-mail address").fill(owner.email)
        await page.get_by_label("Password").fill("a new password for a new account")
        await page.get_by_label("Country").select_option("DE")
        await submit(page, "Create account")
        await _shot(page, tmp_path, "4-signed-up-again-phone")
        async with registry.db.transaction() as session:
            again = await session.scalar(select(Account).where(Account.email == owner.email))
        assert again is not None
        assert again.first_name == "New"
