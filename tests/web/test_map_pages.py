"""The Map section over HTTP: find my car (the parked position handed to map.js, the distance
line the script fills in), the car's recent trips as GeoJSON (owner-scoped: 404 for a car or a
trip that is not the caller's), the platform's own base map (the demo city's roads, which the
demo cars' trips run on), the ``LINKPLUS_MAP_TILES_URL`` setting and the security policy that
allows only its host besides this site."""

from __future__ import annotations

import json
import math
import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from linkplus.app import create_app
from linkplus.config import Settings
from linkplus.demo.history import DEFAULT_SEED, give_demo_history
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.trips import Trip
from linkplus.runtime import Runtime
from linkplus.security_headers import content_security_policy
from linkplus.sim.basemap import roads_geojson, write_roads
from linkplus.sim.roads import build_network
from linkplus.vehicles import service as vehicles
from linkplus.web.map_pages import RECENT_TRIPS
from tests.connected_services.support import link, make_vehicle, owner
from tests.support import DEFAULT_PASSWORD
from tests.trips_e2e.support import deliver, make_trip, trip_upload
from tests.vehicle_link.support import Car, make_car
from tests.web.support import PARKED, FakeUnit, sign_in, text_of

TILES = "https://tiles.example.org/{z}/{x}/{y}.png"


def _map_box(html: str) -> dict[str, str]:
    found = re.search(r"<div class=\"lp-map lp-map-large\"([^>]*)>", html)
    assert found, "the page has no map"
    return dict(re.findall(r'(data-[a-z-]+)="([^"]*)"', found.group(1)))


def _unescape(value: str) -> str:
    return value.replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&")


async def _parked_car(runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock) -> Car:
    car = await make_car(runtime, client, model_code="NX450HP")
    unit = FakeUnit(runtime, car.vin)
    off = clock.now() - timedelta(minutes=2)
    await unit.event("ignition_off", at=off)
    await unit.telemetry(PARKED, at=off + timedelta(seconds=30))
    await sign_in(client, car.owner.account.email, DEFAULT_PASSWORD)
    return car


async def test_find_my_car_hands_the_parked_position_to_the_map(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await _parked_car(runtime, client, clock)
    page = await client.get("/map")  # the first primary car, without choosing
    assert page.status_code == 200, page.text
    box = _map_box(page.text)
    marker = json.loads(_unescape(box["data-car"]))
    assert (marker["lat"], marker["lon"]) == (50.84671, 4.35251)
    assert marker["parked"] == "Parked 1 minute ago"
    assert box["data-roads"] == "/map/roads.geojson"  # no tile source configured
    assert "data-tiles" not in box
    assert "data-trips" not in box  # no trips yet
    words = text_of(page.text)
    assert "Find my car" in words
    assert "parked 1 minute ago" in words
    assert "data-lp-distance" in page.text
    assert "data-lp-locate" in page.text
    assert '<script src="/static/map.js" defer></script>' in page.text
    assert "<script>" not in page.text
    assert "style=" not in page.text
    assert "No trips yet" in words
    chosen = await client.get(f"/map?car={car.vin}")
    assert _map_box(chosen.text) == box


async def test_the_map_answers_404_for_a_car_that_is_not_the_callers(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    await _parked_car(runtime, client, clock)
    stranger = await make_vehicle(runtime)
    for path in (
        f"/map?car={stranger}",
        "/map?car=NOT-A-VIN",
        f"/vehicle/{stranger}/map/trips.geojson",
    ):
        assert (await client.get(path)).status_code == 404, path


async def test_a_secondary_account_sees_no_position_and_no_trips(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await make_car(runtime, client, model_code="NX450HP")
    unit = FakeUnit(runtime, car.vin)
    await unit.telemetry(PARKED, at=clock.now() - timedelta(minutes=1))
    second = await owner(runtime, email="second.driver@example.com")
    await link(runtime, second.account, car.vin, primary=False)
    await sign_in(client, "second.driver@example.com", DEFAULT_PASSWORD)
    page = await client.get(f"/map?car={car.vin}")
    assert page.status_code == 200
    assert "Only the car's primary account sees where" in text_of(page.text)
    assert "50.84671" not in page.text
    assert "data-lp-map" not in page.text
    data = await client.get(f"/vehicle/{car.vin}/map/trips.geojson")
    assert data.status_code == 403
    assert data.json()["code"] == "not_primary_account"


async def test_an_empty_garage_is_told_how_to_add_a_car(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    person = await owner(runtime, email="new.owner@example.com")
    await sign_in(client, person.account.email, DEFAULT_PASSWORD)
    page = await client.get("/map")
    assert page.status_code == 200
    assert 'href="/vehicle/add"' in page.text
    assert "data-lp-map" not in page.text


async def test_recent_trips_are_drawn_from_geojson_that_names_each_trip(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, worker: Worker
) -> None:
    car = await _parked_car(runtime, client, clock)
    starts = [clock.now() - timedelta(hours=h) for h in range(RECENT_TRIPS + 2, 0, -1)]
    uploads = [trip_upload(make_trip(s, seconds=300), n) for n, s in enumerate(starts, 1)]
    await deliver(runtime, car.vin, *uploads)
    await worker.run_due()

    page = await client.get("/map")
    box = _map_box(page.text)
    assert box["data-trips"] == f"/vehicle/{car.vin}/map/trips.geojson"
    listed = re.findall(rf'href="/vehicle/{car.vin}/trips/([0-9a-f-]{{36}})"', page.text)
    assert len(listed) == RECENT_TRIPS  # the newest five, not all seven

    data = await client.get(box["data-trips"])
    assert data.status_code == 200
    assert data.headers["content-type"].startswith("application/geo+json")
    collection = data.json()
    assert collection["type"] == "FeatureCollection"
    trips = {feature["properties"]["trip"] for feature in collection["features"]}
    assert trips == set(listed)
    lines = [f for f in collection["features"] if f["geometry"]["type"] == "LineString"]
    assert len(lines) == RECENT_TRIPS
    assert all(len(line["geometry"]["coordinates"]) > 10 for line in lines)
    first = lines[0]["properties"]
    assert first["href"] == f"/vehicle/{car.vin}/trips/{first['trip']}"
    assert 0 <= first["score"] <= 100

    one = await client.get(f"{box['data-trips']}?trip={listed[0]}")
    assert {f["properties"]["trip"] for f in one.json()["features"]} == {listed[0]}
    for wrong in (str(uuid.uuid4()), "not-a-trip"):
        missing = await client.get(f"{box['data-trips']}?trip={wrong}")
        assert missing.status_code == 404
        assert missing.json()["code"] == "trip_not_found"


async def test_another_owners_trip_is_404_through_my_car(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, worker: Worker
) -> None:
    theirs = await make_car(runtime, client, model_code="NX450HP")
    await deliver(runtime, theirs.vin, trip_upload(make_trip(clock.now() - timedelta(hours=1)), 1))
    await worker.run_due()
    async with runtime.db.transaction() as session:
        their_trip = await session.scalar(select(Trip.id).where(Trip.vin == theirs.vin))
    assert their_trip is not None
    mine = await _parked_car(runtime, client, clock)
    answer = await client.get(f"/vehicle/{mine.vin}/map/trips.geojson?trip={their_trip}")
    assert answer.status_code == 404


async def test_the_base_map_is_the_demo_citys_roads_and_the_trips_run_on_them(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await _parked_car(runtime, client, clock)
    assert (await client.get("/map/roads.geojson")).status_code == 404  # none written yet
    missing = await client.get("/map/roads.geojson")
    assert missing.json()["code"] == "base_map_not_served"
    assert "LINKPLUS_MAP_TILES_URL" in missing.json()["detail"]

    network = build_network(DEFAULT_SEED)
    write_roads(network, runtime.settings.base_map_path)
    served = await client.get("/map/roads.geojson")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/geo+json")
    roads = served.json()
    assert roads == roads_geojson(network)
    kinds = {feature["properties"]["kind"] for feature in roads["features"]}
    assert kinds == {"residential", "arterial", "ring", "ramp", "motorway"}
    assert len(served.content) < 100_000

    # The demo's month of trips, driven on the same city: every measured point lies on a road
    # (a rebuilt stretch, where location sharing was off, is a straight guess and drawn dashed).
    async with runtime.db.transaction() as session:
        vehicle = await vehicles.get_vehicle(session, car.vin)
        assert vehicle is not None
        saved = await give_demo_history(
            session, runtime, vin=car.vin, model=vehicles.model_of(vehicle), now=clock.now()
        )
    assert saved > 0
    collection = (await client.get(f"/vehicle/{car.vin}/map/trips.geojson")).json()
    points = [
        point
        for feature in collection["features"]
        if feature["geometry"]["type"] == "LineString" and not feature["properties"]["rebuilt"]
        for point in feature["geometry"]["coordinates"]
    ]
    assert len(points) > 50
    segments = [
        line for feature in roads["features"] for line in feature["geometry"]["coordinates"]
    ]
    farthest = max(_metres_to_nearest_road(point, segments) for point in points[::7])
    assert farthest < 25, f"a trip point lies {farthest:.0f} m from every road"


def _metres_to_nearest_road(point: list[float], segments: list[Any]) -> float:
    lon, lat = point
    scale = math.cos(math.radians(lat)) * 111_320.0
    best = math.inf
    for (lon_a, lat_a), (lon_b, lat_b) in segments:
        ax, ay = (lon_a - lon) * scale, (lat_a - lat) * 111_320.0
        bx, by = (lon_b - lon) * scale, (lat_b - lat) * 111_320.0
        dx, dy = bx - ax, by - ay
        length = dx * dx + dy * dy
        t = 0.0 if length == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length))
        best = min(best, math.hypot(ax + t * dx, ay + t * dy))
    return best


# --- the tile source and the security policy ---------------------------------------------------


def test_the_tile_address_is_read_by_the_strict_parser(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, map_tiles_url="HTTPS://Tiles.Example.org/{z}/{x}/{y}.png"
    )
    assert settings.map_tiles_url == TILES
    tiles = settings.map_tiles
    assert tiles is not None
    assert tiles.origin_text == "https://tiles.example.org"
    assert Settings(data_dir=tmp_path, map_tiles_url="").map_tiles_url is None
    for wrong, because in [
        ("ftp://tiles.example.org/{z}/{x}/{y}.png", "not accepted"),
        ("https://user:pw@tiles.example.org/{z}/{x}/{y}.png", "user name"),
        ("https://tiles.example.org/{z}/{x}.png", "{y}"),
        ("https://{s}.tiles.example.org/{z}/{x}/{y}.png", "one tile host"),
        ("https://tiles.example.org/{z}/{x}/{y}.png\u200b", "ASCII"),
        (" https://tiles.example.org/{z}/{x}/{y}.png", "space"),
    ]:
        with pytest.raises(ValidationError, match=re.escape(because)):
            Settings(data_dir=tmp_path, map_tiles_url=wrong)


async def test_with_tiles_the_policy_allows_that_host_only(
    runtime: Runtime, clock: ManualClock
) -> None:
    runtime.settings.map_tiles_url = TILES
    app = create_app(runtime, run_worker=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await _parked_car(runtime, client, clock)
        page = await client.get("/map")
        box = _map_box(page.text)
        assert _unescape(box["data-tiles"]) == TILES
        assert "data-roads" not in box
        policy = page.headers["content-security-policy"]
        assert policy == content_security_policy(["https://tiles.example.org"])
        assert "img-src 'self' data: https://tiles.example.org;" in policy
        assert "default-src 'self';" in policy
        assert "connect-src 'self';" in policy
        assert policy.count("https://") == 1


async def test_without_tiles_the_policy_names_this_site_only(client: httpx.AsyncClient) -> None:
    page = await client.get("/signin")
    policy = page.headers["content-security-policy"]
    assert "img-src 'self' data:;" in policy
    assert "http" not in policy
