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
