"""All SQL of the remote-control feature."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.db import (
    PurgeBudget,
    Purged,
    delete_in_batches,
    dialect_insert,
    during,
    during_per_car,
)
from linkplus.kit.spans import Span
from linkplus.models.remote import (
    ClimateSchedule,
    RemoteCommand,
    RemoteCommandChange,
    RemoteVehicleState,
    SvtActive,
)
from linkplus.remote.lifecycle import State

# --- commands ------------------------------------------------------------------------------------


async def add_command(session: AsyncSession, command: RemoteCommand) -> None:
    session.add(command)
    await session.flush()


async def get_command(
    session: AsyncSession, command_id: uuid.UUID, *, for_update: bool = False
) -> RemoteCommand | None:
    stmt = select(RemoteCommand).where(RemoteCommand.id == command_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def commands_for_update(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, RemoteCommand]:
    """Several commands, locked (on PostgreSQL) in id order, so two transactions locking
    overlapping sets never wait on each other in a circle."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    stmt = (
        select(RemoteCommand)
        .where(RemoteCommand.id.in_(wanted))
        .order_by(RemoteCommand.id)
        .with_for_update()
    )
    return {row.id: row for row in (await session.scalars(stmt)).all()}


async def by_idempotency_key(
    session: AsyncSession, *, account_id: uuid.UUID, key: str
) -> RemoteCommand | None:
    stmt = select(RemoteCommand).where(
        RemoteCommand.account_id == account_id, RemoteCommand.idempotency_key == key
    )
    return (await session.scalars(stmt)).one_or_none()


async def busy_command(session: AsyncSession, busy_key: str) -> RemoteCommand | None:
    stmt = select(RemoteCommand).where(RemoteCommand.busy_key == busy_key)
    return (await session.scalars(stmt)).one_or_none()


async def open_commands(session: AsyncSession, vin: str) -> list[RemoteCommand]:
    stmt = (
        select(RemoteCommand)
        .where(RemoteCommand.vin == vin, RemoteCommand.busy_key.is_not(None))
        .order_by(RemoteCommand.created_at)
    )
    return list((await session.scalars(stmt)).all())


def _of_account_during(account_id: uuid.UUID, spans: Iterable[Span]) -> Any:
    """Commands the account sent in the given stretches of its time with the car."""
    return and_(RemoteCommand.account_id == account_id, during(RemoteCommand.created_at, spans))


async def recent_commands(
    session: AsyncSession, vin: str, *, account_id: uuid.UUID, spans: Iterable[Span], limit: int
) -> list[RemoteCommand]:
    stmt = (
        select(RemoteCommand)
        .where(RemoteCommand.vin == vin, _of_account_during(account_id, spans))
        .order_by(RemoteCommand.created_at.desc())
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def accepted_since_for_vehicle(
    session: AsyncSession, vin: str, since: datetime
) -> list[datetime]:
    stmt = select(RemoteCommand.created_at).where(
        RemoteCommand.vin == vin, RemoteCommand.created_at > since
    )
    return list((await session.scalars(stmt)).all())


async def accepted_since_for_account(
    session: AsyncSession, account_id: uuid.UUID, since: datetime
) -> list[datetime]:
    stmt = select(RemoteCommand.created_at).where(
        RemoteCommand.account_id == account_id,
        RemoteCommand.schedule_id.is_(None),
        RemoteCommand.created_at > since,
    )
    return list((await session.scalars(stmt)).all())


async def accepted_since(
    session: AsyncSession, *, vin: str, account_id: uuid.UUID, since: datetime
) -> tuple[list[datetime], list[datetime]]:
    """``accepted_since_for_vehicle`` and ``accepted_since_for_account`` in one statement."""
    stmt = select(
        RemoteCommand.created_at,
        RemoteCommand.vin,
        RemoteCommand.account_id,
        RemoteCommand.schedule_id,
    ).where(
        RemoteCommand.created_at > since,
        or_(
            RemoteCommand.vin == vin,
            and_(RemoteCommand.account_id == account_id, RemoteCommand.schedule_id.is_(None)),
        ),
    )
    per_vehicle: list[datetime] = []
    per_account: list[datetime] = []
    for at, row_vin, row_account, schedule_id in (await session.execute(stmt)).all():
        if row_vin == vin:
            per_vehicle.append(at)
        if row_account == account_id and schedule_id is None:
            per_account.append(at)
    return per_vehicle, per_account


async def commands_by_ids(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, RemoteCommand]:
    if not ids:
        return {}
    stmt = select(RemoteCommand).where(RemoteCommand.id.in_(list(set(ids))))
    return {row.id: row for row in (await session.scalars(stmt)).all()}


# --- state changes -------------------------------------------------------------------------------


async def add_change(
    session: AsyncSession, *, vin: str, command_id: uuid.UUID, state: str, at: datetime
) -> None:
    session.add(RemoteCommandChange(vin=vin, command_id=command_id, state=state, at=at))
    await session.flush()


async def add_changes(session: AsyncSession, changes: Sequence[Mapping[str, Any]]) -> None:
    """Several state changes (``vin``, ``command_id``, ``state``, ``at``) in one statement, in
    the given order (the stream shows them in id order)."""
    if changes:
        await session.execute(insert(RemoteCommandChange).values(list(changes)))


async def changes_after(
    session: AsyncSession,
    *,
    vin: str,
    account_id: uuid.UUID,
    spans: Iterable[Span],
    after_id: int,
    limit: int,
    skip: Collection[int] = (),
) -> list[RemoteCommandChange]:
    """The changes after ``after_id`` of the commands the account sent in ``spans``, but for
    the ones in ``skip`` (already sent)."""
    conditions = [
        RemoteCommandChange.vin == vin,
        RemoteCommandChange.id > after_id,
        _of_account_during(account_id, spans),
    ]
    if skip:
        conditions.append(RemoteCommandChange.id.not_in(list(skip)))
    stmt = (
        select(RemoteCommandChange)
        .join(RemoteCommand, RemoteCommand.id == RemoteCommandChange.command_id)
        .where(*conditions)
        .order_by(RemoteCommandChange.id)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def last_change_before(session: AsyncSession, *, vin: str, at: datetime) -> int:
    """The id of the newest change of ``vin`` older than ``at`` (0 when none)."""
    stmt = (
        select(RemoteCommandChange.id)
        .where(RemoteCommandChange.vin == vin, RemoteCommandChange.at < at)
        .order_by(RemoteCommandChange.id.desc())
        .limit(1)
    )
    found = (await session.scalars(stmt)).first()
    return int(found) if found is not None else 0


# --- per-car state ------------------------------------------------------------------------------


def _new_state(vin: str, *, last_counter: int) -> dict[str, object]:
    return {
        "vin": vin,
        "last_counter": last_counter,
        "climate_renewals_used": 0,
        "climate_advanced": False,
    }


async def ensure_vehicle_state(session: AsyncSession, vin: str) -> None:
    await session.execute(
        dialect_insert(session, RemoteVehicleState)
        .values(_new_state(vin, last_counter=0))
        .on_conflict_do_nothing(index_elements=["vin"])
    )


async def vehicle_state(
    session: AsyncSession, vin: str, *, for_update: bool = False
) -> RemoteVehicleState | None:
    stmt = select(RemoteVehicleState).where(RemoteVehicleState.vin == vin)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def remote_facts(
    session: AsyncSession, vin: str, *, busy_key: str
) -> tuple[RemoteVehicleState | None, bool, uuid.UUID | None]:
    """What accepting a command reads of the car, in one statement once the car has its state
    row (from its first command on): that row, whether stolen-vehicle tracking is on, and the
    command that holds ``busy_key``."""
    svt = select(SvtActive.vin).where(SvtActive.vin == vin).exists()
    busy = select(RemoteCommand.id).where(RemoteCommand.busy_key == busy_key).scalar_subquery()
    found = (
        await session.execute(
            select(RemoteVehicleState, svt.label("svt"), busy.label("busy")).where(
                RemoteVehicleState.vin == vin
            )
        )
    ).first()
    if found is not None:
        return found[0], bool(found[1]), found[2]
    busy_row = await busy_command(session, busy_key)
    return (
        None,
        await svt_flag(session, vin) is not None,
        busy_row.id if busy_row is not None else None,
    )


async def insert_command(session: AsyncSession, values: Mapping[str, Any]) -> bool:
    """Store a command unless it would take a busy slot or an idempotency key another command
    holds (a unique index says no): True when stored. No savepoint is needed for the refusal,
    so the caller's transaction goes on either way."""
    stmt = (
        dialect_insert(session, RemoteCommand)
        .values(dict(values))
        .on_conflict_do_nothing()
        .returning(RemoteCommand.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def mark_sent(
    session: AsyncSession, command_id: uuid.UUID, *, now: datetime
) -> RemoteCommand | None:
    """Move an ``accepted`` command that has not expired and has its counter to ``sent``,
    locking it (the UPDATE takes the row lock a SELECT ... FOR UPDATE would); the command, or
    None when it is not such a command. One statement."""
    stmt = (
        update(RemoteCommand)
        .where(
            RemoteCommand.id == command_id,
            RemoteCommand.state == State.accepted.value,
            RemoteCommand.expires_at > now,
            RemoteCommand.counter.is_not(None),
        )
        .values(state=State.sent.value, sent_at=now, updated_at=now)
        .returning(RemoteCommand)
        .execution_options(synchronize_session=False)
    )
    return (await session.scalars(stmt)).one_or_none()


async def next_counter(session: AsyncSession, vin: str) -> int:
    """Reserve the car's next signature counter, in one upsert (the first command of a car
    creates its row). Reserved when a command is stored, so each counter belongs to one command
    for good; commands may reach the car out of counter order, which its replay window allows
    (``signing.ReplayWindow``)."""
    stmt = (
        dialect_insert(session, RemoteVehicleState)
        .values(_new_state(vin, last_counter=1))
        .on_conflict_do_update(
            index_elements=["vin"],
            set_={"last_counter": RemoteVehicleState.last_counter + 1},
        )
        .returning(RemoteVehicleState.last_counter)
        .execution_options(synchronize_session=False)
    )
    counter = (await session.execute(stmt)).scalar_one()
    return int(counter)


# --- stolen-vehicle tracking ---------------------------------------------------------------------


async def svt_flag(session: AsyncSession, vin: str) -> SvtActive | None:
    return await session.get(SvtActive, vin)


async def set_svt(session: AsyncSession, flag: SvtActive) -> None:
    session.add(flag)
    await session.flush()


async def clear_svt(session: AsyncSession, vin: str) -> bool:
    flag = await session.get(SvtActive, vin)
    if flag is None:
        return False
    await session.delete(flag)
    await session.flush()
    return True


# --- climate schedules ---------------------------------------------------------------------------


async def add_schedule(session: AsyncSession, schedule: ClimateSchedule) -> None:
    session.add(schedule)
    await session.flush()


async def schedules_of(
    session: AsyncSession, vin: str, *, account_id: uuid.UUID, spans: Iterable[Span]
) -> list[ClimateSchedule]:
    """The account's schedules for the car, made in the given stretches of its time with it."""
    stmt = (
        select(ClimateSchedule)
        .where(
            ClimateSchedule.vin == vin,
            ClimateSchedule.account_id == account_id,
            during(ClimateSchedule.created_at, spans),
        )
        .order_by(ClimateSchedule.created_at, ClimateSchedule.id)
    )
    return list((await session.scalars(stmt)).all())


async def get_schedule(
    session: AsyncSession, schedule_id: uuid.UUID, *, for_update: bool = False
) -> ClimateSchedule | None:
    stmt = select(ClimateSchedule).where(ClimateSchedule.id == schedule_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def delete_schedule(session: AsyncSession, schedule: ClimateSchedule) -> None:
    await session.delete(schedule)
    await session.flush()


# --- the owner's data export (remote.data_export) ---


async def export_rows(
    session: AsyncSession, account_id: uuid.UUID, cars: Mapping[str, Sequence[Span]]
) -> dict[str, Sequence[object]]:
    """The account's own commands to its cars in its tenure with their state changes, its
    climate schedules, and the cars' remote state while the account is their primary account."""
    commands = list(
        (
            await session.scalars(
                select(RemoteCommand)
                .where(
                    RemoteCommand.account_id == account_id,
                    during_per_car(RemoteCommand.vin, RemoteCommand.created_at, cars),
                )
                .order_by(RemoteCommand.created_at, RemoteCommand.id)
            )
        ).all()
    )
    changes = (
        await session.scalars(
            select(RemoteCommandChange)
            .where(RemoteCommandChange.command_id.in_([row.id for row in commands]))
            .order_by(RemoteCommandChange.id)
        )
    ).all()
    schedules = (
        await session.scalars(
            select(ClimateSchedule)
            .where(ClimateSchedule.account_id == account_id, ClimateSchedule.vin.in_(list(cars)))
            .order_by(ClimateSchedule.created_at)
        )
    ).all()
    current = [vin for vin, spans in cars.items() if any(span.end is None for span in spans)]
    states = (
        await session.scalars(select(RemoteVehicleState).where(RemoteVehicleState.vin.in_(current)))
    ).all()
    tracking = (await session.scalars(select(SvtActive).where(SvtActive.vin.in_(current)))).all()
    return {
        "remote_commands": commands,
        "remote_command_changes": list(changes),
        "remote_climate_schedules": list(schedules),
        "remote_vehicle_states": list(states),
        "svt_active": list(tracking),
    }


# --- retention -----------------------------------------------------------------------------------


async def delete_commands_finished_before(
    session: AsyncSession, before: datetime, *, budget: PurgeBudget
) -> Purged:
    """Commands that ended before ``before``; their state changes go with them (ON DELETE
    CASCADE). An open command has no ``finished_at`` and is never chosen."""
    return await delete_in_batches(
        session, RemoteCommand.id, where=RemoteCommand.finished_at < before, budget=budget
    )


# --- erasure (rights) ------------------------------------------------------------------------


async def erase_commands(
    session: AsyncSession, *, account_id: uuid.UUID, vin: str | None
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Delete the account's commands (with their state changes) and climate schedules, on one
    car or on all; returns the commands' ids (whose answers the vehicle link then forgets) and
    the schedules' ids."""
    schedules = select(ClimateSchedule.id).where(ClimateSchedule.account_id == account_id)
    commands = select(RemoteCommand.id).where(RemoteCommand.account_id == account_id)
    if vin is not None:
        schedules = schedules.where(ClimateSchedule.vin == vin)
        commands = commands.where(RemoteCommand.vin == vin)
    schedule_ids = list((await session.scalars(schedules)).all())
    if schedule_ids:
        await session.execute(delete(ClimateSchedule).where(ClimateSchedule.id.in_(schedule_ids)))
    ids = list((await session.scalars(commands)).all())
    if ids:
        await session.execute(
            delete(RemoteCommandChange).where(RemoteCommandChange.command_id.in_(ids))
        )
        await session.execute(delete(RemoteCommand).where(RemoteCommand.id.in_(ids)))
    await session.flush()
    return ids, schedule_ids
