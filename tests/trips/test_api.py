"""The trips API: who may read a car's trips, the list's pages, the detail, the monthly overview,
the insurance figures, the missing-trip counts and the exports."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from linkplus.garage.service.access import caller_vehicle
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.runtime import Runtime
from linkplus.trips import coaching, service
from tests.connected_services.support import link, owner
from tests.support import bearer_for
from tests.trips_e2e.support import deliver, make_trip, trip_upload
from tests.vehicle_link.support import Car, make_car


async def _get(runtime: Runtime, client: httpx.AsyncClient, car: Car, tail: str) -> httpx.Response:
    headers = await bearer_for(runtime, car.owner.account)
    return await client.get(f"/api/v1/vehicles/{car.vin}/trips{tail}", headers=headers)


async def _drive(
    runtime: Runtime, worker: Worker, car: Car, *starts: datetime, **trip: Any
) -> None:
    uploads = [trip_upload(make_trip(start, **trip), seq) for seq, start in enumerate(starts, 1)]
    await deliver(runtime, car.vin, *uploads)
    await worker.run_due()


async def test_only_the_primary_account_of_a_car_with_active_services_reads_its_trips(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, worker: Worker
) -> None:
    car = await make_car(runtime, client, model_code="NX450HP")
    await _drive(runtime, worker, car, clock.now() - timedelta(hours=1))
    stranger = await owner(runtime)
    unknown = await client.get(f"/api/v1/vehicles/{car.vin}/trips", headers=stranger.headers)
    nobody = await client.get("/api/v1/vehicles/JTH00000000000000/trips", headers=stranger.headers)
    assert unknown.status_code == nobody.status_code == 404
    assert unknown.json()["code"] == nobody.json()["code"] == "vehicle_not_found"

    family = await owner(runtime)
    await link(runtime, family.account, car.vin, primary=False)
    for tail in ("", "/last", "/monthly", "/insurance", "/missing", "/export?format=gpx"):
        second = await client.get(f"/api/v1/vehicles/{car.vin}/trips{tail}", headers=family.headers)
        assert second.status_code == 403, tail

    idle = await make_car(runtime, client, model_code="UX300E", active=False)
    for tail in ("", "/last", "/monthly", "/insurance", "/missing", "/export?format=geojson"):
        refused = await _get(runtime, client, idle, tail)
        assert refused.status_code == 409, tail
        assert refused.json()["code"] == "service_not_active"
        assert refused.json()["service"] == "EV coaching"


async def test_all_trips_are_paged_newest_first_and_grouped_by_month(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, worker: Worker
) -> None:
    car = await make_car(runtime, client, model_code="NX450HP")
    now = clock.now()  # 21 November
    starts = [now - timedelta(days=d, hours=1) for d in (0, 5, 10, 25, 30)]  # 2 in October
    await _drive(runtime, worker, car, *starts)

    seen: list[str] = []
    months: list[str] = []
    cursor = ""
    for _ in range(5):
        page = await _get(runtime, client, car, f"?limit=2{cursor}")
        assert page.status_code == 200, page.text
        body = page.json()
        for month in body["months"]:
            months.append(month["month"])
            seen.extend(trip["started_at"] for trip in month["trips"])
        if body["next_cursor"] is None:
            break
        cursor = f"&cursor={body['next_cursor']}"
    expected = [s.isoformat().replace("+00:00", "Z") for s in starts]
    assert seen == expected
    assert months == ["2026-11", "2026-11", "2026-10", "2026-10"]  # page 2 holds both months

    broken = await _get(runtime, client, car, "?cursor=not-a-cursor")
    assert broken.status_code == 422
    assert broken.json()["code"] == "invalid_cursor"
    too_many = await _get(runtime, client, car, "?limit=1000")
    assert too_many.status_code == 422


async def test_the_detail_has_scores_breakdown_coaching_tip_and_route(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, worker: Worker
) -> None:
    car = await make_car(runtime, client, model_code="NX450HP")
    # City trip at 40 km/h, braking hard again and again: no constant-speed score, and a tip.
    await _drive(
        runtime,
        worker,
        car,
        clock.now() - timedelta(hours=1),
        cruise_kmh=40,
        accel_ms2=3.5,
        wobble=1.5,
    )
    last = (await _get(runtime, client, car, "/last")).json()
    detail = await _get(runtime, client, car, f"/{last['trip']['id']}")
    assert detail.status_code == 200, detail.text
    body = detail.json()
    scores = body["scores"]
    assert 0 <= scores["acceleration"] <= 100
    assert scores["constant_speed"] is None
    assert scores["constant_speed_absent"]["code"] == "too_little_fast_driving"
    assert "constant speed" in scores["constant_speed_absent"]["message"]
    assert scores["braking"] < scores["acceleration"]
    assert body["tip"] == {"part": "braking", "text": coaching.TIPS["braking"]}
    assert body["coaching"]["kind"] == "hybrid_coaching"
    assert 0 < body["coaching"]["ev_distance_share"] <= 1
    assert body["insurance"]["combined"] is not None
    assert body["insurance"]["speeding"] is not None
    kinds = [f["geometry"]["type"] for f in body["route"]["features"]]
    assert kinds == ["LineString", "Point", "Point"]

    unknown = await _get(runtime, client, car, f"/{uuid.uuid4()}")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "trip_not_found"


async def test_last_trip_before_the_first_one_says_why_it_is_empty(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime, client, model_code="UX300E")
    body = (await _get(runtime, client, car, "/last")).json()
    assert body["trip"] is None
    assert "first recorded trip" in body["message"]


async def test_the_monthly_overview_weighs_by_distance_and_has_every_day(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, worker: Worker
) -> None:
    car = await make_car(runtime, client, model_code="UX300E")
    day = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
    await _drive(runtime, worker, car, day, seconds=600, powertrain="bev", accel_ms2=3.5)
    await _drive(runtime, worker, car, day + timedelta(days=7), seconds=1800, powertrain="bev")
    body = (await _get(runtime, client, car, "/monthly?month=2026-11")).json()
    assert body["month"] == "2026-11"
    assert len(body["days"]) == 30
    scored = {d["date"]: d for d in body["days"] if d["trips"]}
    assert set(scored) == {"2026-11-03", "2026-11-10"}
    low, high = sorted(d["score"] for d in scored.values())
    assert low <= body["breakdown"]["performance"] <= high
    # The longer (smoother) trip weighs more: the average lies nearer its score.
    assert body["breakdown"]["performance"] - low > high - body["breakdown"]["performance"]
    assert body["totals"]["trips"] == 2
    assert body["totals"]["distance_km"] == pytest.approx(
        sum(d["distance_km"] for d in body["days"]), abs=0.01
    )
    assert body["totals"]["energy_kwh"] > 0
    assert body["totals"]["fuel_l"] is None
    empty = (await _get(runtime, client, car, "/monthly?month=2026-10")).json()
    assert empty["totals"]["trips"] == 0
    assert empty["breakdown"]["performance"] is None
    bad = await _get(runtime, client, car, "/monthly?month=2026-13")
    assert bad.status_code == 422


async def test_insurance_figures_follow_the_powertrain(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, worker: Worker
) -> None:
    phev = await make_car(runtime, client, model_code="NX450HP")
    bev = await make_car(runtime, client, model_code="UX300E")
    await _drive(runtime, worker, phev, clock.now() - timedelta(hours=2))
    await _drive(runtime, worker, bev, clock.now() - timedelta(hours=2), powertrain="bev")
    plug_in = (await _get(runtime, client, phev, "/insurance")).json()
    assert plug_in["month"] == "2026-11"
    assert plug_in["trips"] == 1
    assert 0 <= plug_in["usage_based"]["combined"] <= 100
    assert 0 < plug_in["hybrid_programme"]["electric_distance_share"] < 1
    assert plug_in["plug_in_programme"]["charging_sessions"] == 0
    assert plug_in["plug_in_programme"]["charging_source"] == service.CHARGING_SOURCE_NONE
    electric = (await _get(runtime, client, bev, "/insurance")).json()
    assert electric["hybrid_programme"] is None
    assert electric["plug_in_programme"] is None
    nothing = (await _get(runtime, client, bev, "/insurance?month=2026-01")).json()
    assert nothing["usage_based"]["combined"] is None
    assert nothing["usage_based"]["unavailable"]["code"] == "no_trips"

    # Once the charging feature provides sessions, the frequency counts them.
    async with runtime.db.transaction() as session:
        caller = await caller_vehicle(session, phev.owner.account, phev.vin)
        figures = await service.insurance_month(
            session,
            runtime,
            caller,
            month="2026-11",
            charging_dates=[
                date(2026, 11, 2),
                date(2026, 11, 2),
                date(2026, 11, 9),
                date(2026, 10, 30),
            ],
        )
    assert figures.plug_in_programme is not None
    assert figures.plug_in_programme.charging_sessions == 3
    assert figures.plug_in_programme.charging_days == 2


async def test_exports_hold_every_sample_and_the_period_asked_for(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, worker: Worker
) -> None:
    car = await make_car(runtime, client, model_code="NX450HP")
    first = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    second = datetime(2026, 11, 12, 7, 0, tzinfo=UTC)
    await _drive(runtime, worker, car, first, second, seconds=300, private=(100, 150))
    gpx = await _get(runtime, client, car, "/export?format=gpx")
    assert gpx.status_code == 200
    assert gpx.headers["content-type"].startswith("application/gpx+xml")
    assert "attachment" in gpx.headers["content-disposition"]
    assert gpx.text.count("<trk>") == 2
    assert gpx.text.count("<trkpt ") == 2 * (301 + 2)  # rebuilt stretch repeats its two ends
    assert gpx.text.count("<linkplus:rebuilt>true</linkplus:rebuilt>") == 2
    geojson = await _get(
        runtime, client, car, "/export?format=geojson&from=2026-11-10&to=2026-11-12"
    )
    features = geojson.json()["features"]
    assert {f["properties"]["started_at"] for f in features} == {"2026-11-12T07:00:00Z"}
    assert [f["properties"]["rebuilt"] for f in features] == [False, True, False]
    backwards = await _get(runtime, client, car, "/export?format=gpx&from=2026-11-12&to=2026-11-10")
    assert backwards.status_code == 422
    assert backwards.json()["code"] == "invalid_period"
    unknown = await _get(runtime, client, car, "/export?format=kml")
    assert unknown.status_code == 422
