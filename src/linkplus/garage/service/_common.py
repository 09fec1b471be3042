"""Helpers shared by the owner's and the staff's use cases: proof of access, unlinking a car,
response shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.audit import service as audit
from linkplus.errors import ProblemError
from linkplus.events import publish
from linkplus.garage import ownership, repository
from linkplus.garage.errors import (
    OdometerMismatch,
    OdometerReadingUnavailable,
    OwnershipCheckBlocked,
)
from linkplus.garage.events import VehicleRemovedFromAccount
from linkplus.garage.schemas import (
    GarageVehicleOut,
    OwnershipCheckOut,
    Role,
)
from linkplus.models.garage import (
    GarageEntry,
    OwnershipCheck,
)
from linkplus.models.vehicles import Vehicle
from linkplus.vehicles import service as vehicles

MAX_VEHICLES = 10


async def _prove_access(
    session: AsyncSession,
    now: datetime,
    account_id: uuid.UUID,
    vehicle: Vehicle,
    *,
    odometer_km: int | None,
) -> None:
    """Check the proof of access; ``odometer_km`` None means a QR code was already verified.

    A blocked check refuses every proof (see ``garage.ownership``). A wrong reading is counted
    and committed before the refusal.
    """
    check = await repository.ownership_check_for_update(
        session, account_id=account_id, vin=vehicle.vin
    )
    if check.blocked_at is not None:
        raise OwnershipCheckBlocked()
    if odometer_km is not None:
        if vehicle.odometer_km is None:
            raise OdometerReadingUnavailable()
        judgement = ownership.judge_reading(
            odometer_km, vehicle.odometer_km, failed_attempts=check.failed_attempts
        )
        if judgement.outcome is not ownership.Outcome.passed:
            await _count_wrong_reading(session, now, check, judgement)
    check.failed_attempts = 0
    check.passed_at = now
    await session.flush()


async def _count_wrong_reading(
    session: AsyncSession, now: datetime, check: OwnershipCheck, judgement: ownership.Judgement
) -> NoReturn:
    check.failed_attempts = judgement.failed_attempts
    check.last_failed_at = now
    if judgement.outcome is ownership.Outcome.blocked:
        check.blocked_at = now
        await audit.record(
            session,
            now=now,
            actor_type="owner",
            actor_id=str(check.account_id),
            action="garage.ownership_check_blocked",
            subject_type="vehicle",
            subject_id=check.vin,
            details={"failed_attempts": judgement.failed_attempts},
        )
        await _commit_then_refuse(session, OwnershipCheckBlocked())
    await _commit_then_refuse(session, OdometerMismatch(judgement.attempts_left))


async def _commit_then_refuse(session: AsyncSession, refusal: ProblemError) -> NoReturn:
    """Keep the counted wrong reading (see the module docstring), then refuse."""
    await session.commit()
    raise refusal


async def _unlink(
    session: AsyncSession,
    now: datetime,
    *,
    account_id: uuid.UUID,
    vin: str,
    actor_type: str,
    actor_id: str,
    action: str,
    details: dict[str, str],
) -> None:
    await repository.delete_entry(session, account_id=account_id, vin=vin)
    was_primary = await repository.delete_primary(session, vin=vin, account_id=account_id, at=now)
    check = await repository.ownership_check(session, account_id=account_id, vin=vin)
    # A blocked check stays: removing and re-adding the car must not give three fresh tries.
    if check is not None and check.blocked_at is None:
        await repository.delete_ownership_check(session, account_id=account_id, vin=vin)
    await publish(
        session,
        VehicleRemovedFromAccount(vin=vin, account_id=account_id, was_primary=was_primary),
        now=now,
    )
    await audit.record(
        session,
        now=now,
        actor_type=actor_type,
        actor_id=actor_id,
        action=action,
        subject_type="vehicle",
        subject_id=vin,
        details={**details, "was_primary": was_primary},
    )


def _car_name(vehicle: Vehicle, entry: GarageEntry | None) -> str:
    model = vehicles.model_of(vehicle).name
    if entry is not None and entry.nickname:
        return f"{entry.nickname} ({model})"
    return model


def _role(is_primary: bool) -> Role:
    return Role.primary if is_primary else Role.secondary


def _garage_vehicle_out(
    vehicle: Vehicle, entry: GarageEntry, *, is_primary: bool
) -> GarageVehicleOut:
    model = vehicles.model_of(vehicle)
    if not is_primary:
        return GarageVehicleOut(
            vin=vehicle.vin, model_name=model.name, nickname=entry.nickname, role=Role.secondary
        )
    return GarageVehicleOut(
        vin=vehicle.vin,
        model_name=model.name,
        nickname=entry.nickname,
        role=Role.primary,
        model_code=model.code,
        model_year=vehicle.model_year,
        powertrain=model.powertrain.value,
        multimedia=vehicle.multimedia,
        market=vehicle.market,
        registration_plate=vehicle.registration_plate,
        added_at=entry.added_at,
    )


def _check_out(check: OwnershipCheck) -> OwnershipCheckOut:
    return OwnershipCheckOut(
        failed_attempts=check.failed_attempts,
        attempts_left=ownership.attempts_left(check.failed_attempts),
        blocked=check.blocked_at is not None,
        blocked_at=check.blocked_at,
        last_failed_at=check.last_failed_at,
        passed_at=check.passed_at,
    )
