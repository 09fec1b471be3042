"""All SQL of the trips feature."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from linkplus.db import (
    PurgeBudget,
    Purged,
    dialect_insert,
    during,
    during_per_car,
    update_in_batches,
)
from linkplus.kit.spans import Span
from linkplus.models.trips import Trip, TripNotSaved
from linkplus.trips.packing import ROUTE_DELETED


async def known_trip(session: AsyncSession, *, vin: str, trip_id: uuid.UUID) -> bool:
    """Whether the car's trip was already taken in, saved or not."""
    saved = exists().where(Trip.vin == vin, Trip.trip_id == trip_id)
    refused = exists().where(TripNotSaved.vin == vin, TripNotSaved.trip_id == trip_id)
    return bool(await session.scalar(select(or_(saved, refused))))


async def add_trip(session: AsyncSession, row: dict[str, Any]) -> uuid.UUID | None:
    """Store a saved trip; None when another worker stored the same trip first."""
    stmt = (
        dialect_insert(session, Trip)
        .values(row)
        .on_conflict_do_nothing(index_elements=["vin", "trip_id"])
        .returning(Trip.id)
    )
    found: uuid.UUID | None = (await session.execute(stmt)).scalar_one_or_none()
    return found


async def add_not_saved(session: AsyncSession, row: dict[str, Any]) -> bool:
    stmt = (
        dialect_insert(session, TripNotSaved)
        .values(row)
        .on_conflict_do_nothing(index_elements=["vin", "trip_id"])
        .returning(TripNotSaved.trip_id)
    )
    return (await session.execute(stmt)).first() is not None


def _owned(vin: str, account_id: uuid.UUID, spans: Iterable[Span]) -> Any:
    """The account's trips of the car that began in the given stretches of its time with it."""
    return and_(Trip.vin == vin, Trip.account_id == account_id, during(Trip.started_at, spans))


async def page_of_trips(
    session: AsyncSession,
    *,
    vin: str,
    account_id: uuid.UUID,
    spans: Iterable[Span],
    limit: int,
    before: tuple[datetime, uuid.UUID] | None = None,
) -> list[Trip]:
    """Newest first by start time; ``before`` is the (start, id) of the last one already shown."""
    stmt = select(Trip).where(_owned(vin, account_id, spans))
    if before is not None:
        started, trip_id = before
        stmt = stmt.where(
            or_(Trip.started_at < started, and_(Trip.started_at == started, Trip.id < trip_id))
        )
    rows = await session.scalars(stmt.order_by(Trip.started_at.desc(), Trip.id.desc()).limit(limit))
    return list(rows)


async def get_trip(
    session: AsyncSession,
    *,
    vin: str,
    account_id: uuid.UUID,
    spans: Iterable[Span],
    trip_id: uuid.UUID,
) -> Trip | None:
    row = await session.scalar(
        select(Trip)
        .options(undefer(Trip.samples))
        .where(_owned(vin, account_id, spans), Trip.id == trip_id)
    )
    return row


async def trips_between(
    session: AsyncSession,
    *,
    vin: str,
    account_id: uuid.UUID,
    spans: Iterable[Span],
    start: datetime | None,
    end: datetime | None,
    with_samples: bool = False,
) -> list[Trip]:
    """Trips that started in [start, end), oldest first."""
    stmt = select(Trip).where(_owned(vin, account_id, spans))
    if with_samples:
        stmt = stmt.options(undefer(Trip.samples))
    if start is not None:
        stmt = stmt.where(Trip.started_at >= start)
    if end is not None:
        stmt = stmt.where(Trip.started_at < end)
    rows = await session.scalars(stmt.order_by(Trip.started_at, Trip.id))
    return list(rows)


async def has_trips(session: AsyncSession, *, vin: str) -> bool:
    saved = exists().where(Trip.vin == vin)
    refused = exists().where(TripNotSaved.vin == vin)
    return bool(await session.scalar(select(or_(saved, refused))))


async def not_saved(
    session: AsyncSession,
    *,
    vin: str,
    account_id: uuid.UUID,
    spans: Iterable[Span],
    start: datetime | None,
    end: datetime | None,
) -> list[tuple[datetime, str]]:
    """(start, reason) of every trip of the car not saved while the account was its primary."""
    stmt = select(TripNotSaved.started_at, TripNotSaved.reason).where(
        TripNotSaved.vin == vin,
        TripNotSaved.account_id == account_id,
        during(TripNotSaved.started_at, spans),
    )
    if start is not None:
        stmt = stmt.where(TripNotSaved.started_at >= start)
    if end is not None:
        stmt = stmt.where(TripNotSaved.started_at < end)
    rows = await session.execute(stmt.order_by(TripNotSaved.started_at))
    return [(row[0], row[1]) for row in rows]


# --- the owner's data export (trips.data_export) ---


async def export_rows(
    session: AsyncSession, account_id: uuid.UUID, cars: Mapping[str, Sequence[Span]]
) -> tuple[list[Trip], list[TripNotSaved]]:
    """The account's trips in its tenure (with their samples) and the trips not saved then."""
    trips = (
        await session.scalars(
            select(Trip)
            .options(undefer(Trip.samples))
            .where(Trip.account_id == account_id, during_per_car(Trip.vin, Trip.started_at, cars))
            .order_by(Trip.started_at, Trip.id)
        )
    ).all()
    not_saved = (
        await session.scalars(
            select(TripNotSaved)
            .where(during_per_car(TripNotSaved.vin, TripNotSaved.started_at, cars))
            .order_by(TripNotSaved.started_at)
        )
    ).all()
    return list(trips), list(not_saved)


# --- retention ---------------------------------------------------------------------------------


async def delete_samples_before(
    session: AsyncSession, before: datetime, *, budget: PurgeBudget
) -> Purged:
    """Empty the samples (the route) of trips that ended before ``before``; a trip whose samples
    are gone already is not touched again."""
    return await update_in_batches(
        session,
        Trip.id,
        where=and_(Trip.ended_at < before, Trip.samples != ROUTE_DELETED),
        values={"samples": ROUTE_DELETED},
        budget=budget,
    )


# --- erasure (rights) ------------------------------------------------------------------------


async def erase_trips(session: AsyncSession, *, account_id: uuid.UUID, vin: str | None) -> None:
    """Delete the account's trips and the notes of trips not saved (on one car, or on all)."""
    for model in (Trip, TripNotSaved):
        stmt = delete(model).where(model.account_id == account_id)
        if vin is not None:
            stmt = stmt.where(model.vin == vin)
        await session.execute(stmt)
    await session.flush()
