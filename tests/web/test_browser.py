"""The real pages in headless Chromium, against a real HTTP server with the worker running.

Sign up, open the activation mail in the dev mailbox, confirm, sign in, walk the sections, sign
out: what a new owner does on the first day, with the system clock and nothing faked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Route, expect

from tests.web.support import (
    PHONE,
    LiveServer,
    async_playwright_browser,
    require_chromium,
    submit,
)

PASSWORD = "a long walk by the river"


@pytest.mark.browser
async def test_a_new_owner_signs_up_activates_signs_in_and_walks_the_sections(
    live_server: LiveServer, tmp_path: Path
) -> None:
    require_chromium()
    base = live_server.url
    email = "new.owner@example.com"
    async with async_playwright_browser() as browser:
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

    for shot in (signin_shot, vehicle_shot):
        assert shot.stat().st_size > 0
        assert shot.read_bytes().startswith(b"\x89PNG")


@pytest.mark.browser
async def test_the_api_docs_render_offline_under_the_content_security_policy(
    live_server: LiveServer,
) -> None:
    """Swagger UI comes from the platform: with every other host unreachable it still lists the
    API's operations, and the browser reports no policy violation."""
    require_chromium()
    outside: list[str] = []
    problems: list[str] = []
    async with async_playwright_browser() as browser:
        context = await browser.new_context()

        async def only_the_platform(route: Route) -> None:
            if route.request.url.startswith(live_server.url + "/"):
                await route.continue_()
            else:
                outside.append(route.request.url)
                await route.abort()

        await context.route("**/*", only_the_platform)
        page = await context.new_page()
        page.on(
            "console",
            lambda message: problems.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: problems.append(str(error)))
        answer = await page.goto(f"{live_server.url}/api/v1/docs")
        assert answer is not None
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        operations = page.locator(".opblock")
        await expect(operations.first).to_be_visible(timeout=30_000)
        assert await operations.count() > 20
        await expect(page.locator(".info .title")).to_contain_text("linkplus")
    assert outside == []
    assert problems == []
