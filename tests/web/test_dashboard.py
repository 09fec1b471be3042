"""The car page as a dashboard: a tile per part of the car's state, each value with its age
measured on the injectable clock (plural forms right), the Refresh that comes back to the page,
the car's picture by body type, the switcher between the account's cars, and the safety light.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import event

from linkplus.kit.clock import ManualClock
from linkplus.runtime import Runtime
from linkplus.web.dashboard import age_words, body_type
from tests.connected_services.support import link, make_vehicle, owner
from tests.support import DEFAULT_PASSWORD
from tests.vehicle_link.support import make_car
from tests.web.support import PARKED, FakeUnit, csrf_in, sign_in, text_of

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ago", "words"),
    [
        (timedelta(0), "just now"),
        (timedelta(seconds=-30), "just now"),  # a car clock ahead of ours
        (timedelta(seconds=1), "1 second ago"),
        (timedelta(seconds=59), "59 seconds ago"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(minutes=3, seconds=59), "3 minutes ago"),
        (timedelta(hours=1), "1 hour ago"),
        (timedelta(hours=23, minutes=59), "23 hours ago"),
        (timedelta(days=1, hours=5), "1 day ago"),
        (timedelta(days=12), "12 days ago"),
    ],
)
def test_ages_are_in_words_with_the_right_plural(ago: timedelta, words: str) -> None:
    assert age_words(NOW - ago, NOW) == words


def test_no_moment_no_age() -> None:
    assert age_words(None, NOW) == ""


@pytest.mark.parametrize(
    ("model", "body"),
    [
        ("Lexus NX 450h+", "suv"),
        ("Lexus RZ 450e", "suv"),
        ("Lexus UX 300e", "crossover"),
        ("Lexus LBX", "crossover"),
        ("Lexus CT 200h", "hatchback"),
        ("Lexus ES 300h", "saloon"),
        ("Lexus LC 500", "coupe"),
        ("Unknown", "saloon"),
    ],
)
def test_the_picture_follows_the_body_type(model: str, body: str) -> None:
    assert body_type(model) == body


async def test_every_picture_is_served(client: httpx.AsyncClient) -> None:
    for body in ("suv", "crossover", "hatchback", "saloon", "coupe"):
        answer = await client.get(f"/static/cars/{body}.svg")
        assert answer.status_code == 200, body
        assert answer.headers["content-type"].startswith("image/svg+xml")
        assert "<title>" in answer.text


async def test_the_dashboard_shows_each_tile_with_its_age(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await make_car(runtime, client, model_code="NX450HP")
    await sign_in(client, car.owner.account.email, DEFAULT_PASSWORD)
    unit = FakeUnit(runtime, car.vin)
    reported = clock.now() - timedelta(minutes=3)
    await unit.event("ignition_off", at=reported - timedelta(seconds=20))
    await unit.telemetry(PARKED, at=reported)
    await unit.event("emergency_system_status", at=reported, light="working")

    page = await client.get(f"/vehicle/{car.vin}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert 'src="/static/cars/suv.svg"' in page.text
    assert "Unlocked" in text  # one door is not locked
    assert "1 window open" in text
    assert "47 %" in text
    assert "31 km electric range" in text
    assert "Fuel 62 %, 402 km" in text
    assert "15,433 km" in text
    assert "Tyre pressure" in text  # the warning light
    assert "Solid green: the emergency system works." in text
    assert "Updated 3 minutes ago" in text
    assert "Parked" in text
    assert "50.84671, 4.35251" in text
    assert 'data-lp-map data-car="{' in page.text
    assert "Services" in text
    assert "active" in text
    # The remote controls and the menu stay on the page.
    assert 'id="remote"' in page.text
    assert f'href="/vehicle/{car.vin}/trips"' in page.text
    assert f'href="/vehicle/{car.vin}/status"' in page.text
    assert f'href="/map?car={car.vin}"' in page.text

    # Time moves on the injectable clock; the ages follow, with their plurals.
    clock.advance(timedelta(minutes=58))
    later = text_of((await client.get(f"/vehicle/{car.vin}")).text)
    assert "Updated 1 hour ago" in later
    assert "Updated 3 minutes ago" not in later


async def test_the_tiles_say_what_is_open_and_locked(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await make_car(runtime, client, model_code="UX300E")
    await sign_in(client, car.owner.account.email, DEFAULT_PASSWORD)
    unit = FakeUnit(runtime, car.vin)
    at = clock.now() - timedelta(seconds=1)
    await unit.telemetry(
        {
            "Vehicle.Cabin.Door.Row1.DriverSide.IsOpen": True,
            "Vehicle.Cabin.Door.Row1.DriverSide.IsLocked": True,
            "Vehicle.Cabin.Door.Row1.PassengerSide.IsOpen": False,
            "Vehicle.Cabin.Door.Row1.PassengerSide.IsLocked": True,
            "Vehicle.Cabin.Door.Row2.DriverSide.IsOpen": False,
            "Vehicle.Cabin.Door.Row2.DriverSide.IsLocked": True,
            "Vehicle.Cabin.Door.Row2.PassengerSide.IsOpen": False,
            "Vehicle.Cabin.Door.Row2.PassengerSide.IsLocked": True,
            "Vehicle.Body.Trunk.Rear.IsOpen": True,
            "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current": 80.0,
            "Vehicle.Private.LinkPlus.WarningLights.Active": [],
        },
        at=at,
    )
    page = await client.get(f"/vehicle/{car.vin}")
    text = text_of(page.text)
    assert "Locked" in text
    assert "1 door open" in text
    assert "Boot open" in text
    assert "None on" in text
    assert "Updated 1 second ago" in text
    assert 'src="/static/cars/crossover.svg"' in page.text


async def test_refresh_from_the_dashboard_comes_back_to_it(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime, client, model_code="NX450HP")
    await sign_in(client, car.owner.account.email, DEFAULT_PASSWORD)
    page = await client.get(f"/vehicle/{car.vin}")
    action = f'action="/vehicle/{car.vin}/status/refresh"'
    assert action in page.text
    sent = await client.post(
        f"/vehicle/{car.vin}/status/refresh",
        data={"csrf_token": csrf_in(page.text), "back": "car"},
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/vehicle/{car.vin}?done=refresh_requested"
    after = await client.get(sent.headers["location"])
    assert "asked for a fresh status" in after.text


async def test_the_switcher_lists_every_car_of_the_garage(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime, client, model_code="NX450HP")
    second = await make_vehicle(runtime, model_code="UX300E")
    await link(runtime, car.owner.account, second, primary=True)
    await sign_in(client, car.owner.account.email, DEFAULT_PASSWORD)
    page = await client.get(f"/vehicle/{car.vin}")
    switcher = page.text.split('aria-label="Your cars"', 1)[1].split("</nav>", 1)[0]
    assert f'href="/vehicle/{car.vin}" aria-current="page"' in switcher
    assert f'href="/vehicle/{second}"' in switcher
    assert f'href="/vehicle/{second}" aria-current' not in switcher
    other = await client.get(f"/vehicle/{second}")
    assert other.status_code == 200
    assert f'href="/vehicle/{second}" aria-current="page"' in other.text


async def test_without_active_services_the_tiles_say_why(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime, client, model_code="NX450HP", active=False)
    await sign_in(client, car.owner.account.email, DEFAULT_PASSWORD)
    page = await client.get(f"/vehicle/{car.vin}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "is not active for this car" in text
    assert "to activate: Vehicle status, Find my car" in text
    assert "Refresh" not in text


async def test_a_secondary_account_and_a_stranger_see_no_dashboard(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime, client, model_code="NX450HP")
    secondary = await owner(runtime, email="second.driver@example.com")
    await link(runtime, secondary.account, car.vin, primary=False)
    await sign_in(client, "second.driver@example.com", DEFAULT_PASSWORD)
    page = await client.get(f"/vehicle/{car.vin}")
    assert page.status_code == 200
    assert "Secondary account" in page.text
    assert "data-lp-map" not in page.text
    assert "tile-value" not in page.text
    stranger = await make_vehicle(runtime)
    assert (await client.get(f"/vehicle/{stranger}")).status_code == 404


CAR_PAGE_STATEMENTS = 32  # bench/pages.py --quick counted 29 on the demo's car page


async def test_the_car_page_reads_the_services_once(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """The car page asks whether each service it offers is active (tiles, remote controls,
    safety, trips). The car's service states are read once per request: each ask used to cost
    a read of the car, its primary account, its activations and one subscriptions query per
    paid package, 59 statements for the demo's car page."""
    car = await make_car(runtime, client, model_code="NX450HP")
    await sign_in(client, car.owner.account.email, DEFAULT_PASSWORD)
    unit = FakeUnit(runtime, car.vin)
    await unit.telemetry(PARKED, at=clock.now() - timedelta(minutes=1))
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement)

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        page = await client.get(f"/vehicle/{car.vin}")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert page.status_code == 200
    activations = [s for s in statements if "FROM service_activations" in s]
    subscriptions = [s for s in statements if "FROM subscriptions" in s]
    assert len(activations) <= 1, activations
    assert len(subscriptions) <= 1, subscriptions
    assert len(statements) <= CAR_PAGE_STATEMENTS, "\n".join(statements)
