"""Load the car a ``/vehicles/{vin}/...`` route names, for the calling account, or answer 404.

Every domain's per-car route depends on ``GarageVehicle`` (any account that has the car) or
``PrimaryVehicle`` (only the car's primary account). An unknown VIN, a malformed VIN and a car in
another account's garage all get the same ``vehicle_not_found`` body, so the API never reveals
which VINs exist or who has them. A malformed VIN is a 404 too, not a 422, for the same reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from linkplus.accounts.deps import CurrentOwner
from linkplus.deps import SessionDep
from linkplus.garage import repository
from linkplus.garage.errors import NotPrimaryAccount, VehicleNotFound
from linkplus.kit.vin import InvalidVin, normalize_vin
from linkplus.models.accounts import Account
from linkplus.models.vehicles import Vehicle
from linkplus.vehicles import service as vehicles
from linkplus.vehicles.catalogue import VehicleModel

__all__ = ["CallerVehicle", "GarageVehicle", "PrimaryVehicle"]


@dataclass
class CallerVehicle:
    """A car as the calling account may see it."""

    vehicle: Vehicle
    model: VehicleModel
    account: Account
    is_primary: bool


async def _garage_vehicle(vin: str, account: CurrentOwner, session: SessionDep) -> CallerVehicle:
    try:
        normalized = normalize_vin(vin)
    except InvalidVin as exc:
        raise VehicleNotFound() from exc
    if await repository.get_entry(session, account_id=account.id, vin=normalized) is None:
        raise VehicleNotFound()
    vehicle = await vehicles.get_vehicle(session, normalized)
    if vehicle is None:
        raise VehicleNotFound()
    primary = await repository.primary_of(session, normalized)
    is_primary = primary is not None and primary.account_id == account.id
    return CallerVehicle(vehicle, vehicles.model_of(vehicle), account, is_primary)


GarageVehicle = Annotated[CallerVehicle, Depends(_garage_vehicle)]


async def _primary_vehicle(caller: GarageVehicle) -> CallerVehicle:
    if not caller.is_primary:
        raise NotPrimaryAccount()
    return caller


PrimaryVehicle = Annotated[CallerVehicle, Depends(_primary_vehicle)]
