"""All SQL of the vehicle link."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.telematics import TelematicsCredential
from linkplus.models.vehicles import Vehicle


async def vehicle_exists(session: AsyncSession, vin: str) -> bool:
    found = await session.scalar(select(Vehicle.vin).where(Vehicle.vin == vin))
    return found is not None


async def get_credential(session: AsyncSession, vin: str) -> TelematicsCredential | None:
    return await session.get(TelematicsCredential, vin)


async def broker_hashes(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(TelematicsCredential.vin, TelematicsCredential.broker_hash).order_by(
            TelematicsCredential.vin
        )
    )
    return [(row[0], row[1]) for row in rows]
