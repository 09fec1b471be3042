"""All SQL of the garage domain."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.db import dialect_insert
from linkplus.kit.spans import Span
from linkplus.models.accounts import Account
from linkplus.models.garage import (
    GarageEntry,
    IdentityCheck,
    OwnershipCheck,
    OwnershipFailure,
    PastPrimaryPeriod,
    PrimaryAccount,
    VehicleOwnershipGuard,
)


def _upsert_nothing(session: AsyncSession, table: Any, values: dict[str, Any]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING in the session's dialect (so concurrent firsts agree)."""
    return dialect_insert(session, table).values(values).on_conflict_do_nothing()


# --- garage entries -------------------------------------------------------------------------------


async def get_entry(
    session: AsyncSession, *, account_id: uuid.UUID, vin: str
) -> GarageEntry | None:
    return await session.get(GarageEntry, (account_id, vin))


async def entries_of_account(session: AsyncSession, account_id: uuid.UUID) -> list[GarageEntry]:
    stmt = (
        select(GarageEntry)
        .where(GarageEntry.account_id == account_id)
        .order_by(GarageEntry.added_at, GarageEntry.vin)
    )
    return list((await session.scalars(stmt)).all())


async def count_entries(session: AsyncSession, account_id: uuid.UUID) -> int:
    stmt = select(func.count()).select_from(GarageEntry).where(GarageEntry.account_id == account_id)
    return int(await session.scalar(stmt) or 0)


async def entries_of_vehicle(session: AsyncSession, vin: str) -> list[GarageEntry]:
    stmt = select(GarageEntry).where(GarageEntry.vin == vin).order_by(GarageEntry.added_at)
    return list((await session.scalars(stmt)).all())


async def add_entry(session: AsyncSession, entry: GarageEntry) -> None:
    session.add(entry)
    await session.flush()


async def delete_entry(session: AsyncSession, *, account_id: uuid.UUID, vin: str) -> None:
    await session.execute(
        delete(GarageEntry)
        .where(GarageEntry.account_id == account_id, GarageEntry.vin == vin)
        .execution_options(synchronize_session="fetch")
    )


# --- primary accounts -----------------------------------------------------------------------------


async def primary_of(session: AsyncSession, vin: str) -> PrimaryAccount | None:
    return await session.scalar(select(PrimaryAccount).where(PrimaryAccount.vin == vin))


async def primaries_of(session: AsyncSession, vins: Iterable[str]) -> dict[str, uuid.UUID]:
    wanted = list(dict.fromkeys(vins))
    if not wanted:
        return {}
    rows = await session.execute(
        select(PrimaryAccount.vin, PrimaryAccount.account_id).where(PrimaryAccount.vin.in_(wanted))
    )
    return dict(rows.all())


async def primary_for_update(session: AsyncSession, vin: str) -> PrimaryAccount | None:
    """The car's primary row, locked on PostgreSQL while a switch decides on it."""
    stmt = (
        select(PrimaryAccount)
        .where(PrimaryAccount.vin == vin)
        .execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def primary_vins_of_account(session: AsyncSession, account_id: uuid.UUID) -> set[str]:
    stmt = select(PrimaryAccount.vin).where(PrimaryAccount.account_id == account_id)
    return set((await session.scalars(stmt)).all())


async def claim_free_primary(
    session: AsyncSession, *, vin: str, account_id: uuid.UUID, since: datetime
) -> bool:
    """Make ``account_id`` primary if the car has none; False when another account got there."""
    values = {"vin": vin, "account_id": account_id, "since": since}
    await session.execute(_upsert_nothing(session, PrimaryAccount, values))
    current = await primary_for_update(session, vin)
    return current is not None and current.account_id == account_id


async def delete_primary(
    session: AsyncSession, *, vin: str, account_id: uuid.UUID, at: datetime
) -> bool:
    """End ``account_id``'s primary role for ``vin`` at ``at`` (its stretch is kept as a past
    period); False when it did not have it."""
    current = await primary_for_update(session, vin)
    if current is None or current.account_id != account_id:
        return False
    await _end_period(session, current, at)
    await session.delete(current)
    await session.flush()
    return True


async def hand_over_primary(
    session: AsyncSession, current: PrimaryAccount, *, account_id: uuid.UUID, at: datetime
) -> None:
    """Make ``account_id`` the primary account from ``at``; the previous one's stretch ends."""
    await _end_period(session, current, at)
    current.account_id = account_id
    current.since = at
    await session.flush()


async def _end_period(session: AsyncSession, current: PrimaryAccount, at: datetime) -> None:
    session.add(
        PastPrimaryPeriod(
            vin=current.vin, account_id=current.account_id, started_at=current.since, ended_at=at
        )
    )
    await session.flush()


async def past_periods(session: AsyncSession, *, vin: str, account_id: uuid.UUID) -> list[Span]:
    """The ended stretches during which ``account_id`` was the car's primary account."""
    stmt = (
        select(PastPrimaryPeriod.started_at, PastPrimaryPeriod.ended_at)
        .where(PastPrimaryPeriod.vin == vin, PastPrimaryPeriod.account_id == account_id)
        .order_by(PastPrimaryPeriod.started_at)
    )
    return [Span(row[0], row[1]) for row in await session.execute(stmt)]


# --- ownership checks -----------------------------------------------------------------------------


async def ownership_check_for_update(
    session: AsyncSession, *, account_id: uuid.UUID, vin: str
) -> OwnershipCheck:
    """The (account, car) attempt counter, created when missing and locked on PostgreSQL so that
    concurrent wrong readings are all counted."""
    values = {"account_id": account_id, "vin": vin, "failed_attempts": 0}
    await session.execute(_upsert_nothing(session, OwnershipCheck, values))
    stmt = (
        select(OwnershipCheck)
        .where(OwnershipCheck.account_id == account_id, OwnershipCheck.vin == vin)
        .execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = await session.scalar(stmt)
    assert row is not None  # inserted just above when missing
    return row


async def ownership_check(
    session: AsyncSession, *, account_id: uuid.UUID, vin: str
) -> OwnershipCheck | None:
    return await session.get(OwnershipCheck, (account_id, vin))


async def ownership_checks_of_vehicle(session: AsyncSession, vin: str) -> list[OwnershipCheck]:
    stmt = select(OwnershipCheck).where(OwnershipCheck.vin == vin)
    return list((await session.scalars(stmt)).all())


async def delete_ownership_check(session: AsyncSession, *, account_id: uuid.UUID, vin: str) -> None:
    await session.execute(
        delete(OwnershipCheck)
        .where(OwnershipCheck.account_id == account_id, OwnershipCheck.vin == vin)
        .execution_options(synchronize_session="fetch")
    )


# --- the car's side of the ownership check --------------------------------------------------------


async def vehicle_guard_for_update(session: AsyncSession, vin: str) -> VehicleOwnershipGuard:
    """The car's guard row, created when missing and locked on PostgreSQL: every proof for the car,
    from any account, passes through it one at a time, so concurrent wrong readings from many
    accounts are all counted before the next one is judged."""
    values = {"vin": vin, "counted_since": None, "blocked_at": None}
    await session.execute(_upsert_nothing(session, VehicleOwnershipGuard, values))
    stmt = (
        select(VehicleOwnershipGuard)
        .where(VehicleOwnershipGuard.vin == vin)
        .execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = await session.scalar(stmt)
    assert row is not None  # inserted just above when missing
    return row


async def vehicle_guard(session: AsyncSession, vin: str) -> VehicleOwnershipGuard | None:
    return await session.get(VehicleOwnershipGuard, vin)


async def add_ownership_failure(session: AsyncSession, failure: OwnershipFailure) -> None:
    session.add(failure)
    await session.flush()


async def count_ownership_failures(session: AsyncSession, *, vin: str, since: datetime) -> int:
    """Wrong readings for the car, from any account, after ``since``."""
    stmt = (
        select(func.count())
        .select_from(OwnershipFailure)
        .where(OwnershipFailure.vin == vin, OwnershipFailure.failed_at > since)
    )
    return int(await session.scalar(stmt) or 0)


async def latest_identity_check_for_vehicle(
    session: AsyncSession, *, vin: str, since: datetime
) -> IdentityCheck | None:
    stmt = (
        select(IdentityCheck)
        .where(IdentityCheck.vin == vin, IdentityCheck.checked_at >= since)
        .order_by(IdentityCheck.checked_at.desc())
        .limit(1)
    )
    return await session.scalar(stmt)


# --- identity checks ------------------------------------------------------------------------------


async def add_identity_check(session: AsyncSession, check: IdentityCheck) -> None:
    session.add(check)
    await session.flush()


async def latest_identity_check(
    session: AsyncSession, *, account_id: uuid.UUID, vin: str, since: datetime
) -> IdentityCheck | None:
    stmt = (
        select(IdentityCheck)
        .where(
            IdentityCheck.account_id == account_id,
            IdentityCheck.vin == vin,
            IdentityCheck.checked_at >= since,
        )
        .order_by(IdentityCheck.checked_at.desc())
        .limit(1)
    )
    return await session.scalar(stmt)


# --- accounts (read-only: names and addresses for the staff view) ---------------------------------


async def accounts_by_id(
    session: AsyncSession, account_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Account]:
    ids = set(account_ids)
    if not ids:
        return {}
    rows = await session.scalars(select(Account).where(Account.id.in_(ids)))
    return {account.id: account for account in rows}


# --- the owner's data export (garage.data_export) ---


async def export_rows(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Sequence[object]]:
    """The account's garage: its cars, its primary-account stretches (running and past), its
    ownership checks, the identity checks staff made of it and its failed readings."""

    async def rows(model: Any, *order: Any) -> list[object]:
        stmt = select(model).where(model.account_id == account_id).order_by(*order)
        return list((await session.scalars(stmt)).all())

    entries = await entries_of_account(session, account_id)
    guards = (
        await session.scalars(
            select(VehicleOwnershipGuard)
            .where(VehicleOwnershipGuard.vin.in_([entry.vin for entry in entries]))
            .order_by(VehicleOwnershipGuard.vin)
        )
    ).all()
    return {
        "garage_entries": list(entries),
        "primary_accounts": await rows(PrimaryAccount, PrimaryAccount.since),
        "past_primary_periods": await rows(PastPrimaryPeriod, PastPrimaryPeriod.started_at),
        "ownership_checks": await rows(OwnershipCheck, OwnershipCheck.vin),
        "identity_checks": await rows(IdentityCheck, IdentityCheck.checked_at),
        "ownership_failures": await rows(OwnershipFailure, OwnershipFailure.failed_at),
        "vehicle_ownership_guards": list(guards),
    }


# --- erasure (rights) ------------------------------------------------------------------------


async def erase_car_history(session: AsyncSession, *, account_id: uuid.UUID, vin: str) -> None:
    """The account's past primary stretches with the car and its identity checks there go; its
    failed ownership proofs stay for the car's count and forget the account. A blocked
    ownership check stays (removing and re-adding a car must not give fresh tries) until the
    account itself is erased."""
    for model in (PastPrimaryPeriod, IdentityCheck):
        await session.execute(delete(model).where(model.account_id == account_id, model.vin == vin))
    await _forget_failures(session, account_id=account_id, vin=vin)


async def erase_account_history(session: AsyncSession, *, account_id: uuid.UUID) -> None:
    """What is left of the account in the garage once its cars are gone."""
    for model in (PastPrimaryPeriod, IdentityCheck, OwnershipCheck):
        await session.execute(delete(model).where(model.account_id == account_id))
    await _forget_failures(session, account_id=account_id, vin=None)


async def _forget_failures(
    session: AsyncSession, *, account_id: uuid.UUID, vin: str | None
) -> None:
    """A wrong reading stays counted against the car (deleting a throw-away account must not
    lower the count); it no longer names the account (the data map's rule)."""
    stmt = update(OwnershipFailure).where(OwnershipFailure.account_id == account_id)
    if vin is not None:
        stmt = stmt.where(OwnershipFailure.vin == vin)
    await session.execute(stmt.values(account_id=None))
    await session.flush()


async def past_vins(session: AsyncSession, account_id: uuid.UUID) -> list[str]:
    """Cars the account was primary of before (left before removal erased their data)."""
    stmt = select(PastPrimaryPeriod.vin).where(PastPrimaryPeriod.account_id == account_id)
    return sorted(set((await session.scalars(stmt)).all()))
