"""Trips end to end: cars speak the vehicle protocol to a real MQTT broker (embedded amqtt), the
platform's gateway stores what arrives, the worker runs the trips job, the owner reads the API.

The first test drives with the simulator's telematics unit (its own driving model and timeline);
the others send hand-made trips through a test unit on the same broker, so each case (short,
privacy mode, partly private, late) happens exactly once; the last one uploads a simulated month
(``sim.history.past_trips``) and checks the monthly overview adds it up.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.protocol.vehicle import Channel, encode
from linkplus.runtime import Runtime
from linkplus.sim.car import SimulatedCar
from linkplus.sim.clock import ManualClock as SimClock
from linkplus.sim.history import past_trips
from linkplus.sim.plan import Place, PlannedTrip
from linkplus.sim.roads import PlaceKind, build_network
from linkplus.sim.unit import TelematicsUnit
from linkplus.trips.filtering import decide
from linkplus.trips.samples import from_protocol
from linkplus.vehicles.catalogue import catalogue
from tests.trips_e2e.support import make_trip
from tests.vehicle_link.support import WAIT, VehicleLink, make_car, vehicle_link

SEED = 11
MONTH_SEED = 1
PHEV_VIN = "JTHE2EPHEV0000001"
BEV_VIN = "JTHE2EBEV00000002"


@pytest.fixture
async def link(runtime: Runtime, client: httpx.AsyncClient) -> AsyncIterator[VehicleLink]:
    # Fixed VINs: a simulated car's trips are derived from its VIN, and with a random one some
    # runs drew a drive in privacy mode, which is rightly not saved.
    cars = {
        "phev": await make_car(runtime, client, model_code="NX450HP", vin=PHEV_VIN),
        "bev": await make_car(runtime, client, model_code="UX300E", vin=BEV_VIN),
    }
    async with vehicle_link("amqtt", runtime, client, cars) as running:
        yield running


async def eventually(predicate: Callable[[], bool], what: str) -> None:
    try:
        async with asyncio.timeout(WAIT * 2):
            while not predicate():  # noqa: ASYNC110 - polls state other tasks change
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def _trips(link: VehicleLink, label: str) -> list[dict[str, object]]:
    answer = await link.get(label, "trips?limit=100")
    assert answer.status_code == 200, answer.text
    return [trip for month in answer.json()["months"] for trip in month["trips"]]


async def _missing(link: VehicleLink, label: str) -> dict[str, int]:
    answer = await link.get(label, "trips/missing")
    assert answer.status_code == 200, answer.text
    return {r["reason"]: r["count"] for m in answer.json()["months"] for r in m["reasons"]}


async def test_a_simulated_drive_appears_with_scores_after_engine_off(
    runtime: Runtime, clock: ManualClock, worker: Worker, link: VehicleLink
) -> None:
    vin = link.vin("phev")
    network = build_network(SEED)
    sim_clock = SimClock(clock.now())
    car = SimulatedCar.create(
        vin=vin, model=catalogue().models["NX450HP"], network=network, seed=SEED, start=clock.now()
    )
    shop = next(n for n in network.shops if n != car.habits.home.node)
    plan = [PlannedTrip("to-shop", clock.now() + timedelta(minutes=5), Place(PlaceKind.shop, shop))]
    unit = TelematicsUnit(
        car,
        secret=link.cars["phev"].secret,
        address=link.vehicles,
        clock=sim_clock,
        plan=plan,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(unit.run(stop))
    try:
        await eventually(lambda: unit.connected, "the unit to connect")
        sim_clock.set(clock.now() + timedelta(hours=2))
        await eventually(lambda: unit.stats.trips == 1 and unit.buffered == 0, "the trip")
        async with asyncio.timeout(WAIT):
            await link.gateway.wait_handled(unit.stats.sent)
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, WAIT)
    clock.set(sim_clock.now())
    assert await _trips(link, "phev") == []  # stored by the gateway; the job has not run yet
    await worker.run_due()

    [trip] = await _trips(link, "phev")
    assert trip["started_at"] == (plan[0].departure).isoformat().replace("+00:00", "Z")
    detail = (await link.get("phev", f"trips/{trip['id']}")).json()
    assert 0 <= detail["scores"]["trip"] <= 100
    assert 0 <= detail["scores"]["braking"] <= 100
    assert detail["coaching"]["kind"] == "hybrid_coaching"
    assert detail["coaching"]["distance_km"] > 0.3
    assert detail["route"]["features"][0]["geometry"]["type"] == "LineString"
    last = (await link.get("phev", "trips/last")).json()
    assert last["trip"]["id"] == trip["id"]


async def test_short_private_partly_private_and_late_trips_through_the_broker(
    runtime: Runtime, clock: ManualClock, worker: Worker, link: VehicleLink
) -> None:
    now = clock.now()
    on_time = make_trip(now - timedelta(hours=1), powertrain="bev")
    short = make_trip(now - timedelta(hours=5), seconds=6, cruise_kmh=8, powertrain="bev")
    partly = make_trip(now - timedelta(hours=4), private=(120, 400), powertrain="bev")
    late = make_trip(now - timedelta(hours=7), powertrain="bev")  # sent last, hours later
    private_at = now - timedelta(minutes=40)
    in_privacy_mode = make_trip(now - timedelta(minutes=30), seconds=600, powertrain="bev")
    async with link.unit("bev") as unit:
        for trip in (on_time, short, partly):
            ended = datetime.fromisoformat(str(trip["ended_at"]))
            await unit.event("trip_upload", at=ended, trip=trip)
        await unit.event("privacy_mode_changed", at=private_at, location_sharing=False)
        await unit.event(
            "trip_upload",
            at=datetime.fromisoformat(str(in_privacy_mode["ended_at"])),
            trip=in_privacy_mode,
        )
        await link.settle()
        await worker.run_due()
        clock.advance(hours=3)
        await unit.event("trip_upload", at=datetime.fromisoformat(str(late["ended_at"])), trip=late)
        await link.settle()
    await worker.run_due()

    trips = await _trips(link, "bev")
    assert [t["started_at"] for t in trips] == [
        str(t["started_at"]).replace("+00:00", "Z") for t in (on_time, partly, late)
    ]
    assert [t["rebuilt"] for t in trips] == [False, True, False]
    assert all(0 <= float(str(t["score"])) <= 100 for t in trips)
    assert await _missing(link, "bev") == {"too_short": 1, "privacy_mode": 1}
    day = (await link.get("bev", "trips/monthly?month=2026-11")).json()["days"][20]
    assert (day["date"], day["trips"]) == ("2026-11-21", 3)  # the late one on its own day


async def test_the_monthly_overview_sums_up_a_simulated_month(
    runtime: Runtime, clock: ManualClock, worker: Worker, link: VehicleLink
) -> None:
    # The uploads carry no VIN (the topic does): a month simulated for the simulator's own
    # VIN is the same month whichever car sends it, so the test's figures do not depend on the
    # random VIN of the test car. Seed 1 gives privacy-mode trips and partly private ones.
    start = datetime(2026, 11, 1, tzinfo=UTC)
    uploads = past_trips(catalogue().models["NX450HP"], seed=MONTH_SEED, start=start, days=20)
    assert len(uploads) > 20
    expected: Counter[str] = Counter()
    saved_km = 0.0
    rebuilt = 0
    for upload in uploads:
        samples, figures = from_protocol(upload.trip)
        decision = decide(figures, samples)
        if decision.saved:
            saved_km += upload.trip.distance_m / 1000.0
            rebuilt += decision.needs_rebuild
        else:
            assert decision.not_saved_reason is not None
            expected[decision.not_saved_reason.value] += 1
    async with link.unit("phev") as unit:
        for upload in uploads:
            await unit.publish(Channel.events, encode(upload))
        await link.settle()
    clock.set(datetime(2026, 11, 30, 20, 0, tzinfo=UTC))  # the month is over
    assert await worker.run_due() >= len(uploads)

    month = (await link.get("phev", "trips/monthly?month=2026-11")).json()
    saved = len(uploads) - sum(expected.values())
    assert month["totals"]["trips"] == saved
    assert month["totals"]["distance_km"] == pytest.approx(saved_km, abs=0.01)
    assert sum(d["trips"] for d in month["days"]) == saved
    scores = [d["score"] for d in month["days"] if d["score"] is not None]
    assert min(scores) <= month["breakdown"]["performance"] <= max(scores)
    assert all(d["trips"] == 0 for d in month["days"][20:])  # nothing after the 20th
    assert await _missing(link, "phev") == dict(expected)
    listed = await _trips(link, "phev")
    assert len(listed) == min(saved, 100)
    assert [t["started_at"] for t in listed] == sorted(
        (t["started_at"] for t in listed), reverse=True
    )
    insurance = (await link.get("phev", "trips/insurance?month=2026-11")).json()
    assert insurance["trips"] == saved
    assert insurance["hybrid_programme"]["trips"] <= saved
