"""``linkplus demo``'s set-up on a fresh data directory: the demo owner, three cars in their garage
as primary with the standard services active, and nothing new or failing on a second run."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from linkplus.accounts import service as accounts
from linkplus.bootstrap import build_runtime
from linkplus.config import Settings
from linkplus.connected_services import service as connected_services
from linkplus.dealers.directory import haversine_km
from linkplus.demo import DEMO_CARS, DEMO_HOME, FLEET_SEED, head_unit_key, prepare_demo
from linkplus.garage import service as garage
from linkplus.kit.vin import normalize_vin
from linkplus.migrate import upgrade
from linkplus.models.trips import Trip
from linkplus.privacy import service as privacy
from linkplus.sim.basemap import roads_geojson
from linkplus.sim.roads import build_network
from linkplus.trips import service as trips
from linkplus.vehicle_link import service as vehicle_link
from linkplus.vehicles import service as vehicles
from linkplus.vehicles.pairing import public_key_text

EMAIL = "demo@example.com"
PASSWORD = "linkplus-demo"


def demo_settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        secret_key="demo-test-secret-key-that-is-long-enough-for-hs256",
        public_url="http://127.0.0.1:8000",  # the links in mails, never bound
        dev_mailbox=True,
        smtp_url=None,
        worker_enabled=False,
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        argon2_parallelism=1,
        log_json=True,
        log_level="WARNING",
    )


async def _trip_count(settings: Settings) -> int:
    runtime = build_runtime(settings)
    try:
        async with runtime.db.transaction() as session:
            return int((await session.execute(select(func.count()).select_from(Trip))).scalar_one())
    finally:
        await runtime.db.dispose()


async def test_the_demo_owner_gets_three_primary_cars_with_services_and_a_rerun_changes_nothing(
    tmp_path: Path,
) -> None:
    settings = demo_settings(tmp_path)
    upgrade(settings.resolved_database_url)

    first = await prepare_demo(settings, email=EMAIL, password=PASSWORD, simulate=False)
    trips_before_second_run = await _trip_count(settings)
    second = await prepare_demo(settings, email=EMAIL, password=PASSWORD, simulate=False)
    assert await _trip_count(settings) == trips_before_second_run

    assert first.owner_created is True
    assert second.owner_created is False
    assert [car.vin for car in first.cars] == [normalize_vin(spec.vin) for spec in DEMO_CARS]
    assert first.cars == second.cars
    assert {car.powertrain for car in first.cars} == {"hev", "phev", "bev"}
    # The Map's base map without internet: the roads of the city the demo cars drive in.
    roads = json.loads(settings.base_map_path.read_text())
    assert roads == roads_geojson(build_network(FLEET_SEED))
    lines = first.banner_lines()
    assert len(lines) == 3
    assert all(car.vin in line for car, line in zip(first.cars, lines, strict=True))

    runtime = build_runtime(settings)
    try:
        async with runtime.db.transaction() as session:
            owner = await accounts.authenticate(session, runtime, email=EMAIL, password=PASSWORD)
            cars = await connected_services.garage_overview(session, runtime, owner)
            assert sorted(car.vin for car in cars) == sorted(car.vin for car in first.cars)
            assert all(car.role == "primary" for car in cars)
            assert not any(car.services_need_activation for car in cars)
            assert await privacy.accepted_current(session, owner)
            assert await connected_services.welcome(session, runtime, owner) == []
            for spec in DEMO_CARS:
                vehicle = await vehicles.get_vehicle(session, spec.vin)
                assert vehicle is not None
                assert vehicle.market == "DE"
                assert vehicle.telematics_unit
                assert vehicle.registration_plate == spec.plate
                assert vehicle.odometer_km == spec.odometer_km
                assert vehicle.first_delivery_date is not None
                assert (runtime.clock.now().date() - vehicle.first_delivery_date).days >= 365
                # The head-unit key is derived, so every run (and the simulator) can sign codes.
                assert vehicle.head_unit_public_key == public_key_text(
                    head_unit_key(spec.vin).public_key()
                )
                assert await garage.primary_account_id(session, spec.vin) == owner.id
                assert await connected_services.is_active(
                    session, runtime, vin=spec.vin, service="standard"
                )
            # A past month of trips per car, uploaded once: the second run added none.
            per_car = dict(
                (
                    await session.execute(
                        select(Trip.vin, func.count()).group_by(Trip.vin).order_by(Trip.vin)
                    )
                ).all()
            )
            assert sorted(per_car) == sorted(car.vin for car in first.cars)
            assert all(count >= 20 for count in per_car.values()), per_car
            # ... and the demo owner reads them: they are of its own time with the car.
            for spec in DEMO_CARS:
                caller = await garage.caller_vehicle(session, owner, spec.vin)
                assert (await trips.last_trip(session, runtime, caller)).trip is not None
    finally:
        await runtime.db.dispose()


async def test_every_demo_car_has_a_parked_position_before_the_server_starts(
    tmp_path: Path,
) -> None:
    """Find my car works from the demo's first minute: the past month of trips, uploaded before
    the server starts, leaves each car parked where its last trip ended (it used to wait for the
    simulator's first trip to end, 13 minutes into ``make demo``, because the car had no link
    state yet and the parked position was dropped)."""
    settings = demo_settings(tmp_path)
    upgrade(settings.resolved_database_url)
    setup = await prepare_demo(settings, email=EMAIL, password=PASSWORD, simulate=False)
    assert len(setup.cars) == len(DEMO_CARS)

    runtime = build_runtime(settings)
    try:
        async with runtime.db.transaction() as session:
            owner = await accounts.authenticate(session, runtime, email=EMAIL, password=PASSWORD)
            for car in setup.cars:
                caller = await garage.caller_vehicle(session, owner, car.vin)
                parked = await vehicle_link.parked_location(session, runtime, caller)
                last = (await trips.last_trip(session, runtime, caller)).trip
                assert last is not None
                # Parked where the month's last trip ended, before now.
                assert last.ended_at <= parked.parked_at <= runtime.clock.now()
                where = (parked.latitude, parked.longitude)
                assert haversine_km(where, (DEMO_HOME.lat, DEMO_HOME.lon)) < 30  # the demo city
    finally:
        await runtime.db.dispose()
