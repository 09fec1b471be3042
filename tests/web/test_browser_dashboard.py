"""The car's dashboard and the Map section in headless Chromium against the real server (its
worker, broker and gateway), at phone size (390×844) and on a desktop (1280×900).

An owner with two cars in the garage opens the first car's dashboard: the tiles show what the car
reported with its age, the picture of its body type, the parked position on a small map over the
platform's own base map (the demo city's roads, as ``linkplus demo`` writes them), and the
switcher goes to the other car. On the Map the car's marker, the five recent trips (a month of
trips driven on the same city's roads) and the roads are drawn; the browser gives the phone's
position (granted in the test) and the page says how far the car is and in which direction.

No inline script and nothing from elsewhere is loaded: a browser console error fails the test.
Screenshots go to /tmp/linkplus-dashboard-screenshots, or to the folder LINKPLUS_SCREENSHOTS names
(docs/screenshots/ when the documentation's pictures are renewed)."""

from __future__ import annotations

import math
import os
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import ConsoleMessage, Page, expect
from sqlalchemy import update

from linkplus.demo import DEMO_HOME
from linkplus.demo.history import DEFAULT_SEED, give_demo_history
from linkplus.models.accounts import Account
from linkplus.runtime import Runtime
from linkplus.sim.basemap import write_roads
from linkplus.sim.roads import BRUSSELS, METRES_PER_DEGREE, build_network
from linkplus.vehicles import service as vehicles
from linkplus.web.map_pages import RECENT_TRIPS
from tests.connected_services.support import link, make_vehicle
from tests.support import DEFAULT_PASSWORD
from tests.vehicle_link.support import make_car
from tests.web.support import (
    PARKED,
    PHONE,
    FakeUnit,
    LiveServer,
    async_playwright_browser,
    keep_copy,
    require_chromium,
    submit,
)

SHOTS = Path(os.environ.get("LINKPLUS_SCREENSHOTS", "/tmp/linkplus-dashboard-screenshots"))
DESKTOP = {"width": 1280, "height": 900}
LAT = "Vehicle.CurrentLocation.Latitude"
LON = "Vehicle.CurrentLocation.Longitude"


def _watch_console(page: Page, errors: list[str]) -> None:
    def seen(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", seen)
    page.on("pageerror", lambda exc: errors.append(str(exc)))


async def _shot(page: Page, tmp_path: Path, name: str) -> None:
    shot = tmp_path / f"{name}.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert keep_copy(shot, SHOTS / f"{name}.png").startswith(b"\x89PNG")


def _metres_and_bearing(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    phi1, phi2 = math.radians(a[0]), math.radians(b[0])
    d_phi, d_lambda = phi2 - phi1, math.radians(b[1] - a[1])
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    metres = 2 * 6_371_008.8 * math.asin(math.sqrt(h))
    y = math.sin(d_lambda) * math.cos(phi2)
    x = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(d_lambda)
    return metres, (math.degrees(math.atan2(y, x)) + 360) % 360


@pytest.mark.browser
async def test_an_owner_reads_the_dashboard_and_finds_the_car_on_the_map(
    live_server: LiveServer, registry: Runtime, tmp_path: Path
) -> None:
    require_chromium()
    base = live_server.url
    network = build_network(DEFAULT_SEED)
    write_roads(network, live_server.settings.base_map_path)  # as `linkplus demo` does
    async with httpx.AsyncClient(base_url=base) as api:
        car = await make_car(registry, api, model_code="NX450HP")
    second = await make_vehicle(registry, model_code="UX300E")
    await link(registry, car.owner.account, second, primary=True)
    async with registry.db.transaction() as session:
        vehicle = await vehicles.get_vehicle(session, car.vin)
        assert vehicle is not None
        saved = await give_demo_history(
            session,
            registry,
            vin=car.vin,
            model=vehicles.model_of(vehicle),
            now=registry.clock.now(),
            home=DEMO_HOME,
        )
    assert saved > RECENT_TRIPS
    # Parked at the junction nearest the demo's home, where its trips begin and end: on a road
    # of the base map.
    home_x = (
        (DEMO_HOME.lon - BRUSSELS.lon) * METRES_PER_DEGREE * math.cos(math.radians(BRUSSELS.lat))
    )
    home_y = (DEMO_HOME.lat - BRUSSELS.lat) * METRES_PER_DEGREE
    home = min(network.nodes, key=lambda node: math.hypot(node.x - home_x, node.y - home_y))
    lats, lons = network.latlon(home.x, home.y)
    parked = (round(float(lats), 6), round(float(lons), 6))
    unit = FakeUnit(registry, car.vin)
    reported = registry.clock.now() - timedelta(minutes=3)
    await unit.event("ignition_off", at=reported - timedelta(seconds=20))
    await unit.telemetry({**PARKED, LAT: parked[0], LON: parked[1]}, at=reported)
    phone = (parked[0] - 0.009, parked[1] - 0.004)  # about a kilometre south-south-west
    metres, bearing = _metres_and_bearing(phone, parked)

    errors: list[str] = []
    async with async_playwright_browser() as browser:
        for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            context = await browser.new_context(
                viewport=viewport,
                permissions=["geolocation"],
                geolocation={"latitude": phone[0], "longitude": phone[1]},
            )
            page = await context.new_page()
            _watch_console(page, errors)
            await page.goto(f"{base}/signin")
            await page.get_by_label("E-mail address").fill(car.owner.account.email)
            await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
            await submit(page, "Sign in")
            await page.goto(f"{base}/vehicle/{car.vin}")

            # The dashboard: the picture, the tiles with their ages, the small map.
            await expect(
                page.get_by_role("heading", name="Lexus NX 450h+", level=1)
            ).to_be_visible()
            picture = page.get_by_role("img", name="Drawing of a SUV")
            await expect(picture).to_be_visible()
            assert await picture.evaluate("img => img.naturalWidth") > 0
            await expect(page.get_by_role("heading", name="Lock")).to_be_visible()
            await expect(page.locator("section[aria-labelledby=t-lock] .tile-value")).to_have_text(
                "Unlocked"
            )
            await expect(
                page.locator("section[aria-labelledby=t-odometer] .tile-age")
            ).to_have_text("Updated 3 minutes ago")
            trip_tile = page.locator("section[aria-labelledby=t-trip]")
            await expect(trip_tile).to_contain_text("Score")
            small = page.locator(".lp-map-small")
            await expect(small).to_have_attribute("data-ready", "true")
            await expect(small).to_have_attribute("data-car-drawn", "true")
            assert int(await small.get_attribute("data-roads-drawn") or 0) > 500
            await expect(small.locator(".lp-car-marker")).to_be_visible()
            await expect(page.locator("#remote")).to_be_visible()  # the remote controls stay
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{size}: the page scrolls sideways ({width} px)"
            await _shot(page, tmp_path, f"dashboard-{size}")

            # The switcher goes to the other car, and back.
            switcher = page.get_by_role("navigation", name="Your cars")
            await switcher.get_by_role("link", name="Lexus UX 300e").click()
            await expect(page.get_by_role("heading", name="Lexus UX 300e", level=1)).to_be_visible()
            await expect(
                page.get_by_role("img", name="Drawing of a compact crossover")
            ).to_be_visible()
            await switcher.get_by_role("link", name="Lexus NX 450h+").click()
            await expect(
                page.get_by_role("heading", name="Lexus NX 450h+", level=1)
            ).to_be_visible()

            # The Map: the car, the recent trips and the roads, and the way from the phone.
            await page.get_by_role("link", name="Find my car", exact=True).click()
            await expect(page.get_by_role("heading", name="Map", level=1)).to_be_visible()
            big = page.locator("#map")
            await expect(big).to_have_attribute("data-ready", "true")
            assert await big.get_attribute("data-error") is None
            await expect(big).to_have_attribute("data-trips-drawn", str(RECENT_TRIPS))
            await expect(big.locator(".lp-car-marker")).to_have_count(1)
            assert await big.locator("path.lp-trip").count() >= RECENT_TRIPS
            assert await big.locator("path.lp-road").count() == 5  # one per road class
            await expect(
                page.get_by_role("list", name="Recent trips").get_by_role("listitem")
            ).to_have_count(RECENT_TRIPS)
            distance = page.locator("[data-lp-distance]")
            await expect(distance).to_contain_text("Your car is")  # asked by itself: granted
            shown_metres = int(await distance.get_attribute("data-metres") or 0)
            shown_bearing = int(await distance.get_attribute("data-bearing") or -1)
            assert abs(shown_metres - metres) <= 2, (shown_metres, metres)
            assert abs(shown_bearing - round(bearing)) <= 1, (shown_bearing, bearing)
            await expect(distance).to_contain_text(f"{metres / 1000:.1f} km away, to the north")
            await expect(big.locator("path.lp-me")).to_have_count(1)
            await page.get_by_role("button", name="Update distance").click()
            await expect(big.locator("path.lp-me")).to_have_count(1)  # replaced, not added
            await expect(big).to_have_attribute("data-located", "true")
            await _shot(page, tmp_path, f"map-{size}")
            await context.close()

        # The map's script speaks the owner's language too: its words come from the page.
        async with registry.db.transaction() as session:
            await session.execute(
                update(Account).where(Account.id == car.owner.account.id).values(language="de")
            )
        context = await browser.new_context(
            viewport=PHONE,
            permissions=["geolocation"],
            geolocation={"latitude": phone[0], "longitude": phone[1]},
        )
        page = await context.new_page()
        _watch_console(page, errors)
        await page.goto(f"{base}/signin")
        await page.get_by_label("E-mail address").fill(car.owner.account.email)
        await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        await submit(page, "Sign in")
        await page.goto(f"{base}/map")
        distance = page.locator("[data-lp-distance]")
        await expect(distance).to_contain_text(
            f"Ihr Auto ist {metres / 1000:.1f} km entfernt, Richtung Norden"
        )
        await expect(page.get_by_role("button", name="Entfernung aktualisieren")).to_be_visible()
        await context.close()
    assert errors == []
