"""All SQL of the charging domain."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.charging import (
    Charger,
    ChargerCommand,
    ChargerVehicle,
    ChargingMeterValue,
    ChargingSession,
    ChargingWindow,
    CommandState,
    SessionState,
)

Row = Charger | ChargerVehicle | ChargingSession | ChargingMeterValue | ChargerCommand
Row |= ChargingWindow


async def add(session: AsyncSession, row: Row) -> None:
    session.add(row)
    await session.flush()


# --- chargers -----------------------------------------------------------------------------------


async def charger_by_identity(
    session: AsyncSession, identity: str, *, for_update: bool = False
) -> Charger | None:
    stmt = select(Charger).where(Charger.identity == identity)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def account_charger(
    session: AsyncSession, account_id: uuid.UUID, identity: str, *, for_update: bool = False
) -> Charger | None:
    stmt = select(Charger).where(Charger.identity == identity, Charger.account_id == account_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def account_chargers(session: AsyncSession, account_id: uuid.UUID) -> Sequence[Charger]:
    return (
        await session.scalars(
            select(Charger).where(Charger.account_id == account_id).order_by(Charger.onboarded_at)
        )
    ).all()


async def linked_vins(session: AsyncSession, charger_id: uuid.UUID) -> list[str]:
    return list(
        (
            await session.scalars(
                select(ChargerVehicle.vin)
                .where(ChargerVehicle.charger_id == charger_id)
                .order_by(ChargerVehicle.vin)
            )
        ).all()
    )


async def unlink_all(session: AsyncSession, charger_id: uuid.UUID) -> None:
    await session.execute(delete(ChargerVehicle).where(ChargerVehicle.charger_id == charger_id))


async def set_connected(
    session: AsyncSession, identity: str, *, connected: bool, at: datetime, protocol: str | None
) -> None:
    values: dict[str, object] = {"connected": connected}
    if connected:
        values |= {"connected_at": at, "protocol": protocol}
    await session.execute(update(Charger).where(Charger.identity == identity).values(**values))


async def mark_all_disconnected(session: AsyncSession, identities: Collection[str]) -> None:
    if identities:
        await session.execute(
            update(Charger).where(Charger.identity.in_(identities)).values(connected=False)
        )


# --- sessions -----------------------------------------------------------------------------------


async def active_session(session: AsyncSession, charger_id: uuid.UUID) -> ChargingSession | None:
    return await session.scalar(
        select(ChargingSession)
        .where(
            ChargingSession.charger_id == charger_id,
            ChargingSession.state == SessionState.active.value,
        )
        .order_by(ChargingSession.started_at.desc())
        .limit(1)
    )


async def session_by_transaction(
    session: AsyncSession, charger_id: uuid.UUID, transaction_id: str
) -> ChargingSession | None:
    return await session.scalar(
        select(ChargingSession)
        .where(
            ChargingSession.charger_id == charger_id,
            ChargingSession.transaction_id == transaction_id,
        )
        .with_for_update()
    )


async def charger_session(
    session: AsyncSession, charger_id: uuid.UUID, session_id: uuid.UUID
) -> ChargingSession | None:
    return await session.scalar(
        select(ChargingSession).where(
            ChargingSession.charger_id == charger_id, ChargingSession.id == session_id
        )
    )


async def charger_sessions(
    session: AsyncSession, charger_id: uuid.UUID, *, account_id: uuid.UUID, limit: int
) -> Sequence[ChargingSession]:
    """The charger's sessions of this account (an earlier owner's stay theirs), newest first."""
    return (
        await session.scalars(
            select(ChargingSession)
            .where(
                ChargingSession.charger_id == charger_id,
                ChargingSession.account_id == account_id,
            )
            .order_by(ChargingSession.started_at.desc(), ChargingSession.id)
            .limit(limit)
        )
    ).all()


async def meter_values(
    session: AsyncSession, session_id: uuid.UUID
) -> Sequence[ChargingMeterValue]:
    return (
        await session.scalars(
            select(ChargingMeterValue)
            .where(ChargingMeterValue.session_id == session_id)
            .order_by(ChargingMeterValue.measured_at, ChargingMeterValue.id)
        )
    ).all()


# --- commands -----------------------------------------------------------------------------------


async def command(
    session: AsyncSession, charger_id: uuid.UUID, command_id: uuid.UUID
) -> ChargerCommand | None:
    return await session.scalar(
        select(ChargerCommand).where(
            ChargerCommand.charger_id == charger_id, ChargerCommand.id == command_id
        )
    )


async def command_for_update(session: AsyncSession, command_id: uuid.UUID) -> ChargerCommand | None:
    return await session.scalar(
        select(ChargerCommand).where(ChargerCommand.id == command_id).with_for_update()
    )


async def pending_commands(
    session: AsyncSession, identities: Collection[str]
) -> Sequence[tuple[ChargerCommand, str]]:
    """Commands waiting to be sent to these chargers, oldest first, with the charger's identity."""
    if not identities:
        return []
    rows = await session.execute(
        select(ChargerCommand, Charger.identity)
        .join(Charger, Charger.id == ChargerCommand.charger_id)
        .where(
            ChargerCommand.state == CommandState.pending.value,
            Charger.identity.in_(identities),
        )
        .order_by(ChargerCommand.requested_at)
    )
    return [(row[0], row[1]) for row in rows.all()]


async def expire_commands(
    session: AsyncSession, *, requested_before: datetime, at: datetime
) -> int:
    result = await session.execute(
        update(ChargerCommand)
        .where(
            ChargerCommand.state == CommandState.pending.value,
            ChargerCommand.requested_at < requested_before,
        )
        .values(state=CommandState.expired.value, answered_at=at)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def latest_start_command(
    session: AsyncSession, charger_id: uuid.UUID, *, since: datetime
) -> ChargerCommand | None:
    """The newest start the charger accepted (or was sent) since ``since``: whose car it was."""
    return await session.scalar(
        select(ChargerCommand)
        .where(
            ChargerCommand.charger_id == charger_id,
            ChargerCommand.action == "start",
            ChargerCommand.state.in_([CommandState.sent.value, CommandState.accepted.value]),
            ChargerCommand.requested_at >= since,
        )
        .order_by(ChargerCommand.requested_at.desc())
        .limit(1)
    )


# --- windows ------------------------------------------------------------------------------------


async def windows(session: AsyncSession, charger_id: uuid.UUID) -> Sequence[ChargingWindow]:
    return (
        await session.scalars(
            select(ChargingWindow)
            .where(ChargingWindow.charger_id == charger_id)
            .order_by(ChargingWindow.number)
        )
    ).all()


async def window(
    session: AsyncSession, charger_id: uuid.UUID, number: int
) -> ChargingWindow | None:
    return await session.scalar(
        select(ChargingWindow).where(
            ChargingWindow.charger_id == charger_id, ChargingWindow.number == number
        )
    )


async def delete_window(session: AsyncSession, row: ChargingWindow) -> None:
    await session.delete(row)
    await session.flush()


# --- the owner's rights (export, erasure) -------------------------------------------------------


async def export_rows(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Sequence[object]]:
    """The account's chargers with their cars and windows, its sessions with their meter
    values, and the commands it sent."""
    chargers = (
        await session.scalars(
            select(Charger).where(Charger.account_id == account_id).order_by(Charger.identity)
        )
    ).all()
    charger_ids = [charger.id for charger in chargers]
    links = (
        await session.scalars(
            select(ChargerVehicle)
            .where(ChargerVehicle.charger_id.in_(charger_ids))
            .order_by(ChargerVehicle.charger_id, ChargerVehicle.vin)
        )
    ).all()
    windows_rows = (
        await session.scalars(
            select(ChargingWindow)
            .where(ChargingWindow.charger_id.in_(charger_ids))
            .order_by(ChargingWindow.charger_id, ChargingWindow.number)
        )
    ).all()
    sessions = (
        await session.scalars(
            select(ChargingSession)
            .where(ChargingSession.account_id == account_id)
            .order_by(ChargingSession.started_at, ChargingSession.id)
        )
    ).all()
    readings = (
        await session.scalars(
            select(ChargingMeterValue)
            .where(ChargingMeterValue.session_id.in_([row.id for row in sessions]))
            .order_by(ChargingMeterValue.session_id, ChargingMeterValue.id)
        )
    ).all()
    commands = (
        await session.scalars(
            select(ChargerCommand)
            .where(ChargerCommand.account_id == account_id)
            .order_by(ChargerCommand.requested_at, ChargerCommand.id)
        )
    ).all()
    return {
        "chargers": list(chargers),
        "charger_vehicles": list(links),
        "charging_windows": list(windows_rows),
        "charging_sessions": list(sessions),
        "charging_meter_values": list(readings),
        "charger_commands": list(commands),
    }


async def erase_account(session: AsyncSession, *, account_id: uuid.UUID) -> None:
    """The account's sessions (their meter values with them) and commands go; its chargers
    leave the account, without name, password or token, cars or windows, and stay registered
    for whoever onboards them next with their label."""
    await session.execute(delete(ChargingSession).where(ChargingSession.account_id == account_id))
    await session.execute(delete(ChargerCommand).where(ChargerCommand.account_id == account_id))
    owned = select(Charger.id).where(Charger.account_id == account_id).scalar_subquery()
    await session.execute(delete(ChargerVehicle).where(ChargerVehicle.charger_id.in_(owned)))
    await session.execute(delete(ChargingWindow).where(ChargingWindow.charger_id.in_(owned)))
    await session.execute(
        update(Charger)
        .where(Charger.account_id == account_id)
        .values(
            account_id=None,
            name=None,
            onboarded_at=None,
            password_hash=None,
            id_tag=None,
            connected=False,
        )
    )
    await session.flush()


async def erase_car(session: AsyncSession, *, account_id: uuid.UUID, vin: str) -> None:
    """A car leaves the account: it is no longer linked to the account's chargers, and the
    account's sessions no longer name it (their energy and cost stay the account's)."""
    owned = select(Charger.id).where(Charger.account_id == account_id).scalar_subquery()
    await session.execute(
        delete(ChargerVehicle).where(
            ChargerVehicle.charger_id.in_(owned), ChargerVehicle.vin == vin
        )
    )
    await session.execute(
        update(ChargingSession)
        .where(ChargingSession.account_id == account_id, ChargingSession.vin == vin)
        .values(vin=None)
    )
    await session.flush()
