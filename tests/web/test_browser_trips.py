"""The trips pages in headless Chromium on a phone-sized screen against the real server: the list
by month, a partly private trip with its route drawn (the rebuilt part dashed), its score
breakdown and tip, and the monthly page with the daily graph."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import expect

from linkplus.bootstrap import build_runtime
from linkplus.config import Settings
from linkplus.jobs.worker import Worker
from linkplus.runtime import Runtime
from tests.factories import DEFAULT_PASSWORD
from tests.trips_e2e.support import deliver, make_trip, trip_upload
from tests.vehicle_link.harness import make_car
from tests.web.test_browser import (  # noqa: F401 - live_server is a fixture used below
    PHONE,
    LiveServer,
    live_server,
    require_chromium,
    submit,
)
from tests.web.test_browser_garage import async_playwright_browser

SHOTS = Path("/tmp/linkplus-trips-screenshots")  # kept after the run, to look at


@pytest.fixture
async def registry(database_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    """Direct access to the live server's database, to prepare the owner, car and trips."""
    runtime = build_runtime(
        Settings(
            data_dir=tmp_path,
            database_url=database_url,
            secret_key="browser-test-secret-key-long-enough-for-hs256",
            argon2_time_cost=1,
            argon2_memory_kib=8192,
            argon2_parallelism=1,
        )
    )
    yield runtime
    await runtime.db.dispose()


@pytest.mark.browser
async def test_an_owner_reads_trips_a_drawn_route_and_the_month(
    live_server: LiveServer,  # noqa: F811 - the fixture imported above
    registry: Runtime,
    tmp_path: Path,
) -> None:
    require_chromium()
    base = live_server.url
    async with httpx.AsyncClient(base_url=base) as api:
        car = await make_car(registry, api, model_code="NX450HP")
    now = registry.clock.now()
    today = datetime.combine(now.date(), datetime.min.time(), UTC)
    partly_private = make_trip(
        today + timedelta(hours=1), seconds=1200, private=(400, 700), wobble=1.5
    )
    earlier = [make_trip(today - timedelta(days=d, hours=-8), seconds=900) for d in (1, 3, 6)]
    uploads = [trip_upload(t, n) for n, t in enumerate([*earlier, partly_private], 1)]
    await deliver(registry, car.vin, *uploads)
    await Worker(registry, name="browser-test").run_due()

    async with async_playwright_browser() as browser:
        context = await browser.new_context(viewport=PHONE)
        page = await context.new_page()
        await page.goto(f"{base}/signin")
        await page.get_by_label("E-mail address").fill(car.owner.account.email)
        await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        await submit(page, "Sign in")
        await page.goto(f"{base}/vehicle/{car.vin}")

        await page.get_by_role("link", name="Trips and driving scores").click()
        await expect(page.get_by_role("heading", name="All trips")).to_be_visible()
        month = today.strftime("%B %Y")
        trips = page.get_by_role("list", name=f"Trips in {month}")
        await expect(trips.get_by_role("link")).to_have_count(
            sum(1 for d in (1, 3, 6) if (today - timedelta(days=d)).month == today.month) + 1
        )
        await page.screenshot(path=str(tmp_path / "list.png"), full_page=True)

        await trips.get_by_role("link").first.click()
        await expect(page.get_by_role("heading", name="Route")).to_be_visible()
        route = page.get_by_role("img", name="Route of the trip; dashed parts are rebuilt")
        await expect(route).to_be_visible()
        rebuilt = route.locator("path.route-rebuilt")
        await expect(rebuilt).to_have_count(1)
        dash = await rebuilt.evaluate("p => getComputedStyle(p).strokeDasharray")
        assert dash not in ("", "none")
        box = await route.bounding_box()
        assert box is not None
        assert box["width"] <= PHONE["width"]  # fits the phone's screen
        await expect(page.get_by_text("rebuilt from the known points")).to_be_visible()
        breakdown = page.get_by_role("list", name="Score breakdown")
        await expect(breakdown.get_by_role("listitem")).to_have_count(2)  # no constant speed
        await expect(page.get_by_text("Tip:")).to_be_visible()
        await page.screenshot(path=str(tmp_path / "detail.png"))

        await page.get_by_role("link", name="← All trips").click()
        await page.get_by_role("link", name="Monthly overview").click()
        await expect(page.get_by_role("heading", name=month)).to_be_visible()
        graph = page.get_by_role("img", name=f"Daily score for {month}")
        await expect(graph).to_be_visible()
        bars = graph.locator("rect.day-bar")
        assert await bars.count() >= 1
        first_bar = await bars.first.bounding_box()
        assert first_bar is not None
        assert first_bar["height"] > 5
        await page.screenshot(path=str(tmp_path / "monthly.png"), full_page=True)

    for name in ("list", "detail", "monthly"):
        assert _keep(tmp_path / f"{name}.png").startswith(b"\x89PNG")


def _keep(shot: Path) -> bytes:
    """Copy a screenshot where a person can look at it after the run; its bytes."""
    SHOTS.mkdir(exist_ok=True)
    shutil.copyfile(shot, SHOTS / f"trips-{shot.name}")
    return shot.read_bytes()
