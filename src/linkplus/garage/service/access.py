"""Which car a caller may see: the one loader behind the API's ``garage.deps`` and the web pages.

An unknown VIN, a malformed VIN and a car in another account's garage all raise the same
``VehicleNotFound``, so no channel reveals which VINs exist or who has them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.garage import repository
from linkplus.garage.errors import VehicleNotFound
from linkplus.kit.vin import InvalidVin, normalize_vin
from linkplus.models.accounts import Account
from linkplus.models.vehicles import Vehicle
from linkplus.vehicles import service as vehicles
from linkplus.vehicles.catalogue import VehicleModel


@dataclass
class CallerVehicle:
    """A car as the calling account may see it."""

    vehicle: Vehicle
    model: VehicleModel
    account: Account
    is_primary: bool


async def caller_vehicle(session: AsyncSession, account: Account, vin: str) -> CallerVehicle:
    """The car named by ``vin`` (as typed) if it is in ``account``'s garage, else 404."""
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
