"""Load the car a ``/vehicles/{vin}/...`` route names, for the calling account, or answer 404.

Every domain's per-car route depends on ``GarageVehicle`` (any account that has the car) or
``PrimaryVehicle`` (only the car's primary account). An unknown VIN, a malformed VIN and a car in
another account's garage all get the same ``vehicle_not_found`` body, so the API never reveals
which VINs exist or who has them. A malformed VIN is a 404 too, not a 422, for the same reason.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from linkplus.auth.deps import CurrentOwner
from linkplus.deps import SessionDep
from linkplus.errors import raises
from linkplus.garage.errors import NotPrimaryAccount
from linkplus.garage.service.access import CallerVehicle, caller_vehicle

__all__ = ["CallerVehicle", "GarageVehicle", "PrimaryVehicle"]


@raises(404)
async def _garage_vehicle(vin: str, account: CurrentOwner, session: SessionDep) -> CallerVehicle:
    return await caller_vehicle(session, account, vin)


GarageVehicle = Annotated[CallerVehicle, Depends(_garage_vehicle)]


@raises(403)
async def _primary_vehicle(caller: GarageVehicle) -> CallerVehicle:
    if not caller.is_primary:
        raise NotPrimaryAccount()
    return caller


PrimaryVehicle = Annotated[CallerVehicle, Depends(_primary_vehicle)]
