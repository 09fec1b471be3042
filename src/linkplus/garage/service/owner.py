"""The owner's use cases: add, list, show and remove cars; claim the primary role."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.audit import service as audit
from linkplus.events import publish
from linkplus.garage import repository
from linkplus.garage.errors import (
    AlreadyPrimaryAccount,
    GarageFull,
    PairingCodeForAnotherVehicle,
    PrimaryChangedMeanwhile,
    UnknownVehicle,
    VehicleAlreadyInGarage,
    VehicleNotFound,
)
from linkplus.garage.events import PrimaryAccountChanged
from linkplus.garage.schemas import (
    AddVehicleIn,
    GarageVehicleOut,
    OdometerOut,
    OwnershipProof,
)
from linkplus.garage.service._common import (
    MAX_VEHICLES,
    _car_name,
    _garage_vehicle_out,
    _prove_access,
    _tell_primary,
    _unlink,
)
from linkplus.garage.service.access import CallerVehicle
from linkplus.models.accounts import Account
from linkplus.models.garage import (
    AddedVia,
    GarageEntry,
)
from linkplus.models.notifications import Category
from linkplus.models.vehicles import Vehicle
from linkplus.notifications import service as notifications
from linkplus.runtime import Runtime
from linkplus.vehicles import service as vehicles

_PROOF = {
    AddedVia.qr: "with the QR code on its screen",
    AddedVia.vin: "by its VIN and odometer reading",
    AddedVia.plate: "by its registration plate and odometer reading",
}


async def add_vehicle(
    session: AsyncSession, runtime: Runtime, account: Account, data: AddVehicleIn
) -> GarageVehicleOut:
    """Add a car to ``account``'s garage after proof of access; primary if the car has none."""
    now = runtime.clock.now()
    vehicle, via = await _identify(session, runtime, data)
    if await repository.get_entry(session, account_id=account.id, vin=vehicle.vin) is not None:
        raise VehicleAlreadyInGarage()
    if await repository.count_entries(session, account.id) >= MAX_VEHICLES:
        raise GarageFull(
            f"An account can have at most {MAX_VEHICLES} cars. Remove a car you no longer "
            "use from your garage, then add this one."
        )
    await _prove_access(session, runtime, now, account.id, vehicle, odometer_km=data.odometer_km)
    entry = GarageEntry(
        account_id=account.id,
        vin=vehicle.vin,
        added_at=now,
        added_via=via.value,
        nickname=data.nickname,
    )
    await repository.add_entry(session, entry)
    is_primary = await repository.claim_free_primary(
        session, vin=vehicle.vin, account_id=account.id, since=now
    )
    if is_primary:
        # The car had no primary account: other domains set up what the new primary gets
        # (e.g. what is left of the car's complimentary periods).
        await publish(
            session,
            PrimaryAccountChanged(vin=vehicle.vin, previous_account_id=None, account_id=account.id),
            now=now,
        )
    else:
        await _tell_primary(
            session,
            runtime,
            now,
            vehicle,
            not_to=account.id,
            kind="garage.secondary_account_added",
            title="Another account added your {car}",
            body=(
                f"On {now:%d %B %Y at %H:%M} UTC another account proved access to your {{car}} "
                f"(VIN {vehicle.vin}, {_PROOF[via]}) and added it to its garage as a secondary "
                "account. A secondary account sees only the car's name and model, but it can "
                "claim the primary role with fresh proof. If you do not know who this is, contact "
                "a dealer."
            ),
        )
    await audit.record(
        session,
        now=now,
        actor_type="owner",
        actor_id=str(account.id),
        action="garage.vehicle_added",
        subject_type="vehicle",
        subject_id=vehicle.vin,
        details={"added_via": via.value, "primary": is_primary},
    )
    return _garage_vehicle_out(vehicle, entry, is_primary=is_primary)


async def list_vehicles(
    session: AsyncSession, runtime: Runtime, account: Account
) -> list[GarageVehicleOut]:
    entries = await repository.entries_of_account(session, account.id)
    primary_vins = await repository.primary_vins_of_account(session, account.id)
    cars = []
    for entry in entries:
        vehicle = await vehicles.get_vehicle(session, entry.vin)
        if vehicle is not None:
            cars.append(_garage_vehicle_out(vehicle, entry, is_primary=entry.vin in primary_vins))
    return cars


async def vehicle_summary(session: AsyncSession, caller: CallerVehicle) -> GarageVehicleOut:
    """The car as ``caller`` may see it (a secondary account gets the name and model only)."""
    entry = await repository.get_entry(
        session, account_id=caller.account.id, vin=caller.vehicle.vin
    )
    if entry is None:
        raise VehicleNotFound()
    return _garage_vehicle_out(caller.vehicle, entry, is_primary=caller.is_primary)


def odometer(caller: CallerVehicle) -> OdometerOut:
    """The last reported reading; the route admits the primary account only (see OdometerOut)."""
    return OdometerOut(
        odometer_km=caller.vehicle.odometer_km, reported_at=caller.vehicle.odometer_reported_at
    )


async def remove_vehicle(
    session: AsyncSession, runtime: Runtime, account: Account, vin: str
) -> None:
    """Remove the car from the account's garage for good (publishes VehicleRemovedFromAccount)."""
    if await repository.get_entry(session, account_id=account.id, vin=vin) is None:
        raise VehicleNotFound()
    await _unlink(
        session,
        runtime,
        account_id=account.id,
        vin=vin,
        actor_type="owner",
        actor_id=str(account.id),
        action="garage.vehicle_removed",
        details={},
    )


async def claim_primary(
    session: AsyncSession, runtime: Runtime, account: Account, vin: str, proof: OwnershipProof
) -> None:
    """Make ``account`` the car's primary account after fresh proof of access.

    The previous primary is notified in the same transaction and loses access with the commit
    (every per-car route reads the primary role on each request). Publishes PrimaryAccountChanged.
    """
    now = runtime.clock.now()
    if await repository.get_entry(session, account_id=account.id, vin=vin) is None:
        raise VehicleNotFound()
    vehicle = await vehicles.get_vehicle(session, vin)
    if vehicle is None:
        raise VehicleNotFound()
    # Lock order as in add_vehicle: the car's ownership guard, then the primary row (PostgreSQL
    # would otherwise find a deadlock between a claim and an add of the same car).
    await repository.vehicle_guard_for_update(session, vin)
    current = await repository.primary_for_update(session, vin)
    if current is not None and current.account_id == account.id:
        raise AlreadyPrimaryAccount()
    if proof.pairing_code is not None:
        shown_by = await vehicles.verify_pairing_code(session, runtime, proof.pairing_code)
        if shown_by.vin != vin:
            raise PairingCodeForAnotherVehicle()
    await _prove_access(session, runtime, now, account.id, vehicle, odometer_km=proof.odometer_km)
    previous_id = current.account_id if current is not None else None
    if current is None:
        if not await repository.claim_free_primary(
            session, vin=vin, account_id=account.id, since=now
        ):
            raise PrimaryChangedMeanwhile()
    else:
        await repository.hand_over_primary(session, current, account_id=account.id, at=now)
    if previous_id is not None:
        await _tell_previous_primary(session, runtime, now, previous_id, vehicle)
    await publish(
        session,
        PrimaryAccountChanged(vin=vin, previous_account_id=previous_id, account_id=account.id),
        now=now,
    )
    await audit.record(
        session,
        now=now,
        actor_type="owner",
        actor_id=str(account.id),
        action="garage.primary_account_changed",
        subject_type="vehicle",
        subject_id=vin,
        details={
            "previous_account_id": str(previous_id) if previous_id else None,
            "proof": "qr" if proof.pairing_code is not None else "odometer",
        },
    )


async def primary_account_id(session: AsyncSession, vin: str) -> uuid.UUID | None:
    primary = await repository.primary_of(session, vin)
    return primary.account_id if primary is not None else None


async def primary_account_ids(session: AsyncSession, vins: Iterable[str]) -> dict[str, uuid.UUID]:
    """The primary account of each of ``vins`` that has one, in one statement."""
    return await repository.primaries_of(session, vins)


async def garage_vins(session: AsyncSession, account_id: uuid.UUID) -> list[str]:
    return [entry.vin for entry in await repository.entries_of_account(session, account_id)]


async def _identify(
    session: AsyncSession, runtime: Runtime, data: AddVehicleIn
) -> tuple[Vehicle, AddedVia]:
    if data.pairing_code is not None:
        return await vehicles.verify_pairing_code(session, runtime, data.pairing_code), AddedVia.qr
    if data.vin is not None:
        vehicle = await vehicles.get_vehicle(session, data.vin)
        if vehicle is None:
            raise UnknownVehicle("VIN")
        return vehicle, AddedVia.vin
    assert data.registration_plate is not None  # AddVehicleIn requires exactly one way
    vehicle = await vehicles.find_by_plate(session, data.registration_plate)
    if vehicle is None:
        raise UnknownVehicle("registration plate")
    return vehicle, AddedVia.plate


async def _tell_previous_primary(
    session: AsyncSession, runtime: Runtime, now: datetime, account_id: uuid.UUID, vehicle: Vehicle
) -> None:
    entry = await repository.get_entry(session, account_id=account_id, vin=vehicle.vin)
    name = _car_name(vehicle, entry)
    await notifications.notify(
        session,
        now=now,
        account_id=account_id,
        category=Category.account,
        kind="garage.primary_account_lost",
        title=f"Your {name} has a new primary account",
        body=(
            f"On {now:%d %B %Y at %H:%M} UTC another account proved access to your {name} "
            f"(VIN {vehicle.vin}) and became its primary account. Your account no longer has "
            "connected services, remote control or trips for this car; it stays in your garage. "
            "If you did not expect this, sit in the car and claim the primary account back in "
            "the Connected Services Centre with the QR code on its screen, or contact a dealer."
        ),
        link=f"{runtime.settings.public_url.rstrip('/')}/garage",
    )
