"""Registering cars in the test database, for the vehicle-link tests."""

from __future__ import annotations

from linkplus.models.vehicles import Vehicle
from linkplus.runtime import Runtime
from linkplus.vehicle_link import credentials


async def register_vehicle(runtime: Runtime, vin: str) -> None:
    now = runtime.clock.now()
    async with runtime.db.transaction() as session:
        session.add(
            Vehicle(
                vin=vin,
                model_code="LP-EV1",
                model_year=2026,
                market="DE",
                multimedia="MMI3",
                first_delivery_date=None,
                registration_plate=None,
                plate_key=None,
                telematics_unit=True,
                head_unit_public_key=None,
                odometer_km=None,
                odometer_reported_at=None,
                created_at=now,
                updated_at=now,
            )
        )


async def provisioned_vehicle(runtime: Runtime, vin: str) -> str:
    """Register the car and provision its unit; returns the unit's secret."""
    await register_vehicle(runtime, vin)
    async with runtime.db.transaction() as session:
        return await credentials.provision(session, vin=vin, now=runtime.clock.now())
