"""The car's live status, asking it for a fresh one, and where it is parked (find my car).

Primary account only (``PrimaryVehicle``): another account's VIN is 404, a secondary account 403.
"""

from __future__ import annotations

from fastapi import APIRouter

from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import problem_responses
from linkplus.garage.deps import PrimaryVehicle
from linkplus.vehicle_link import service
from linkplus.vehicle_link.schemas import LocationOut, RefreshOut, VehicleStatusOut

# A service the car has not activated (409).
router = APIRouter(tags=["vehicle status"], responses=problem_responses(409))


@router.get("/vehicles/{vin}/status")
async def vehicle_status(
    car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> VehicleStatusOut:
    """Doors, windows, lights, energy, odometer, tyres, 12 V battery and warning lights, each with
    when the car reported it, and whether the car is online, asleep or not heard from."""
    return await service.vehicle_status(session, runtime, car)


@router.post("/vehicles/{vin}/refresh", status_code=202)
async def refresh(car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep) -> RefreshOut:
    """Ask the car for a fresh status; the answer shows in the status once it arrives."""
    return await service.request_refresh(session, runtime, car)


@router.get("/vehicles/{vin}/location")
async def parked_location(
    car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> LocationOut:
    """Where the car was parked last and since when; refused while privacy mode is on."""
    return await service.parked_location(session, runtime, car)
