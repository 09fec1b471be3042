"""The dealer console's use cases: find a car, record an identity check, unblock, remove."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.audit import access
from linkplus.audit import service as audit
from linkplus.audit.reasons import AccessReason, ViewKind
from linkplus.garage import ownership, repository
from linkplus.garage.errors import (
    AccountNotLinked,
    IdentityCheckRequired,
    InvalidVinInput,
    NoOwnershipCheck,
    UnknownVehicle,
    VehicleIdentityCheckRequired,
    VehicleNotBlocked,
)
from linkplus.garage.schemas import (
    IdentityCheckIn,
    IdentityCheckOut,
    OwnershipCheckOut,
    Role,
    StaffVehicleAccountOut,
    StaffVehicleOut,
    VehicleOwnershipBlockOut,
)
from linkplus.garage.service._common import (
    _check_out,
    _role,
    _unlink,
)
from linkplus.kit.vin import InvalidVin, normalize_vin
from linkplus.models.accounts import StaffAccount
from linkplus.models.garage import (
    IdentityCheck,
    IdentityDocument,
)
from linkplus.models.vehicles import Vehicle
from linkplus.runtime import Runtime
from linkplus.vehicles import service as vehicles


def vehicle_subject(vin: str) -> str:
    """What the console remembers a reason for when it shows a car."""
    return f"vehicle:{vin}"


async def staff_find_vehicle(
    session: AsyncSession,
    runtime: Runtime,
    staff: StaffAccount,
    raw_vin: str,
    *,
    reason: AccessReason | None,
) -> StaffVehicleOut:
    """The car, its accounts and their ownership checks; every look-up is audited, and needs a
    reason, recorded for each account shown (their "who saw my data")."""
    _staff_vin(raw_vin)  # a malformed VIN is refused first: it names nobody's car
    given = access.require(reason)  # before the look-up: no reason, no answer at all
    vehicle = await _registered_vehicle(session, raw_vin)
    entries = {
        entry.account_id: entry
        for entry in await repository.entries_of_vehicle(session, vehicle.vin)
    }
    checks = {
        check.account_id: check
        for check in await repository.ownership_checks_of_vehicle(session, vehicle.vin)
    }
    primary = await repository.primary_of(session, vehicle.vin)
    primary_id = primary.account_id if primary is not None else None
    # Accounts whose check is blocked while adding the car are not in its garage: show them too.
    people = await repository.accounts_by_id(session, [*entries, *checks])
    rows = []
    for account_id, person in people.items():
        entry = entries.get(account_id)
        check = checks.get(account_id)
        rows.append(
            StaffVehicleAccountOut(
                account_id=account_id,
                email=person.email,
                name=f"{person.first_name} {person.last_name}",
                role=None if entry is None else _role(account_id == primary_id),
                in_garage=entry is not None,
                added_at=entry.added_at if entry else None,
                added_via=entry.added_via if entry else None,
                ownership_check=_check_out(check) if check else None,
            )
        )
    rows.sort(key=lambda row: (row.role is None, row.role != Role.primary, row.email))
    await audit.record(
        session,
        now=runtime.clock.now(),
        actor_type="staff",
        actor_id=str(staff.id),
        action="staff.vehicle_viewed",
        subject_type="vehicle",
        subject_id=vehicle.vin,
    )
    await access.record_view(
        session,
        now=runtime.clock.now(),
        staff=staff,
        account_ids=[row.account_id for row in rows],
        what=ViewKind.vehicle_record,
        subject=vehicle_subject(vehicle.vin),
        reason=given,
    )
    model = vehicles.model_of(vehicle)
    block = await _block_out(session, runtime.clock.now(), vehicle.vin)
    return StaffVehicleOut(
        vin=vehicle.vin,
        model_code=vehicle.model_code,
        model_name=model.name,
        model_year=vehicle.model_year,
        market=vehicle.market,
        registration_plate=vehicle.registration_plate,
        first_delivery_date=vehicle.first_delivery_date,
        ownership_block=block,
        accounts=rows,
    )


async def record_identity_check(
    session: AsyncSession,
    runtime: Runtime,
    staff: StaffAccount,
    raw_vin: str,
    data: IdentityCheckIn,
) -> IdentityCheckOut:
    """A dealer saw the owner's identity document in person; needed before an unblock."""
    now = runtime.clock.now()
    vehicle = await _registered_vehicle(session, raw_vin)
    await _require_involved(session, account_id=data.account_id, vin=vehicle.vin)
    check = IdentityCheck(
        id=uuid.uuid4(),
        vin=vehicle.vin,
        account_id=data.account_id,
        staff_id=staff.id,
        document=data.document.value,
        checked_at=now,
        notes=data.notes,
    )
    await repository.add_identity_check(session, check)
    await audit.record(
        session,
        now=now,
        actor_type="staff",
        actor_id=str(staff.id),
        action="staff.identity_checked",
        subject_type="vehicle",
        subject_id=vehicle.vin,
        details={"account_id": str(data.account_id), "document": data.document.value},
    )
    return IdentityCheckOut(
        id=check.id,
        vin=check.vin,
        account_id=check.account_id,
        staff_id=check.staff_id,
        document=IdentityDocument(check.document),
        checked_at=check.checked_at,
        notes=check.notes,
    )


async def unblock_ownership_check(
    session: AsyncSession,
    runtime: Runtime,
    staff: StaffAccount,
    raw_vin: str,
    account_id: uuid.UUID,
) -> OwnershipCheckOut:
    """Reset the wrong readings, once an identity check from the last 24 hours is on record."""
    now = runtime.clock.now()
    vehicle = await _registered_vehicle(session, raw_vin)
    if await repository.ownership_check(session, account_id=account_id, vin=vehicle.vin) is None:
        raise NoOwnershipCheck()
    recent = await repository.latest_identity_check(
        session,
        account_id=account_id,
        vin=vehicle.vin,
        since=now - ownership.IDENTITY_CHECK_VALID_FOR,
    )
    if recent is None:
        raise IdentityCheckRequired(int(ownership.IDENTITY_CHECK_VALID_FOR.total_seconds() // 3600))
    check = await repository.ownership_check_for_update(
        session, account_id=account_id, vin=vehicle.vin
    )
    was = {"failed_attempts": check.failed_attempts, "blocked": check.blocked_at is not None}
    check.failed_attempts = 0
    check.blocked_at = None
    await session.flush()
    await audit.record(
        session,
        now=now,
        actor_type="staff",
        actor_id=str(staff.id),
        action="staff.ownership_check_unblocked",
        subject_type="vehicle",
        subject_id=vehicle.vin,
        details={"account_id": str(account_id), "identity_check_id": str(recent.id), **was},
    )
    return _check_out(check)


async def unblock_vehicle(
    session: AsyncSession, runtime: Runtime, staff: StaffAccount, raw_vin: str
) -> VehicleOwnershipBlockOut:
    """Lift the car's block (wrong readings from any accounts), once an in-person identity check
    for this car from the last 24 hours is on record; the wrong readings so far are spent.

    The accounts' own blocked checks stay as they are: each is unblocked on its own.
    """
    now = runtime.clock.now()
    vehicle = await _registered_vehicle(session, raw_vin)
    guard = await repository.vehicle_guard_for_update(session, vehicle.vin)
    if guard.blocked_at is None:
        raise VehicleNotBlocked()
    recent = await repository.latest_identity_check_for_vehicle(
        session, vin=vehicle.vin, since=now - ownership.IDENTITY_CHECK_VALID_FOR
    )
    if recent is None:
        raise VehicleIdentityCheckRequired(
            int(ownership.IDENTITY_CHECK_VALID_FOR.total_seconds() // 3600)
        )
    blocked_at = guard.blocked_at
    guard.blocked_at = None
    guard.counted_since = now
    await session.flush()
    await audit.record(
        session,
        now=now,
        actor_type="staff",
        actor_id=str(staff.id),
        action="staff.vehicle_ownership_unblocked",
        subject_type="vehicle",
        subject_id=vehicle.vin,
        details={
            "identity_check_id": str(recent.id),
            "identity_checked_account_id": str(recent.account_id),
            "blocked_at": blocked_at.isoformat(),
        },
    )
    return await _block_out(session, now, vehicle.vin)


async def _block_out(session: AsyncSession, now: datetime, vin: str) -> VehicleOwnershipBlockOut:
    guard = await repository.vehicle_guard(session, vin)
    counted_since = guard.counted_since if guard is not None else None
    wrong = await repository.count_ownership_failures(
        session, vin=vin, since=ownership.car_count_since(now, counted_since)
    )
    blocked_at = guard.blocked_at if guard is not None else None
    return VehicleOwnershipBlockOut(
        blocked=blocked_at is not None,
        blocked_at=blocked_at,
        wrong_readings=wrong,
        limit=ownership.MAX_WRONG_READINGS_PER_CAR,
        window_days=ownership.CAR_WINDOW.days,
    )


async def staff_remove_vehicle(
    session: AsyncSession,
    runtime: Runtime,
    staff: StaffAccount,
    raw_vin: str,
    account_id: uuid.UUID,
    *,
    reason: str,
) -> None:
    """Remove the car from an account on the owner's request: the same as the owner removing it."""
    vehicle = await _registered_vehicle(session, raw_vin)
    if await repository.get_entry(session, account_id=account_id, vin=vehicle.vin) is None:
        raise AccountNotLinked()
    await _unlink(
        session,
        runtime,
        account_id=account_id,
        vin=vehicle.vin,
        actor_type="staff",
        actor_id=str(staff.id),
        action="staff.vehicle_removed_from_account",
        details={"account_id": str(account_id), "reason": reason},
    )


def _staff_vin(raw_vin: str) -> str:
    """Staff look cars up by VIN: a malformed VIN gets the reason (staff need to know)."""
    try:
        return normalize_vin(raw_vin)
    except InvalidVin as exc:
        raise InvalidVinInput(str(exc)) from exc


async def _registered_vehicle(session: AsyncSession, raw_vin: str) -> Vehicle:
    vin = _staff_vin(raw_vin)
    vehicle = await vehicles.get_vehicle(session, vin)
    if vehicle is None:
        raise UnknownVehicle("VIN")
    return vehicle


async def _require_involved(session: AsyncSession, *, account_id: uuid.UUID, vin: str) -> None:
    """The account has the car, or has tried the ownership check for it."""
    if await repository.get_entry(session, account_id=account_id, vin=vin) is not None:
        return
    if await repository.ownership_check(session, account_id=account_id, vin=vin) is not None:
        return
    raise AccountNotLinked()
