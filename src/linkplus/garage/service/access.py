"""Which car a caller may see: the one loader behind the API's ``garage.deps`` and the web pages.

An unknown VIN, a malformed VIN and a car in another account's garage all raise the same
``VehicleNotFound``, so no channel reveals which VINs exist or who has them.

The loaded car carries the caller's ``Tenure`` (``garage.tenure``): every per-car read scopes
the car's history to it, so the caller sees only what happened while the car was its own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.garage import repository
from linkplus.garage.errors import VehicleNotFound
from linkplus.garage.tenure import Tenure, tenure_of
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
    tenure: Tenure  # the caller's time with the car: scope every read of its history to it


async def caller_vehicle(session: AsyncSession, account: Account, vin: str) -> CallerVehicle:
    """The car named by ``vin`` (as typed) if it is in ``account``'s garage, else 404."""
    try:
        normalized = normalize_vin(vin)
    except InvalidVin as exc:
        raise VehicleNotFound() from exc
    entry = await repository.get_entry(session, account_id=account.id, vin=normalized)
    if entry is None:
        raise VehicleNotFound()
    vehicle = await vehicles.get_vehicle(session, normalized)
    if vehicle is None:
        raise VehicleNotFound()
    primary = await repository.primary_of(session, normalized)
    is_primary = primary is not None and primary.account_id == account.id
    tenure = tenure_of(
        account.id,
        linked_since=entry.added_at,
        past=await repository.past_periods(session, vin=normalized, account_id=account.id),
        primary_since=primary.since if primary is not None and is_primary else None,
    )
    return CallerVehicle(vehicle, vehicles.model_of(vehicle), account, is_primary, tenure)


async def primary_account_at(session: AsyncSession, vin: str, at: datetime) -> uuid.UUID | None:
    """The car's primary account if it already was at ``at``: whom to tell about something the
    car did then. None when the car has no primary account or changed hands since ``at`` (the
    new account must not learn of the previous one's trips or commands)."""
    primary = await repository.primary_of(session, vin)
    if primary is None or primary.since > at:
        return None
    return primary.account_id
