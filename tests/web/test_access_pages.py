"""Who saw my data, through the pages: the console asks staff why before it shows an owner's
data (and remembers the answer for that car or case for 15 minutes of the same sign-in), a
safety agent working a case is not asked, and the owner reads every look in the privacy portal
(role, organisation, reason, what; no staff name). In Chromium on a phone: an agent gives the
reason, the owner sees the entry."""

from __future__ import annotations

import html
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import expect
from sqlalchemy import func, select

from linkplus.app import create_app
from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import StaffAccount, StaffRole
from linkplus.models.audit import StaffAccessRecord
from linkplus.runtime import Runtime
from tests.garage.support import make_car
from tests.support import DEFAULT_PASSWORD, bearer_for, make_owner, make_staff
from tests.web.support import (
    PHONE,
    LiveServer,
    add_by_reading,
    async_playwright_browser,
    console_staff,
    csrf_in,
    give_console_reason,
    hold_positions,
    keep_copy,
    owned_car,
    require_chromium,
    sign_in,
    sos_through_the_service,
    submit,
    text_of,
)

SHOTS = Path(os.environ.get("LINKPLUS_SCREENSHOTS", "/tmp/linkplus-access-screenshots"))


@pytest.fixture
async def console(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The staff member's browser: its own cookies."""
    transport = httpx.ASGITransport(app=create_app(runtime, run_worker=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def _words(page: str) -> str:
    return html.unescape(text_of(page))


async def _sources(runtime: Runtime) -> list[tuple[str, str, str]]:
    """(what, reason code, how the reason came) of every record, oldest first."""
    async with runtime.db.transaction() as session:
        rows = await session.execute(
            select(
                StaffAccessRecord.what,
                StaffAccessRecord.reason_code,
                StaffAccessRecord.reason_source,
            ).order_by(StaffAccessRecord.id)
        )
        return [(what, code, source) for what, code, source in rows.all()]


async def _sign_out(console: httpx.AsyncClient) -> None:
    landing = await console.get("/console")
    await console.post("/console/signout", data={"csrf_token": csrf_in(landing.text)})


async def _sign_in_again(console: httpx.AsyncClient, staff: StaffAccount) -> None:
    form = await console.get("/console/signin")
    answer = await console.post(
        "/console/signin",
        data={"email": staff.email, "password": DEFAULT_PASSWORD, "csrf_token": csrf_in(form.text)},
    )
    assert answer.headers["location"] == "/console"


async def test_the_console_asks_why_before_a_car_and_remembers_it_for_15_minutes(
    runtime: Runtime, client: httpx.AsyncClient, console: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await make_car(runtime, plate="B-AC 15")
    owner = await make_owner(runtime, email="looked.at@example.com")
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    assert (await add_by_reading(client, car.vin, car.odometer_km or 0)).status_code == 303
    dealer = await console_staff(runtime, console, StaffRole.dealer)
    page = f"/console/vehicles/{car.vin}"
    action = f"{page}/access-reason"

    asked = await console.get(page)
    assert asked.status_code == 403
    assert "looked.at@example.com" not in asked.text  # no data before the reason
    assert "B-AC 15" not in asked.text
    words = _words(asked.text)
    assert "Why do you open this?" in words
    assert "remembered for this page for 15 minutes" in words
    token = csrf_in(asked.text)
    for bad, message in [
        ({"reason": ""}, "Choose why you open this"),
        ({"reason": "other", "reason_text": "hm"}, "at least 5 characters"),
        ({"reason": "owner_phone_help", "reason_text": "a\u200bb"}, "invisible or control"),
    ]:
        refused = await console.post(action, data={**bad, "csrf_token": token})
        assert refused.status_code == 422, bad
        assert message in _words(refused.text)
        assert "looked.at@example.com" not in refused.text
    assert await _sources(runtime) == []  # refused looks record nothing

    shown = await console.post(
        action,
        data={"reason": "dealer_service_visit", "reason_text": "booking 4711", "csrf_token": token},
    )
    assert shown.status_code == 200
    assert "looked.at@example.com" in shown.text
    clock.advance(minutes=10)
    again = await console.get(page)  # within 15 minutes of the same sign-in: not asked
    assert again.status_code == 200
    assert "looked.at@example.com" in again.text
    assert await _sources(runtime) == [
        ("vehicle_record", "dealer_service_visit", "given"),
        ("vehicle_record", "dealer_service_visit", "remembered"),
    ]
    clock.advance(minutes=6)  # 16 minutes after the reason was given
    assert (await console.get(page)).status_code == 403
    await give_console_reason(console, page, action, reason="owner_in_person")
    await _sign_out(console)
    await _sign_in_again(console, dealer)
    assert (await console.get(page)).status_code == 403  # a new sign-in is asked again
    assert len(await _sources(runtime)) == 3

    portal = await client.get("/account/privacy")
    assert 'href="/privacy/access"' in portal.text
    listed = await client.get("/privacy/access")
    assert listed.status_code == 200
    entries = _words(listed.text)
    assert "Dealer staff, Dealer" in entries
    assert "You asked for help in person" in entries
    assert "Dealer service visit: booking 4711" in entries
    assert "Your car's record: the accounts on it, names and e-mail addresses" in entries
    for private in (dealer.name, dealer.email, str(dealer.id)):
        assert private not in listed.text
    assert entries.index("You asked for help in person") < entries.index("booking 4711")

    other = await make_owner(runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(runtime, run_worker=False)),
        base_url="http://testserver",
    ) as stranger:
        await sign_in(stranger, other.email, DEFAULT_PASSWORD)
        nothing = _words((await stranger.get("/privacy/access")).text)
        assert "No staff member has looked at your personal data." in nothing
        assert "Dealer" not in nothing
    assert (await console.get("/privacy/access")).status_code in (303, 307)  # staff: no owner


async def test_safety_agents_working_a_case_are_not_asked_and_a_reviewer_is(
    runtime: Runtime, client: httpx.AsyncClient, console: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await owned_car(runtime, client, email="case.owner@example.com")
    emergency = await console_staff(runtime, console, StaffRole.emergency_agent)
    case_id = await sos_through_the_service(runtime, car.vin)
    page = f"/console/safety/cases/{case_id}"
    opened = await console.get(page)
    assert opened.status_code == 200  # waiting in the queue, no owner shown: not asked
    taken = await console.post(f"{page}/take", data={"csrf_token": csrf_in(opened.text)})
    assert taken.status_code == 303
    shown = await console.get(page)
    assert "case.owner@example.com" in shown.text or "Alex Driver" in shown.text
    assert await _sources(runtime) == [("case", "emergency_response", "case")]
    assert emergency.role == "emergency_agent"

    reported = await client.post(
        f"/api/v1/vehicles/{car.vin}/safety/theft",
        json={"police_reference": "PV/2026/1500"},
        headers=await bearer_for(runtime, car.account),
    )
    assert reported.status_code == 201, reported.text
    svt = await bearer_for(runtime, await make_staff(runtime, role=StaffRole.svt_agent))
    queue = (await client.get("/api/v1/staff/safety/cases", headers=svt)).json()
    (theft,) = [c for c in queue if c["kind"] == "theft"]
    await client.post(f"/api/v1/staff/safety/cases/{theft['id']}/take", headers=svt)
    await hold_positions(runtime, uuid.UUID(theft["id"]), car.vin, [(52.52, 13.405)])

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(runtime, run_worker=False)),
        base_url="http://testserver",
    ) as reviewer:
        await console_staff(runtime, reviewer, StaffRole.supervisor)
        trail_page = f"/console/safety/cases/{theft['id']}"
        before = len(await _sources(runtime))
        asked = await reviewer.get(trail_page)
        assert asked.status_code == 403
        assert "position trail" in _words(asked.text)
        assert "52.52" not in asked.text
        assert len(await _sources(runtime)) == before  # nothing recorded, no timeline entry
        shown = await give_console_reason(
            reviewer,
            trail_page,
            f"{trail_page}/access-reason",
            reason="legal_request",
            text="prosecutor's request 12/27",
        )
        assert shown.status_code == 200
        assert "PV/2026/1500" in shown.text
        assert (await reviewer.get(trail_page)).status_code == 200  # remembered
        csv = await reviewer.get(f"{trail_page}/positions.csv")
        assert csv.headers["content-type"].startswith("text/csv")
    assert (await _sources(runtime))[before:] == [
        ("position_trail", "legal_request", "given"),
        ("position_trail", "legal_request", "remembered"),
        ("position_trail", "legal_request", "remembered"),
    ]
    await sign_in(client, car.account.email, DEFAULT_PASSWORD)
    entries = _words((await client.get("/privacy/access")).text)
    assert "Safety-centre supervisor, Safety centre" in entries
    assert "Legal request (a court or an authority): prosecutor's request 12/27" in entries
    assert "Emergency agent, Emergency centre" in entries
    assert "automatic" in entries


@pytest.mark.browser
async def test_an_agent_gives_a_reason_in_the_console_and_the_owner_sees_it(
    live_server: LiveServer, registry: Runtime, tmp_path: Path
) -> None:
    require_chromium()
    base = live_server.url
    async with httpx.AsyncClient(base_url=base) as api:
        car = await owned_car(registry, api, email="portal.owner@example.com")
    agent = await make_staff(registry, role=StaffRole.agent)

    async with async_playwright_browser() as browser:
        staff_page = await (await browser.new_context(viewport=PHONE)).new_page()
        await staff_page.goto(f"{base}/console/signin")
        await staff_page.get_by_label("Staff e-mail address").fill(agent.email)
        await staff_page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        await submit(staff_page, "Sign in to the console")
        await staff_page.goto(f"{base}/console/vehicles/{car.vin}")
        await expect(
            staff_page.get_by_role("heading", name="Why do you open this?")
        ).to_be_visible()
        await expect(staff_page.get_by_text("portal.owner@example.com")).to_have_count(0)
        await staff_page.get_by_label("Reason").select_option("owner_phone_help")
        await staff_page.get_by_label("In your own words").fill("call 2026-12-07 about the app")
        shot = tmp_path / "reason.png"
        await staff_page.screenshot(path=str(shot), full_page=True)
        assert keep_copy(shot, SHOTS / "access-console-reason.png").startswith(b"\x89PNG")
        await submit(staff_page, "Open")
        await expect(staff_page.get_by_text("portal.owner@example.com")).to_be_visible()

        owner_page = await (await browser.new_context(viewport=PHONE)).new_page()
        await owner_page.goto(f"{base}/signin")
        await owner_page.get_by_label("E-mail address").fill("portal.owner@example.com")
        await owner_page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        await submit(owner_page, "Sign in")
        await owner_page.goto(f"{base}/account/privacy")
        await owner_page.get_by_role("link", name="Who saw my data").click()
        await expect(owner_page.get_by_role("heading", name="Who saw my data")).to_be_visible()
        entry = owner_page.locator(".access-entry")
        await expect(entry).to_have_count(1)
        await expect(entry).to_contain_text("Customer-centre agent, Customer centre")
        await expect(entry).to_contain_text(
            "You asked for help by phone: call 2026-12-07 about the app"
        )
        await expect(entry).to_contain_text("Your car's record")
        await expect(entry).not_to_contain_text(agent.name)
        shot = tmp_path / "portal.png"
        await owner_page.screenshot(path=str(shot), full_page=True)
        assert keep_copy(shot, SHOTS / "access-owner-portal.png").startswith(b"\x89PNG")
    async with registry.db.transaction() as session:
        count = await session.scalar(select(func.count()).select_from(StaffAccessRecord))
    assert count == 1
