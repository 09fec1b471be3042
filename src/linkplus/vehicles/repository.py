"""All SQL of the vehicles domain."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.db import dialect_insert
from linkplus.models.vehicles import UsedPairingCode, Vehicle

_CHUNK = 500


async def get_vehicle(session: AsyncSession, vin: str) -> Vehicle | None:
    return await session.get(Vehicle, vin)


async def vehicle_by_plate_key(session: AsyncSession, plate_key: str) -> Vehicle | None:
    """The car with this plate; if a plate moved to another car, the most recently updated."""
    return await session.scalar(
        select(Vehicle)
        .where(Vehicle.plate_key == plate_key)
        .order_by(Vehicle.updated_at.desc(), Vehicle.vin)
        .limit(1)
    )


async def vehicles_by_vin(session: AsyncSession, vins: Iterable[str]) -> dict[str, Vehicle]:
    wanted = list(dict.fromkeys(vins))
    found: dict[str, Vehicle] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        result = await session.scalars(select(Vehicle).where(Vehicle.vin.in_(chunk)))
        found.update((vehicle.vin, vehicle) for vehicle in result)
    return found


async def add_vehicle(session: AsyncSession, vehicle: Vehicle) -> None:
    session.add(vehicle)
    await session.flush()


async def raise_odometer(
    session: AsyncSession, *, vin: str, km: int, reported_at: datetime
) -> bool:
    """Store a reading only if it is newer and not lower than the stored one; True if stored.

    One conditional UPDATE, so two readings arriving at once cannot leave the older one stored.
    """
    result = await session.execute(
        update(Vehicle)
        .where(
            Vehicle.vin == vin,
            or_(Vehicle.odometer_reported_at.is_(None), Vehicle.odometer_reported_at < reported_at),
            or_(Vehicle.odometer_km.is_(None), Vehicle.odometer_km <= km),
        )
        .values(odometer_km=km, odometer_reported_at=reported_at)
        .execution_options(synchronize_session="fetch")
    )
    return bool(getattr(result, "rowcount", 0))


async def spend_pairing_code(
    session: AsyncSession, *, vin: str, nonce: str, used_at: datetime, expires_at: datetime
) -> bool:
    """Record the code as used; False when it already was (by this or a concurrent request)."""
    values = {"vin": vin, "nonce": nonce, "used_at": used_at, "expires_at": expires_at}
    stmt = dialect_insert(session, UsedPairingCode).values(values).on_conflict_do_nothing()
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


# --- the owner's data export (vehicles.data_export) ---


async def export_rows(session: AsyncSession, vins: Sequence[str]) -> dict[str, Sequence[object]]:
    """The registry facts of the account's cars and the head-unit pairing codes used on them."""
    cars = (
        await session.scalars(select(Vehicle).where(Vehicle.vin.in_(vins)).order_by(Vehicle.vin))
    ).all()
    codes = (
        await session.scalars(
            select(UsedPairingCode)
            .where(UsedPairingCode.vin.in_(vins))
            .order_by(UsedPairingCode.used_at)
        )
    ).all()
    return {"vehicles": list(cars), "used_pairing_codes": list(codes)}
