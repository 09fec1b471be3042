"""The car's Health page and a support case in headless Chromium on a phone-sized screen, against
the real server: the owner reads a warning in words, opens a case from Contact us, the customer
centre answers through the staff API, the owner reads the answer in the thread.

Screenshots are kept under /tmp/linkplus-health-screenshots (or the folder LINKPLUS_SCREENSHOTS
names: docs/screenshots/ when the documentation's pictures are renewed)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from linkplus.models.accounts import StaffRole
from linkplus.models.twin import TwinSignal
from linkplus.runtime import Runtime
from tests.support import DEFAULT_PASSWORD, bearer_for, make_staff
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

SHOTS = Path(os.environ.get("LINKPLUS_SCREENSHOTS", "/tmp/linkplus-health-screenshots"))


async def _shot(page: Page, tmp_path: Path, name: str) -> None:
    shot = tmp_path / f"{name}.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert keep_copy(shot, SHOTS / f"health-{name}.png").startswith(b"\x89PNG")


@pytest.mark.browser
async def test_the_owner_reads_a_warning_and_gets_an_answer_from_the_customer_centre(
    live_server: LiveServer, registry: Runtime, tmp_path: Path
) -> None:
    require_chromium()
    base = live_server.url
    async with httpx.AsyncClient(base_url=base) as api:
        car = await owned_car(registry, api, email="health.owner@example.com")
        now = registry.clock.now()
        async with registry.db.transaction() as session:
            for path, value in {
                "Vehicle.Private.LinkPlus.WarningLights.Active": ["tire_pressure"],
                "Vehicle.OBD.DTCList": [],
                "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure": 165,
                "Vehicle.Chassis.Axle.Row1.Wheel.Right.Tire.Pressure": 248,
                "Vehicle.Chassis.Axle.Row2.Wheel.Left.Tire.Pressure": 250,
                "Vehicle.Chassis.Axle.Row2.Wheel.Right.Tire.Pressure": 251,
                "Vehicle.LowVoltageBattery.CurrentVoltage": 12.6,
                "Vehicle.Powertrain.CombustionEngine.EngineOil.Level": "NORMAL",
                "Vehicle.TraveledDistance": 18250.4,
            }.items():
                session.add(
                    TwinSignal(vin=car.vin, path=path, value=value, ts=now, received_at=now)
                )

        async with async_playwright_browser() as browser:
            context = await browser.new_context(viewport=PHONE)
            page = await context.new_page()
            await page.goto(f"{base}/signin")
            await page.get_by_label("E-mail address").fill(car.account.email)
            await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
            await submit(page, "Sign in")

            await page.goto(f"{base}/vehicle/{car.vin}")
            await page.get_by_role("link", name="Health and service").click()
            await expect(page.get_by_role("heading", name="Health and service")).to_be_visible()
            warning = page.locator(".warning-item[data-code=tire_pressure]")
            await expect(warning).to_contain_text("One or more tyres have lost pressure.")
            await expect(warning).to_contain_text("Have it checked soon")
            await expect(page.locator(".tyre-list")).to_contain_text("165 kPa (Low)")
            await assert_accessible(page)
            await _shot(page, tmp_path, "page")

            await page.get_by_role("link", name="Support").first.click()
            await expect(page.get_by_role("heading", name="Contact us")).to_be_visible()
            await page.get_by_label("Service and Maintenance").check()
            await page.get_by_label("Subject").fill("Tyre keeps losing air")
            await page.get_by_label("Your message").fill("The front left tyre is low every week.")
            await assert_accessible(page)
            await submit(page, "Send")
            await expect(page.get_by_role("heading", name="Tyre keeps losing air")).to_be_visible()
            case_id = page.url.split("/support/cases/")[1].split("?")[0]

            agent = await make_staff(registry, role=StaffRole.agent)
            answered = await api.post(
                f"/api/v1/staff/support/cases/{case_id}/messages",
                json={"message": "A slow puncture is likely: your dealer can repair it."},
                headers=await bearer_for(registry, agent),
            )
            assert answered.status_code == 200, answered.text
            await page.reload()
            thread = page.locator(".thread")
            await expect(thread.locator(".from-agent")).to_contain_text("slow puncture")
            await expect(page.locator(".case-state")).to_have_text("Answered")
            await assert_accessible(page)
            await _shot(page, tmp_path, "support-case")


@pytest.mark.browser
async def test_an_agent_works_a_case_in_the_console(
    live_server: LiveServer, registry: Runtime, tmp_path: Path
) -> None:
    require_chromium()
    base = live_server.url
    async with httpx.AsyncClient(base_url=base) as api:
        car = await owned_car(registry, api, email="case.owner@example.com")
        owner_headers = await bearer_for(registry, car.account)
        opened = await api.post(
            "/api/v1/support/cases",
            json={
                "category": "car_and_app",
                "subject": "Trips missing since Monday",
                "message": "My trips since Monday do not show in the app.",
                "vin": car.vin,
            },
            headers=owner_headers,
        )
        assert opened.status_code == 201, opened.text
        case = opened.json()
        agent = await make_staff(registry, role=StaffRole.agent)

        async with async_playwright_browser() as browser:
            page = await (await browser.new_context(viewport=PHONE)).new_page()
            await page.goto(f"{base}/console/signin")
            await page.get_by_label("Staff e-mail address").fill(agent.email)
            await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
            await submit(page, "Sign in to the console")
            await page.get_by_role("link", name="Support cases").click()
            await page.get_by_role("link", name=case["reference"]).click()
            await expect(
                page.get_by_role("heading", name="Trips missing since Monday")
            ).to_be_visible()
            await expect(page.locator(".facts")).to_contain_text(car.account.email)
            await page.get_by_label("Your answer").fill("Please open the car's privacy mode page.")
            await submit(page, "Send the answer")
            await expect(page.get_by_role("status")).to_contain_text("Your answer is sent")
            await _shot(page, tmp_path, "console-case")
            await submit(page, "Close the case")
            await expect(page.get_by_role("status")).to_contain_text("The case is closed.")

        shown = (await api.get(f"/api/v1/support/cases/{case['id']}", headers=owner_headers)).json()
        assert shown["state"] == "closed"
        assert shown["messages"][-1] == {
            "author": "agent",
            "body": "Please open the car's privacy mode page.",
            "created_at": shown["messages"][-1]["created_at"],
        }
        records = (await api.get("/api/v1/privacy/access-records", headers=owner_headers)).json()
        assert {r["what"] for r in records["records"]} == {"support_case"}
