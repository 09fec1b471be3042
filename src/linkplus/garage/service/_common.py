"""Helpers shared by the owner's and the staff's use cases: proof of access, unlinking a car,
response shapes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
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
    VehicleOwnershipBlocked,
)
from linkplus.garage.events import VehicleRemovedFromAccount
from linkplus.garage.schemas import (
    GarageVehicleOut,
    OwnershipCheckOut,
    Role,
)
from linkplus.garage.tenure import tenure_of
from linkplus.models.garage import (
    GarageEntry,
    OwnershipCheck,
    OwnershipFailure,
    VehicleOwnershipGuard,
)
from linkplus.models.notifications import Category
from linkplus.models.vehicles import Vehicle
from linkplus.notifications import service as notifications
from linkplus.runtime import Runtime
from linkplus.vehicles import service as vehicles

MAX_VEHICLES = 10


async def _prove_access(
    session: AsyncSession,
    runtime: Runtime,
    now: datetime,
    account_id: uuid.UUID,
    vehicle: Vehicle,
    *,
    odometer_km: int | None,
) -> None:
    """Check the proof of access; ``odometer_km`` None means a QR code was already verified.

    A blocked check, the car's (any account) or this account's, refuses every proof (see
    ``garage.ownership``). A wrong reading is counted for the account and for the car, the
    primary account is told, and all of it is committed before the refusal.
    """
    # The car's guard first, then the account's check: every path takes them in this order.
    guard = await repository.vehicle_guard_for_update(session, vehicle.vin)
    if guard.blocked_at is not None:
        raise VehicleOwnershipBlocked()
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
            await _count_wrong_reading(session, runtime, now, vehicle, guard, check, judgement)
    check.failed_attempts = 0
    check.passed_at = now
    await session.flush()


async def _count_wrong_reading(
    session: AsyncSession,
    runtime: Runtime,
    now: datetime,
    vehicle: Vehicle,
    guard: VehicleOwnershipGuard,
    check: OwnershipCheck,
    judgement: ownership.Judgement,
) -> NoReturn:
    check.failed_attempts = judgement.failed_attempts
    check.last_failed_at = now
    await repository.add_ownership_failure(
        session, OwnershipFailure(vin=vehicle.vin, account_id=check.account_id, failed_at=now)
    )
    on_car = await repository.count_ownership_failures(
        session, vin=vehicle.vin, since=ownership.car_count_since(now, guard.counted_since)
    )
    car_blocked = ownership.car_is_blocked(on_car)
    if car_blocked:
        guard.blocked_at = now
        await audit.record(
            session,
            now=now,
            actor_type="owner",
            actor_id=str(check.account_id),
            action="garage.vehicle_ownership_blocked",
            subject_type="vehicle",
            subject_id=vehicle.vin,
            details={
                "wrong_readings": on_car,
                "window_days": ownership.CAR_WINDOW.days,
            },
        )
    if judgement.outcome is ownership.Outcome.blocked:
        check.blocked_at = now
        await audit.record(
            session,
            now=now,
            actor_type="owner",
            actor_id=str(check.account_id),
            action="garage.ownership_check_blocked",
            subject_type="vehicle",
            subject_id=vehicle.vin,
            details={"failed_attempts": judgement.failed_attempts},
        )
    await _tell_primary(
        session,
        runtime,
        now,
        vehicle,
        not_to=check.account_id,
        kind="garage.wrong_odometer_reading",
        title="A wrong odometer reading was entered for your {car}",
        body=_wrong_reading_text(now, vehicle, on_car, car_blocked=car_blocked),
    )
    await session.flush()
    if car_blocked:
        await _commit_then_refuse(session, runtime, VehicleOwnershipBlocked())
    if judgement.outcome is ownership.Outcome.blocked:
        await _commit_then_refuse(session, runtime, OwnershipCheckBlocked())
    car_left = max(ownership.MAX_WRONG_READINGS_PER_CAR - on_car, 0)
    await _commit_then_refuse(
        session, runtime, OdometerMismatch(min(judgement.attempts_left, car_left))
    )


def _wrong_reading_text(now: datetime, vehicle: Vehicle, on_car: int, *, car_blocked: bool) -> str:
    limit = ownership.MAX_WRONG_READINGS_PER_CAR
    days = ownership.CAR_WINDOW.days
    text = (
        f"On {now:%d %B %Y at %H:%M} UTC another account entered a wrong odometer reading for "
        f"your {{car}} (VIN {vehicle.vin}) while trying to add it to its garage or to become its "
        f"primary account. That is {on_car} wrong reading{'' if on_car == 1 else 's'} for this "
        f"car in the last {days} days; at {limit} the check is blocked for every account until a "
        "dealer unblocks it. "
    )
    if car_blocked:
        text += (
            "That limit is reached: no account can add or claim your car now. Your own access "
            "is unchanged. "
        )
    return text + (
        "If someone you know is adding the car, there is nothing to do. If not, someone may be "
        "guessing: without the right reading or the QR code on the car's screen they cannot add "
        "it. Keep the QR code to yourself and contact a dealer if this repeats."
    )


async def _tell_primary(
    session: AsyncSession,
    runtime: Runtime,
    now: datetime,
    vehicle: Vehicle,
    *,
    not_to: uuid.UUID,
    kind: str,
    title: str,
    body: str,
) -> None:
    """Tell the car's primary account (inbox, and e-mail and push by its preferences; account
    notices are always e-mailed), unless it has none or is the account that acted."""
    primary = await repository.primary_of(session, vehicle.vin)
    if primary is None or primary.account_id == not_to:
        return
    entry = await repository.get_entry(session, account_id=primary.account_id, vin=vehicle.vin)
    name = _car_name(vehicle, entry)
    await notifications.notify(
        session,
        now=now,
        account_id=primary.account_id,
        category=Category.account,
        kind=kind,
        title=title.format(car=name),
        body=body.format(car=name),
        link=f"{runtime.settings.public_url.rstrip('/')}/garage",
    )


async def _commit_then_refuse(
    session: AsyncSession, runtime: Runtime, refusal: ProblemError
) -> NoReturn:
    """Keep the counted wrong reading (see the module docstring), then refuse."""
    await runtime.db.commit(session)
    raise refusal


_MOMENT = timedelta(microseconds=1)


async def _unlink(
    session: AsyncSession,
    runtime: Runtime,
    *,
    account_id: uuid.UUID,
    vin: str,
    actor_type: str,
    actor_id: str,
    action: str,
    details: dict[str, str],
) -> None:
    """Take the car out of the account. The event carries the account's tenure up to now, so the
    reactions erase its data about the car (the rights domain's ``erase_car_data``)."""
    now = runtime.clock.now()
    entry = await repository.get_entry(session, account_id=account_id, vin=vin)
    primary = await repository.primary_of(session, vin)
    tenure = tenure_of(
        account_id,
        linked_since=entry.added_at if entry is not None else now,
        past=await repository.past_periods(session, vin=vin, account_id=account_id),
        primary_since=primary.since
        if primary is not None and primary.account_id == account_id
        else None,
    )
    await repository.delete_entry(session, account_id=account_id, vin=vin)
    was_primary = await repository.delete_primary(session, vin=vin, account_id=account_id, at=now)
    check = await repository.ownership_check(session, account_id=account_id, vin=vin)
    # A blocked check stays: removing and re-adding the car must not give three fresh tries.
    if check is not None and check.blocked_at is None:
        await repository.delete_ownership_check(session, account_id=account_id, vin=vin)
    await publish(
        session,
        VehicleRemovedFromAccount(
            vin=vin,
            account_id=account_id,
            was_primary=was_primary,
            # The running stretch ends just after now: what the car recorded at the very moment
            # of the removal was still recorded in the account's time.
            tenure=tuple((span.start, span.end or now + _MOMENT) for span in tenure.spans),
        ),
        now=now,
        runtime=runtime,
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
