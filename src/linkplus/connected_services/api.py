"""Connected Services Centre per car, the welcome prompt, and "prepare to sell"."""

from __future__ import annotations

from fastapi import APIRouter

from linkplus.auth.deps import CurrentOwner
from linkplus.connected_services import service
from linkplus.connected_services.schemas import (
    ActivationIn,
    DeactivationIn,
    SellChecklistOut,
    ServicesCentreOut,
    WelcomeCarOut,
)
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import problem_responses
from linkplus.garage.deps import GarageVehicle, PrimaryVehicle
from linkplus.garage.schemas import GarageVehicleOut
from linkplus.models.services import SellChecklistStep

router = APIRouter(tags=["connected services"], responses=problem_responses(409))


@router.get("/garage/vehicles", tags=["garage"])
async def list_vehicles(
    account: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> list[GarageVehicleOut]:
    """The account's cars with their role and whether connected services need activating."""
    return await service.garage_overview(session, runtime, account)


@router.get("/vehicles/{vin}/services")
async def connected_services(
    car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> ServicesCentreOut:
    """Every service with its availability for this car and its state."""
    return await service.centre(session, runtime, car)


@router.post("/vehicles/{vin}/services/activate")
async def activate_services(
    car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep, data: ActivationIn | None = None
) -> ServicesCentreOut:
    """Activate ``standard`` (default) and/or ``svt``; ``accept`` the current Terms of Use and
    Privacy Notice in the same request when they are not accepted yet."""
    return await service.activate(session, runtime, car, data or ActivationIn())


@router.post("/vehicles/{vin}/services/deactivate")
async def deactivate_services(
    car: PrimaryVehicle,
    session: SessionDep,
    runtime: RuntimeDep,
    data: DeactivationIn | None = None,
) -> ServicesCentreOut:
    """Stop packages (default: ``standard`` and ``svt``)."""
    return await service.deactivate(session, runtime, car, data or DeactivationIn())


@router.get("/garage/welcome")
async def welcome(
    owner: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> list[WelcomeCarOut]:
    """Primary cars whose standard services wait to be activated (the prompt after sign-in)."""
    return await service.welcome(session, runtime, owner)


@router.get("/vehicles/{vin}/sell-checklist")
async def sell_checklist(
    car: GarageVehicle, session: SessionDep, runtime: RuntimeDep
) -> SellChecklistOut:
    return await service.sell_checklist(session, runtime, car)


@router.post("/vehicles/{vin}/sell-checklist/head-unit-profile-deleted")
async def head_unit_profile_deleted(
    car: GarageVehicle, session: SessionDep, runtime: RuntimeDep
) -> SellChecklistOut:
    return await service.tick_sell_step(
        session, runtime, car, SellChecklistStep.head_unit_profile_deleted
    )


@router.post("/vehicles/{vin}/sell-checklist/buyer-informed")
async def buyer_informed(
    car: GarageVehicle, session: SessionDep, runtime: RuntimeDep
) -> SellChecklistOut:
    return await service.tick_sell_step(session, runtime, car, SellChecklistStep.buyer_informed)
