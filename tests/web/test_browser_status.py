"""The Vehicle status page in headless Chromium on a phone-sized screen, against the real server
with its embedded MQTT broker, gateway and worker, while the simulator's telematics unit drives
the car: the page shows the car's state, updates itself after the car has driven and parked,
and Refresh reaches the car and comes back."""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.async_api import expect
from sqlalchemy import select

from linkplus.app import create_app
from linkplus.bootstrap import build_runtime
from linkplus.config import Settings
from linkplus.kit.clock import SystemClock
from linkplus.models.twin import CommandResultRecord
from linkplus.runtime import Runtime
from linkplus.sim.car import SimulatedCar
from linkplus.sim.clock import ManualClock as SimManualClock
from linkplus.sim.plan import PlannedTrip
from linkplus.sim.unit import TelematicsUnit
from linkplus.vehicle_link.client import BrokerAddress, MqttVersion
from linkplus.vehicles.catalogue import catalogue
from tests.e2e.harness import NETWORK, SEED, choose_trip, shop
from tests.factories import DEFAULT_PASSWORD
from tests.services import free_port
from tests.vehicle_link.harness import make_car
from tests.web.test_browser import PHONE, require_chromium, submit
from tests.web.test_browser_garage import async_playwright_browser

MODEL = "NX450HP"
WAIT = 20.0  # seconds; the page reloads itself every 10


class AheadOfThePlatform(SimManualClock):
    """The car's clock is moved by the test; the platform runs on the system clock, as in the
    demo where the fleet's time runs faster than the platform's."""

    def platform_now(self) -> datetime:
        return SystemClock().now()


async def command_results(runtime: Runtime, vin: str) -> list[str]:
    async with runtime.db.transaction() as session:
        rows = await session.scalars(
            select(CommandResultRecord.status).where(CommandResultRecord.vin == vin)
        )
        return list(rows)


@dataclass
class Platform:
    url: str
    mqtt: BrokerAddress
    runtime: Runtime  # the same database, for preparing the owner and the car


@pytest.fixture
async def platform(database_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    """uvicorn serving the platform with the embedded broker on a free port, gateway and worker
    running, as ``linkplus serve`` does."""
    port, mqtt_port = free_port(), free_port()
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key="browser-status-secret-key-long-enough-for-hs256",
        public_url=f"http://127.0.0.1:{port}",
        smtp_url=None,
        worker_enabled=True,
        worker_poll_seconds=0.2,
        gateway_enabled=True,
        mqtt_port=mqtt_port,
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
    thread = threading.Thread(target=server.run, name="status-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start"
        await asyncio.sleep(0.02)  # waiting for start-up, not for time to pass
    direct = build_runtime(settings)
    try:
        yield Platform(
            settings.public_url, BrokerAddress("127.0.0.1", mqtt_port, MqttVersion.v311), direct
        )
    finally:
        await direct.db.dispose()
        server.should_exit = True
        await asyncio.to_thread(thread.join, 20)


@pytest.mark.browser
async def test_the_status_page_follows_a_simulated_car_as_it_drives_and_parks(
    platform: Platform, tmp_path: Path
) -> None:
    require_chromium()
    admin = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(platform.runtime, run_worker=False)),
        base_url="http://testserver",
    )
    async with admin:
        car = await make_car(platform.runtime, admin, model_code=MODEL)
    start = SystemClock().now().replace(microsecond=0)
    sim = AheadOfThePlatform(start)
    simulated = SimulatedCar.create(
        vin=car.vin, model=catalogue().models[MODEL], network=NETWORK, seed=SEED, start=start
    )

    def plan(this: SimulatedCar) -> Iterator[PlannedTrip]:
        yield choose_trip(
            this,
            name="browser",
            departure=start + timedelta(minutes=5),
            destination=shop(this),
            wanted=lambda outcome: not outcome.alerts and not outcome.privacy_changes,
        )

    unit = TelematicsUnit(
        simulated, secret=car.secret, address=platform.mqtt, clock=sim, plan=plan(simulated)
    )
    unit.send_status(start)  # what the car reports when it is switched on
    first_km = f"{round(simulated.state.odometer_km, 1):,.1f} km"
    stop = asyncio.Event()
    driving = asyncio.create_task(unit.run(stop))
    base = platform.url
    try:
        async with async_playwright_browser() as browser:
            context = await browser.new_context(viewport=PHONE)
            page = await context.new_page()
            await page.goto(f"{base}/signin")
            await page.get_by_label("E-mail address").fill(car.owner.account.email)
            await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
            await submit(page, "Sign in")
            await page.goto(f"{base}/vehicle/{car.vin}")
            await page.get_by_role("link", name="Vehicle status").click()
            await expect(page.get_by_role("heading", name="Vehicle status")).to_be_visible()

            odometer = page.locator("section", has=page.get_by_role("heading", name="Odometer"))
            await expect(odometer).to_contain_text(first_km, timeout=WAIT * 1000)
            await expect(page.get_by_role("heading", name="Online")).to_be_visible()
            doors = page.locator("section", has=page.get_by_role("heading", name="Doors and locks"))
            await expect(doors).to_contain_text("All closed")
            parked = page.locator(
                "section", has=page.get_by_role("heading", name="Last parked position")
            )
            await expect(parked).to_contain_text("not reported where it is parked")
            before_shot = tmp_path / "status-before.png"
            await page.screenshot(path=str(before_shot), full_page=True)

            # The car drives to the shop and parks: the open page shows it without a click.
            sim.set(start + timedelta(hours=2))
            async with asyncio.timeout(WAIT):
                # The unit's own tasks publish the trip; bounded by WAIT.
                while unit.stats.trips < 1 or unit.buffered:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            driven_km = f"{round(simulated.state.odometer_km, 1):,.1f} km"
            assert driven_km != first_km
            await expect(odometer).to_contain_text(driven_km, timeout=WAIT * 1000)
            lat = f"{simulated.state.lat:.5f}"
            await expect(parked).to_contain_text(lat, timeout=WAIT * 1000)
            await expect(parked.locator("svg.parked-marker")).to_be_visible()
            after_shot = tmp_path / "status-after.png"
            await page.screenshot(path=str(after_shot), full_page=True)

            # Refresh: the worker sends the command through the broker, the car answers.
            await submit(page, "Refresh")
            await expect(page.get_by_role("status")).to_contain_text("asked for a fresh status")
            results: list[str] = []
            async with asyncio.timeout(WAIT):
                # The command goes worker -> broker -> unit -> broker -> gateway; bounded.
                while not results:
                    await asyncio.sleep(0.05)
                    results = await command_results(platform.runtime, car.vin)
            assert results == ["succeeded"]  # a fresh status, not refused as expired
    finally:
        stop.set()
        await asyncio.wait_for(driving, WAIT)
    for shot in (before_shot, after_shot):
        assert shot.read_bytes().startswith(b"\x89PNG")
    shutil.copyfile(after_shot, Path("/tmp/linkplus-status-phone.png"))
