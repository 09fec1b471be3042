"""The Vehicle status page: what the car reported, part by part with its time, the connection
state, the parked position (hidden in privacy mode), the Refresh form, and who may see it.

The car's messages go through the gateway's own processing (``Gateway.process``), so the page
shows exactly what the gateway stored."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy import select

from linkplus.kit.clock import ManualClock
from linkplus.models.jobs import Job
from linkplus.runtime import Runtime
from tests.connected_services.support import link, make_vehicle, owner
from tests.support import DEFAULT_PASSWORD
from tests.vehicle_link.support import Car, make_car
from tests.web.support import PARKED, FakeUnit, csrf_in, sign_in

LAT = "Vehicle.CurrentLocation.Latitude"
LON = "Vehicle.CurrentLocation.Longitude"


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def signed_in_owner(client: httpx.AsyncClient, car: Car) -> None:
    await sign_in(client, car.owner.account.email, DEFAULT_PASSWORD)


async def test_the_status_page_shows_what_the_car_reported_and_where_it_parked(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await make_car(runtime, client, model_code="NX450HP")
    await signed_in_owner(client, car)
    car_page = await client.get(f"/vehicle/{car.vin}")
    assert f'href="/vehicle/{car.vin}/status"' in car_page.text

    empty = await client.get(f"/vehicle/{car.vin}/status")
    assert empty.status_code == 200
    assert "Not heard from yet" in text_of(empty.text)
    assert "Not reported yet" in text_of(empty.text)
    assert 'data-auto-refresh="10"' in empty.text  # auto-refresh.js, which can be paused
    assert 'http-equiv="refresh"' not in empty.text  # a meta refresh cannot (WCAG 2.2.1)

    unit = FakeUnit(runtime, car.vin)
    off = clock.now() - timedelta(minutes=3)
    await unit.event("ignition_off", at=off)
    await unit.telemetry(PARKED, at=off + timedelta(seconds=40))
    page = await client.get(f"/vehicle/{car.vin}/status")
    text = text_of(page.text)
    assert page.status_code == 200
    assert "Online" in text
    assert "A door is open" not in text
    assert "Front right closed, unlocked" in text
    assert "not locked" in text
    assert "Front right 40 % open" in text
    assert "Fuel 62 %, 402 km" in text
    assert "Battery 47 %, 31 km electric" in text
    assert "Charging charging" in text
    assert "15,432.7 km" in text
    assert "Front left 2.5 bar" in text
    assert "12.6 V" in text
    assert "Tyre pressure" in text
    assert f"Reported {(off + timedelta(seconds=40)).strftime('%d %b %Y, %H:%M UTC')}" in text
    assert "50.84671, 4.35251" in text
    assert 'href="geo:50.84671,4.35251"' in page.text
    assert "<svg" in page.text

    # Privacy mode on: the position is no longer shown, and the page says why.
    await unit.event(
        "privacy_mode_changed", at=clock.now() - timedelta(seconds=30), location_sharing=False
    )
    private = text_of((await client.get(f"/vehicle/{car.vin}/status")).text)
    assert "Privacy mode is on" in private
    assert "50.84671" not in private


async def test_refresh_posts_with_the_form_token_and_queues_the_command(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await make_car(runtime, client, model_code="UX300E")
    await signed_in_owner(client, car)
    page = await client.get(f"/vehicle/{car.vin}/status")
    action = f"/vehicle/{car.vin}/status/refresh"
    assert f'action="{action}"' in page.text

    refused = await client.post(action, data={})
    assert refused.status_code == 403

    sent = await client.post(action, data={"csrf_token": csrf_in(page.text)})
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/vehicle/{car.vin}/status?done=refresh_requested"
    after = await client.get(sent.headers["location"])
    assert "asked for a fresh status" in after.text
    async with runtime.db.transaction() as session:
        kinds = list(await session.scalars(select(Job.name)))
    assert kinds.count("vehicle_link.send_command") == 1

    # An asleep car is not asked: the page says to start the engine.
    unit = FakeUnit(runtime, car.vin)
    await unit.event("sleeping", at=clock.now() - timedelta(minutes=1))
    asleep = await client.get(f"/vehicle/{car.vin}/status")
    assert "Asleep" in text_of(asleep.text)
    again = await client.post(action, data={"csrf_token": csrf_in(asleep.text)})
    assert again.status_code == 409
    assert "start the engine" in again.text.lower()


async def test_only_the_primary_account_sees_the_status_and_strangers_get_404(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime, client, model_code="NX450HP")
    secondary = await owner(runtime, email="second.driver@example.com")
    await link(runtime, secondary.account, car.vin, primary=False)
    await sign_in(client, "second.driver@example.com", DEFAULT_PASSWORD)
    page = await client.get(f"/vehicle/{car.vin}/status")
    assert page.status_code == 200
    assert "Only the car's primary account sees its status" in text_of(page.text)
    assert "Refresh" not in page.text

    someone_elses = await make_vehicle(runtime)
    assert (await client.get(f"/vehicle/{someone_elses}/status")).status_code == 404
    unknown = "WVWZZZ1JZXW999999"
    assert (await client.get(f"/vehicle/{unknown}/status")).status_code == 404


async def test_the_page_says_when_the_service_is_not_active(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime, client, model_code="NX450HP", active=False)
    await signed_in_owner(client, car)
    page = await client.get(f"/vehicle/{car.vin}/status")
    assert page.status_code == 200
    assert "Connected Services Centre" in page.text
    assert "Vehicle status" in page.text
    assert "Refresh" not in page.text
