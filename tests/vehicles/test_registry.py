"""Looking cars up in the registry, and keeping the latest odometer reading."""

from __future__ import annotations

from datetime import timedelta

import pytest

from linkplus.kit.clock import ManualClock
from linkplus.models.vehicles import Vehicle
from linkplus.runtime import Runtime
from linkplus.vehicles import service
from linkplus.vehicles.catalogue import catalogue
from linkplus.vehicles.errors import VehicleNotFound
from tests.vehicles.support import european_vin, make_vehicle


async def reload(runtime: Runtime, vin: str) -> Vehicle:
    async with runtime.db.transaction() as session:
        vehicle = await service.get_vehicle(session, vin)
    assert vehicle is not None
    return vehicle


async def test_cars_are_found_by_vin_and_by_plate_however_it_is_typed(runtime: Runtime) -> None:
    car = await make_vehicle(runtime, plate="M-LX 2024", model_code="RX500H")
    async with runtime.db.transaction() as session:
        assert (await service.get_vehicle(session, car.vin)) is not None
        assert await service.get_vehicle(session, european_vin()) is None
        for typed in ["M-LX 2024", "mlx2024", " m lx-2024 "]:
            found = await service.find_by_plate(session, typed)
            assert found is not None
            assert found.vin == car.vin
        assert await service.find_by_plate(session, "B-LX 2024") is None
        assert await service.find_by_plate(session, " - ") is None
    assert service.model_of(car) == catalogue().get("RX500H")


async def test_a_car_whose_model_left_the_catalogue_is_a_loud_error(runtime: Runtime) -> None:
    car = await make_vehicle(runtime, model_code="GONE1")
    with pytest.raises(LookupError, match="GONE1"):
        service.model_of(car)


async def test_odometer_keeps_the_newest_reading_and_never_goes_down(
    runtime: Runtime, clock: ManualClock
) -> None:
    car = await make_vehicle(runtime)
    first = clock.now()
    async with runtime.db.transaction() as session:
        await service.record_odometer(session, vin=car.vin, km=1000, reported_at=first)
    assert (await reload(runtime, car.vin)).odometer_km == 1000

    later = first + timedelta(hours=5)
    async with runtime.db.transaction() as session:
        await service.record_odometer(session, vin=car.vin, km=1180, reported_at=later)
        # Late data: an older reading arrives after the newer one (the car was offline).
        await service.record_odometer(
            session, vin=car.vin, km=1090, reported_at=first + timedelta(hours=2)
        )
        # A newer reading that is lower than the stored one cannot be right.
        await service.record_odometer(
            session, vin=car.vin, km=900, reported_at=later + timedelta(hours=1)
        )
        # The same moment again changes nothing either.
        await service.record_odometer(session, vin=car.vin, km=1200, reported_at=later)
    stored = await reload(runtime, car.vin)
    assert (stored.odometer_km, stored.odometer_reported_at) == (1180, later)

    async with runtime.db.transaction() as session:
        await service.record_odometer(
            session, vin=car.vin, km=1180, reported_at=later + timedelta(days=1)
        )
    stored = await reload(runtime, car.vin)
    assert (stored.odometer_km, stored.odometer_reported_at) == (1180, later + timedelta(days=1))


async def test_the_session_sees_the_new_reading_at_once(runtime: Runtime) -> None:
    car = await make_vehicle(runtime, odometer_km=10)
    async with runtime.db.transaction() as session:
        loaded = await service.get_vehicle(session, car.vin)
        assert loaded is not None
        await service.record_odometer(
            session, vin=car.vin, km=25, reported_at=runtime.clock.now() + timedelta(minutes=1)
        )
        assert loaded.odometer_km == 25


async def test_odometer_readings_for_unknown_cars_or_below_zero_are_refused(
    runtime: Runtime,
) -> None:
    car = await make_vehicle(runtime)
    async with runtime.db.transaction() as session:
        with pytest.raises(VehicleNotFound):
            await service.record_odometer(
                session, vin=european_vin(), km=5, reported_at=runtime.clock.now()
            )
        with pytest.raises(ValueError, match="never negative"):
            await service.record_odometer(
                session, vin=car.vin, km=-1, reported_at=runtime.clock.now()
            )
