"""The owner's garage under /api/v1: add and remove cars, car summary, odometer, primary.

The list of the account's cars is served by ``services.api``: each car in it carries whether its
connected services need activating, which garage cannot know without depending on services."""

from __future__ import annotations

from fastapi import APIRouter, status

from linkplus.auth.deps import CurrentOwner
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import problem_responses
from linkplus.garage import service
from linkplus.garage.deps import GarageVehicle, PrimaryVehicle
from linkplus.garage.schemas import (
    AddVehicleIn,
    GarageVehicleOut,
    OdometerOut,
    OwnershipProof,
    RemoveVehicleIn,
)

# A car the registry does not know (404), refusals of the ownership check (409).
router = APIRouter(tags=["garage"], responses=problem_responses(404, 409))


@router.post("/garage/vehicles", status_code=status.HTTP_201_CREATED)
async def add_vehicle(
    body: AddVehicleIn, account: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> GarageVehicleOut:
    """Add a car by VIN or registration plate with its odometer reading, or by its QR code."""
    return await service.add_vehicle(session, runtime, account, body)


@router.delete("/garage/vehicles/{vin}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_vehicle(
    body: RemoveVehicleIn, caller: GarageVehicle, session: SessionDep, runtime: RuntimeDep
) -> None:
    """Remove the car from your garage. This cannot be undone: send ``{"confirm": true}``."""
    await service.remove_vehicle(session, runtime, caller.account, caller.vehicle.vin)


@router.get("/vehicles/{vin}")
async def vehicle_summary(caller: GarageVehicle, session: SessionDep) -> GarageVehicleOut:
    """The car as you may see it: a secondary account gets its name and model only."""
    return await service.vehicle_summary(session, caller)


@router.get("/vehicles/{vin}/odometer")
async def odometer(caller: PrimaryVehicle) -> OdometerOut:
    """The mileage the car last reported (primary account only)."""
    return service.odometer(caller)


@router.post("/vehicles/{vin}/primary-account", status_code=status.HTTP_204_NO_CONTENT)
async def claim_primary(
    body: OwnershipProof, caller: GarageVehicle, session: SessionDep, runtime: RuntimeDep
) -> None:
    """Become the car's primary account with fresh proof of access (QR code or odometer)."""
    await service.claim_primary(session, runtime, caller.account, caller.vehicle.vin, body)
