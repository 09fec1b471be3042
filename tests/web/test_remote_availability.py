"""The remote controls offer only what the car can run, and every refusal names its real cause.

The German hybrid (an NX 350h registered in Germany) is the case from the field: basic remote
climate idles its engine, which the German law forbids, so Start, Renew and Stop climate must
not be offered, and a stale form that sends them anyway is told about the law, not asked to
activate a service. With the paid remote package the same car runs engine start and stop,
advanced climate (which does not idle the engine) and climate schedules: the app offers those,
as forms, and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from linkplus.kit.clock import ManualClock
from linkplus.models.remote import ClimateSchedule, RemoteCommand
from linkplus.runtime import Runtime
from tests.connected_services.support import ACCEPT_DE, activate
from tests.subscriptions.support import Customer, at, customer, subscribe
from tests.support import DEFAULT_PASSWORD
from tests.web.support import csrf_in, sign_in

MARKET_LAW = "the law of the country the car is registered in does not allow"
ACTIVATE = "Activate it in the Connected Services Centre"


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def german_hybrid(
    runtime: Runtime, client: httpx.AsyncClient, browser: httpx.AsyncClient, *, paid: bool
) -> Customer:
    """An NX 350h registered in Germany, standard services active (and with ``paid`` the
    remote package), its owner signed in in ``browser``."""
    me = await customer(
        runtime, client, model_code="NX350H", market="DE", delivered=date(2025, 10, 1)
    )
    activated = await activate(client, me.who, me.vin, accept=ACCEPT_DE)
    assert activated.status_code == 200, activated.text
    if paid:
        started = await subscribe(client, me, "remote", "monthly")
        assert started.status_code in (200, 201), started.text
    await sign_in(browser, me.who.account.email, DEFAULT_PASSWORD)
    return me


def forms(html: str, vin: str) -> set[str]:
    return set(re.findall(rf'action="/vehicle/{vin}/remote/([a-z-]+)"', html))


async def post(browser: httpx.AsyncClient, vin: str, action: str, **fields: str) -> httpx.Response:
    page = await browser.get(f"/vehicle/{vin}/remote")
    return await browser.post(
        f"/vehicle/{vin}/remote/{action}", data={**fields, "csrf_token": csrf_in(page.text)}
    )


async def test_the_german_hybrid_is_not_offered_climate_and_its_refusals_name_the_law(
    runtime: Runtime,
    clock: ManualClock,
    paying_client: httpx.AsyncClient,
    browser: httpx.AsyncClient,
) -> None:
    clock.set(at(date(2026, 1, 5)))
    me = await german_hybrid(runtime, paying_client, browser, paid=False)
    for path in (f"/vehicle/{me.vin}", f"/vehicle/{me.vin}/remote"):
        page = await browser.get(path)
        assert page.status_code == 200, page.text
        offered = forms(page.text, me.vin)
        assert {"door-lock", "door-unlock", "hazard-lights-on"} <= offered, path
        for never in ("climate-start", "climate-renew", "climate-stop", "engine-start"):
            assert never not in offered, (path, never)
        assert "data-advanced-climate" not in page.text
        # What is not offered is named, with its cause.
        assert MARKET_LAW in page.text
        assert 'data-code="climate_not_allowed_in_market"' in page.text
        assert 'data-code="service_not_active"' in page.text  # engine start: the paid package

    # A stale page, another tab: the refusal names the law, never a service to activate.
    for action in ("climate-start", "climate-renew", "climate-stop"):
        refused = await post(browser, me.vin, action)
        assert refused.status_code == 409, (action, refused.text)
        alert = re.search(r'<p class="alert" role="alert">([^<]+)</p>', refused.text)
        assert alert is not None, action
        assert MARKET_LAW in alert.group(1), (action, alert.group(1))
        assert ACTIVATE not in alert.group(1)

    # The API says the same (one rule for both).
    state = await paying_client.get(f"/api/v1/vehicles/{me.vin}/remote-state", headers=me.headers)
    by_type = {c["type"]: c for c in state.json()["commands"]}
    for action in ("climate-start", "climate-renew", "climate-stop"):
        assert by_type[action]["offered"] is False
        assert by_type[action]["code"] == "climate_not_allowed_in_market"
    assert state.json()["advanced_climate_code"] == "service_not_active"
    async with runtime.db.read() as session:
        assert (await session.scalars(select(RemoteCommand))).all() == []


async def test_with_the_remote_package_it_offers_engine_advanced_climate_and_schedules(
    runtime: Runtime,
    clock: ManualClock,
    paying_client: httpx.AsyncClient,
    browser: httpx.AsyncClient,
) -> None:
    clock.set(at(date(2026, 1, 5)))
    me = await german_hybrid(runtime, paying_client, browser, paid=True)
    page = (await browser.get(f"/vehicle/{me.vin}/remote")).text
    offered = forms(page, me.vin)
    assert {"engine-start", "engine-stop", "climate-renew", "climate-stop"} <= offered
    assert "data-advanced-climate" in page
    assert 'data-type="climate-start"' not in page  # basic climate stays forbidden
    assert 'value="" selected' not in page  # no "as on the last trip": always advanced
    assert f'href="/vehicle/{me.vin}/remote/schedules"' in page

    # Advanced climate from the form: what the owner chose is what the car is told.
    started = await post(
        browser,
        me.vin,
        "climate-start",
        temperature_c="22.5",
        seat_heating_driver="2",
        seat_ventilation_passenger="1",
        steering_wheel_heating="on",
        defrost_front="on",
    )
    assert started.status_code == 303, started.text
    async with runtime.db.read() as session:
        command = (await session.scalars(select(RemoteCommand))).one()
    assert command.type == "climate-start"
    assert command.params["mode"] == "advanced"
    assert command.params["start_engine"] is False
    assert command.params["temperature_c"] == 22.5
    assert command.params["seat_heating"] == {"driver": 2}
    assert command.params["seat_ventilation"] == {"passenger": 1}
    assert command.params["steering_wheel_heating"] is True
    assert command.params["defrost"] == {"front": True, "rear": False}

    # A value out of range comes back on the page with what was chosen.
    wrong = await post(browser, me.vin, "climate-start", temperature_c="31", defrost_rear="on")
    assert wrong.status_code == 422
    assert "less than or equal to 30" in wrong.text
    assert 'name="defrost_rear" value="on" checked' in wrong.text


async def test_climate_schedules_are_kept_from_forms(
    runtime: Runtime,
    clock: ManualClock,
    paying_client: httpx.AsyncClient,
    browser: httpx.AsyncClient,
) -> None:
    clock.set(at(date(2026, 1, 5)))
    me = await german_hybrid(runtime, paying_client, browser, paid=True)
    base = f"/vehicle/{me.vin}/remote/schedules"
    page = await browser.get(base)
    assert page.status_code == 200, page.text
    token = csrf_in(page.text)

    no_days = await browser.post(
        f"{base}/new",
        data={"name": "Work", "kind": "weekly", "at": "07:15", "csrf_token": token},
    )
    assert no_days.status_code == 422, no_days.text
    assert "A weekly schedule needs at least one weekday." in no_days.text
    assert 'value="Work"' in no_days.text

    saved = await browser.post(
        f"{base}/new",
        data={
            "name": "Work",
            "kind": "weekly",
            "weekdays": ["mon", "fri"],
            "at": "07:15",
            "temperature_c": "21",
            "seat_heating_driver": "3",
            "csrf_token": token,
        },
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"{base}?done=created"
    listed = await browser.get(saved.headers["location"])
    assert "The schedule is saved." in listed.text
    assert "Mon, Fri" in listed.text
    assert "at 07:15 (Europe/Berlin)" in listed.text
    async with runtime.db.read() as session:
        schedule = (await session.scalars(select(ClimateSchedule))).one()
    assert schedule.settings == {"temperature_c": 21.0, "seat_heating": {"driver": 3}}

    paused = await browser.post(
        f"{base}/{schedule.id}/pause", data={"csrf_token": csrf_in(listed.text)}
    )
    assert paused.status_code == 303
    listed = await browser.get(paused.headers["location"])
    assert "Paused" in listed.text
    gone = await browser.post(
        f"{base}/{schedule.id}/delete", data={"csrf_token": csrf_in(listed.text)}
    )
    assert gone.status_code == 303
    assert "Mon, Fri" not in (await browser.get(gone.headers["location"])).text
    unknown = await browser.post(
        f"{base}/{schedule.id}/delete", data={"csrf_token": csrf_in(listed.text)}
    )
    assert unknown.status_code == 404
    assert "Back to the car" in unknown.text


async def test_without_the_package_schedules_say_why(
    runtime: Runtime,
    clock: ManualClock,
    paying_client: httpx.AsyncClient,
    browser: httpx.AsyncClient,
) -> None:
    clock.set(at(date(2026, 1, 5)))
    me = await german_hybrid(runtime, paying_client, browser, paid=False)
    page = await browser.get(f"/vehicle/{me.vin}/remote/schedules")
    assert page.status_code == 200
    assert 'data-code="service_not_active"' in page.text
    assert "data-new-schedule" not in page.text
    forged = await browser.post(
        f"/vehicle/{me.vin}/remote/schedules/new",
        data={
            "name": "Work",
            "kind": "weekly",
            "weekdays": "mon",
            "at": "07:15",
            "csrf_token": csrf_in(page.text),
        },
    )
    assert forged.status_code == 409
    assert "not active" in forged.text
