"""The real pages in headless Chromium, against a real HTTP server with the worker running.

Sign up, open the activation mail in the dev mailbox, confirm, sign in, walk the sections, sign
out: what a new owner does on the first day, with the system clock and nothing faked.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Page, async_playwright, expect

from linkplus.app import create_app
from linkplus.bootstrap import build_runtime
from linkplus.config import Settings
from tests.services import free_port, missing_service

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
PASSWORD = "a long walk by the river"


@dataclass
class LiveServer:
    url: str
    server: uvicorn.Server


@pytest.fixture
async def live_server(database_url: str, tmp_path: Path) -> AsyncIterator[LiveServer]:
    """uvicorn serving the whole platform (worker included) on a free loopback port."""
    port = free_port()
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key="browser-test-secret-key-long-enough-for-hs256",
        public_url=f"http://127.0.0.1:{port}",
        dev_mailbox=True,
        smtp_url=None,
        worker_enabled=True,
        worker_poll_seconds=0.2,
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        argon2_parallelism=1,
        log_json=True,
        log_level="WARNING",
    )
    app = create_app(build_runtime(settings), run_worker=True)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start"
        await asyncio.sleep(0.02)  # waiting for start-up, not for time to pass
    try:
        yield LiveServer(settings.public_url, server)
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 20)


def require_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        missing_service("Chromium")


async def submit(page: Page, button: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=button).click()


@pytest.mark.browser
async def test_a_new_owner_signs_up_activates_signs_in_and_walks_the_sections(
    live_server: LiveServer, tmp_path: Path
) -> None:
    require_chromium()
    base = live_server.url
    email = "new.owner@example.com"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport=PHONE)
        page = await context.new_page()

        await page.goto(f"{base}/")
        await expect(page).to_have_url(f"{base}/signin")
        signin_shot = tmp_path / "signin.png"
        await page.screenshot(path=str(signin_shot), full_page=True)

        # Sign up.
        await page.get_by_role("link", name="New here? Create an account").click()
        await expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
        await page.get_by_label("First name").fill("Robin")
        await page.get_by_label("Last name").fill("Roads")
        await page.get_by_label("E-mail address").fill(email)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_label("Country").select_option("DE")
        await page.get_by_label("Language").select_option("en")
        await submit(page, "Create account")
        await expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

        # The activation mail, in the dev mailbox; its link opens a page with a button.
        await page.get_by_role("link", name="Open the dev mailbox").click()
        await page.get_by_role("link", name="Confirm your e-mail address for linkplus").click()
        await expect(page.locator("dl.facts")).to_contain_text(email)
        activation = page.locator('.mail-body a[href*="/activate?token="]')
        await expect(activation).to_have_count(1)
        await activation.click()
        await expect(page).to_have_url(re.compile(r"/activate\?token=[\w-]+$"))
        await expect(
            page.get_by_role("heading", name="Confirm your e-mail address")
        ).to_be_visible()
        await submit(page, "Confirm my e-mail address")
        await expect(page.get_by_role("status")).to_contain_text("Your e-mail address is confirmed")

        # Sign in and land on the Vehicle section with the bottom bar.
        await page.get_by_label("E-mail address").fill(email)
        await page.get_by_label("Password").fill(PASSWORD)
        await submit(page, "Sign in")
        await expect(page).to_have_url(f"{base}/vehicle")
        await expect(page.get_by_text("No cars in your garage yet")).to_be_visible()
        bar = page.get_by_role("navigation", name="Sections")
        await expect(bar.get_by_role("link")).to_have_text(
            ["Vehicle", "Map", "Notifications", "Account", "Support"]
        )
        vehicle_shot = tmp_path / "vehicle.png"
        await page.screenshot(path=str(vehicle_shot))

        cookies = {c["name"]: c for c in await context.cookies()}
        assert cookies["lp_session"]["httpOnly"] is True
        assert cookies["lp_session"]["sameSite"] == "Lax"

        await bar.get_by_role("link", name="Notifications").click()
        await expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
        await bar.get_by_role("link", name="Account").click()
        await expect(page.get_by_role("heading", name="Account", exact=True)).to_be_visible()
        await expect(page.get_by_text(email)).to_be_visible()

        await submit(page, "Sign out")
        await expect(page).to_have_url(f"{base}/signin?done=signed_out")
        await expect(page.get_by_role("status")).to_contain_text("You are signed out")
        await page.goto(f"{base}/vehicle")
        await expect(page).to_have_url(f"{base}/signin")

        await browser.close()

    for shot in (signin_shot, vehicle_shot):
        assert shot.stat().st_size > 0
        assert shot.read_bytes().startswith(b"\x89PNG")
