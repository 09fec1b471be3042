"""The trips pages over HTTP: the list by month, a trip with its route drawn as SVG (rebuilt
stretches dashed) and its score breakdown with a tip, and the monthly page's daily graph."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from linkplus.app import create_app
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.runtime import Runtime
from linkplus.web.trips_pages import ROUTE_HEIGHT, ROUTE_WIDTH, draw_route
from tests.connected_services.support import link, owner
from tests.support import DEFAULT_PASSWORD
from tests.trips_e2e.support import deliver, make_trip, trip_upload
from tests.vehicle_link.support import Car, make_car
from tests.web.support import sign_in, text_of


async def _car_with_trips(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, *starts: datetime, **trip: object
) -> Car:
    car = await make_car(runtime, client, model_code="NX450HP")
    uploads = [trip_upload(make_trip(s, **trip), n) for n, s in enumerate(starts, 1)]  # type: ignore[arg-type]
    await deliver(runtime, car.vin, *uploads)
    await worker.run_due()
    return car


async def test_the_trip_list_groups_by_month_and_links_each_trip(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, worker: Worker
) -> None:
    now = clock.now()
    car = await _car_with_trips(
        runtime, client, worker, now - timedelta(hours=2), now - timedelta(days=25)
    )
    await deliver(runtime, car.vin, trip_upload(make_trip(now - timedelta(hours=1), seconds=5), 9))
    await worker.run_due()
    await sign_in(client, car.owner.account.email, DEFAULT_PASSWORD)
    page = await client.get(f"/vehicle/{car.vin}/trips")
    assert page.status_code == 200, page.text
    words = text_of(page.text)
    assert "November 2026" in words
    assert "October 2026" in words
    assert words.index("November 2026") < words.index("October 2026")
    assert len(re.findall(rf'href="/vehicle/{car.vin}/trips/[0-9a-f-]{{36}}"', page.text)) == 2
    assert "1 trip not saved" in words  # the five-second hop
    assert "less than about 50 metres" in words
    car_page = await client.get(f"/vehicle/{car.vin}")
    assert f'href="/vehicle/{car.vin}/trips"' in car_page.text


async def test_a_trip_page_draws_the_route_and_dashes_the_rebuilt_part(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, worker: Worker
) -> None:
    car = await _car_with_trips(
        runtime, client, worker, clock.now() - timedelta(hours=1), private=(300, 500), wobble=1.5
    )
    await sign_in(client, car.owner.account.email, DEFAULT_PASSWORD)
    listing = await client.get(f"/vehicle/{car.vin}/trips")
    link_to = re.search(rf'href="(/vehicle/{car.vin}/trips/[0-9a-f-]{{36}})"', listing.text)
    assert link_to
    page = await client.get(link_to.group(1))
    assert page.status_code == 200, page.text
    assert page.text.count('class="route-line"') == 2
    assert page.text.count('class="route-line route-rebuilt"') == 1
    words = text_of(page.text)
    assert "rebuilt from the known points" in words
    assert "Tip: Look further ahead" in words  # braking was the weakest part
    assert "Hybrid coaching" in words
    assert "style=" not in page.text  # the page's CSP allows no inline styles


def test_the_route_fits_the_drawing_and_keeps_north_up() -> None:
    route = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[11.0, 48.0], [11.0, 48.01]]},
                "properties": {"rebuilt": False},
            },
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[11.0, 48.01], [11.02, 48.01]]},
                "properties": {"rebuilt": True},
            },
        ],
    }
    drawing = draw_route(route)
    assert drawing is not None
    xs_ys = [
        tuple(float(v) for v in point.split())
        for data, _ in drawing.paths
        for point in data[1:].split(" L")
    ]
    assert all(0 <= x <= ROUTE_WIDTH and 0 <= y <= ROUTE_HEIGHT for x, y in xs_ys)
    assert drawing.start[1] > drawing.end[1]  # started south: lower on the drawing
    assert [rebuilt for _, rebuilt in drawing.paths] == [False, True]
    assert draw_route(None) is None


async def test_the_monthly_page_has_a_bar_per_day_with_trips(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker
) -> None:
    days = [datetime(2026, 11, d, 8, 0, tzinfo=UTC) for d in (2, 2, 9, 17)]
    car = await _car_with_trips(runtime, client, worker, *days)
    await sign_in(client, car.owner.account.email, DEFAULT_PASSWORD)
    page = await client.get(f"/vehicle/{car.vin}/trips/monthly?month=2026-11")
    assert page.status_code == 200, page.text
    assert page.text.count('class="day-bar"') == 3
    assert "02 Nov: score" in page.text
    words = text_of(page.text)
    assert "Performance score" in words
    assert "Trips 4" in words
    assert "Next month" not in words  # November is this month
    october = await client.get(f"/vehicle/{car.vin}/trips/monthly?month=2026-10")
    assert "No trips this month" in text_of(october.text)


async def test_other_accounts_and_inactive_services_get_no_trips(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker
) -> None:
    car = await make_car(runtime, client, model_code="UX300E", active=False)
    await sign_in(client, car.owner.account.email, DEFAULT_PASSWORD)
    inactive = await client.get(f"/vehicle/{car.vin}/trips")
    assert inactive.status_code == 409
    assert "Connected Services Centre" in text_of(inactive.text)

    other = await make_car(runtime, client, model_code="NX450HP")
    stranger = await client.get(f"/vehicle/{other.vin}/trips")
    assert stranger.status_code == 404
    family = await owner(runtime)
    await link(runtime, family.account, other.vin, primary=False)
    transport = httpx.ASGITransport(app=create_app(runtime, run_worker=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        await sign_in(browser, family.account.email, DEFAULT_PASSWORD)
        secondary = await browser.get(f"/vehicle/{other.vin}/trips")
    assert secondary.status_code == 303
    assert secondary.headers["location"] == f"/vehicle/{other.vin}?done=not_primary"
