"""The owner's data export in headless Chromium on a phone-sized screen, against the real server
with its worker: the owner asks for a copy in the privacy portal, the job makes it, the
notification links to the export page, a wrong password is refused, the right one downloads the
zip, and the zip's manifest hashes match its files.

Screenshots are kept under /tmp/linkplus-export-screenshots (or the folder LINKPLUS_SCREENSHOTS
names: docs/screenshots/ when the documentation's pictures are renewed, so an ordinary run
leaves the tree clean)."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from linkplus.runtime import Runtime
from tests.support import DEFAULT_PASSWORD
from tests.web.support import (
    PHONE,
    LiveServer,
    assert_accessible,
    async_playwright_browser,
    keep_copy,
    owned_car,
    require_chromium,
    submit,
)

WAIT_MS = 30_000  # the worker makes the export within a second; reached only on failure
SHOTS = Path(os.environ.get("LINKPLUS_SCREENSHOTS", "/tmp/linkplus-export-screenshots"))


async def _shot(page: Page, tmp_path: Path, name: str) -> None:
    shot = tmp_path / f"{name}.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert keep_copy(shot, SHOTS / f"export-{name}.png").startswith(b"\x89PNG")


@pytest.mark.browser
async def test_the_owner_asks_for_the_export_is_told_and_downloads_it_with_the_password(
    live_server: LiveServer, registry: Runtime, tmp_path: Path
) -> None:
    require_chromium()
    base = live_server.url
    async with httpx.AsyncClient(base_url=base) as api:
        car = await owned_car(registry, api, email="export.owner@example.com")

    async with async_playwright_browser() as browser:
        context = await browser.new_context(viewport=PHONE, accept_downloads=True)
        page = await context.new_page()
        await page.goto(f"{base}/signin")
        await page.get_by_label("E-mail address").fill(car.account.email)
        await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        await submit(page, "Sign in")

        await page.goto(f"{base}/account/privacy")
        await page.get_by_role("link", name="Download a copy of your data").click()
        await expect(page.get_by_role("heading", name="Download your data")).to_be_visible()
        await expect(page.get_by_text("You have not asked for an export yet.")).to_be_visible()
        await submit(page, "Ask for a copy of my data")
        await expect(page.get_by_role("status")).to_contain_text("We are making your export")
        await _shot(page, tmp_path, "asked")

        # The worker makes it; the owner learns of it in the inbox.
        await page.goto(f"{base}/notifications")
        told = page.get_by_role("listitem").filter(has_text="Your data export is ready")
        for _ in range(60):
            if await told.count():
                break
            await page.wait_for_timeout(500)  # the worker's poll; bounded, reached on failure
            await page.reload()
        await expect(told).to_have_count(1)
        await told.get_by_role("link", name="Open").click()
        await expect(page).to_have_url(f"{base}/privacy/export")
        await expect(page.get_by_text("ready until")).to_be_visible()
        await assert_accessible(page)
        await _shot(page, tmp_path, "ready")
        page_hash = (await page.locator(".export-hash code").first.inner_text()).strip()

        await page.get_by_label("Your password (to confirm it is you)").fill("not my password")
        await submit(page, "Download")
        await expect(page.get_by_role("alert")).to_contain_text("Enter your current password")
        await _shot(page, tmp_path, "wrong-password")

        await page.get_by_label("Your password (to confirm it is you)").fill(DEFAULT_PASSWORD)
        async with page.expect_download() as waiting:
            await page.get_by_role("button", name="Download").click()
        download = await waiting.value
        assert download.suggested_filename.startswith("linkplus-data-export-")
        assert download.suggested_filename.endswith(".zip")
        saved = tmp_path / download.suggested_filename
        await download.save_as(saved)

    shown_hash = hashlib.sha256(saved.read_bytes()).hexdigest()
    with zipfile.ZipFile(saved) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["schema_version"] == 1
        for entry in manifest["files"]:
            content = archive.read(entry["path"])
            assert hashlib.sha256(content).hexdigest() == entry["sha256"], entry["path"]
            assert len(content) == entry["size"]
        assert {entry["path"] for entry in manifest["files"]} == set(archive.namelist()) - {
            "manifest.json"
        }
        garage = json.loads(archive.read("garage.json"))
        assert [row["vin"] for row in garage["tables"]["garage_entries"]["rows"]] == [car.vin]
    assert shown_hash == page_hash  # the file is the one the page described
