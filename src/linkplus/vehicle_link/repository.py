"""All SQL of the vehicle link.

The ingest statements are bulk upserts that state their rule in SQL (``WHERE stored.ts <
excluded.ts``, ``GREATEST``), so one statement per batch and table does the work, and several
gateway processes writing the same car at once cannot move a value back in time. Rows are sorted
by key before they are written, so concurrent batches lock rows in the same order.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.telematics import TelematicsCredential
from linkplus.models.twin import (
    CommandResultRecord,
    PositionFix,
    PostTripCheck,
    SeenMessage,
    SignalSample,
    TripUploadRecord,
    TwinSignal,
    VehicleEventRecord,
    VehicleLinkState,
)
from linkplus.models.vehicles import Vehicle

Row = dict[str, Any]


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


# --- ingest ------------------------------------------------------------------------------------


def _insert(session: AsyncSession, table: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _greatest(session: AsyncSession, stored: Any, incoming: Any) -> ColumnElement[Any]:
    """The later of two values, either of which may be NULL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.greatest(stored, incoming)  # GREATEST ignores NULLs
    return func.max(func.coalesce(stored, incoming), func.coalesce(incoming, stored))


async def provisioned_vins(session: AsyncSession, vins: Iterable[str]) -> set[str]:
    wanted = sorted(set(vins))
    if not wanted:
        return set()
    rows = await session.scalars(
        select(TelematicsCredential.vin).where(TelematicsCredential.vin.in_(wanted))
    )
    return set(rows)


async def claim_messages(
    session: AsyncSession, msg_ids: Sequence[uuid.UUID], *, now: datetime
) -> set[uuid.UUID]:
    """Record the ids as seen; returns those that were not seen before."""
    if not msg_ids:
        return set()
    stmt = (
        _insert(session, SeenMessage)
        .on_conflict_do_nothing(index_elements=["msg_id"])
        .returning(SeenMessage.msg_id)
    )
    rows = [{"msg_id": msg_id, "received_at": now} for msg_id in sorted(set(msg_ids))]
    result = await session.execute(stmt, rows)
    return set(result.scalars())


async def record_activity(session: AsyncSession, rows: list[Row]) -> None:
    """Upsert link states; every column keeps the later of the stored and the new value."""
    if not rows:
        return
    stmt = _insert(session, VehicleLinkState)
    later = [
        "last_heard_at",
        "last_seq",
        "last_ignition_on_at",
        "last_ignition_off_at",
        "asleep_since",
        "awake_since",
    ]
    stmt = stmt.on_conflict_do_update(
        index_elements=["vin"],
        set_={
            name: _greatest(session, getattr(VehicleLinkState, name), getattr(stmt.excluded, name))
            for name in later
        },
    )
    await session.execute(stmt, sorted(rows, key=lambda row: row["vin"]))


async def link_states(session: AsyncSession, vins: Iterable[str]) -> dict[str, VehicleLinkState]:
    wanted = sorted(set(vins))
    if not wanted:
        return {}
    rows = await session.scalars(select(VehicleLinkState).where(VehicleLinkState.vin.in_(wanted)))
    return {row.vin: row for row in rows}


async def get_link_state(session: AsyncSession, vin: str) -> VehicleLinkState | None:
    return await session.get(VehicleLinkState, vin, populate_existing=True)


async def upsert_twin(session: AsyncSession, rows: list[Row]) -> None:
    """Newest reading per signal wins, by the vehicle's timestamp; an older one changes nothing."""
    if not rows:
        return
    stmt = _insert(session, TwinSignal)
    stmt = stmt.on_conflict_do_update(
        index_elements=["vin", "path"],
        set_={
            "value": stmt.excluded.value,
            "ts": stmt.excluded.ts,
            "received_at": stmt.excluded.received_at,
        },
        where=TwinSignal.ts < stmt.excluded.ts,
    )
    await session.execute(stmt, sorted(rows, key=lambda row: (row["vin"], row["path"])))


async def add_history(session: AsyncSession, rows: list[Row]) -> None:
    if rows:
        stmt = _insert(session, SignalSample).on_conflict_do_nothing(
            index_elements=["vin", "path", "ts"]
        )
        await session.execute(stmt, rows)


async def add_positions(session: AsyncSession, rows: list[Row]) -> None:
    if rows:
        stmt = _insert(session, PositionFix).on_conflict_do_nothing(index_elements=["vin", "ts"])
        await session.execute(stmt, rows)


async def set_parked(
    session: AsyncSession,
    *,
    vin: str,
    at: datetime,
    latitude: float,
    longitude: float,
    heading: float | None,
) -> None:
    """Move the parked position forward in time only."""
    await session.execute(
        update(VehicleLinkState)
        .where(
            VehicleLinkState.vin == vin,
            or_(VehicleLinkState.parked_at.is_(None), VehicleLinkState.parked_at < at),
        )
        .values(
            parked_at=at,
            parked_latitude=latitude,
            parked_longitude=longitude,
            parked_heading=heading,
        )
    )


async def add_events(session: AsyncSession, rows: list[Row]) -> None:
    if rows:
        stmt = _insert(session, VehicleEventRecord).on_conflict_do_nothing(
            index_elements=["msg_id"]
        )
        await session.execute(stmt, rows)


async def add_trip_upload(session: AsyncSession, row: Row) -> bool:
    """Keep an upload in the inbox; False when it was already there."""
    stmt = (
        _insert(session, TripUploadRecord)
        .values(row)
        .on_conflict_do_nothing(index_elements=["msg_id"])
        .returning(TripUploadRecord.msg_id)
    )
    return (await session.execute(stmt)).first() is not None


async def add_command_results(session: AsyncSession, rows: list[Row]) -> None:
    if rows:
        stmt = _insert(session, CommandResultRecord).on_conflict_do_nothing(
            index_elements=["msg_id"]
        )
        await session.execute(stmt, rows)


# --- reading the twin --------------------------------------------------------------------------


async def twin_signals(session: AsyncSession, vin: str) -> list[TwinSignal]:
    rows = await session.scalars(select(TwinSignal).where(TwinSignal.vin == vin))
    return list(rows)


async def events_since(
    session: AsyncSession, *, vin: str, since: datetime, types: Sequence[str]
) -> list[VehicleEventRecord]:
    rows = await session.scalars(
        select(VehicleEventRecord)
        .where(
            VehicleEventRecord.vin == vin,
            VehicleEventRecord.occurred_at >= since,
            VehicleEventRecord.type.in_(list(types)),
        )
        .order_by(VehicleEventRecord.occurred_at)
    )
    return list(rows)


async def ignition_at(
    session: AsyncSession, *, vin: str, at: datetime
) -> VehicleEventRecord | None:
    """The latest ignition event at or before ``at``: says whether the engine was on then."""
    return await session.scalar(
        select(VehicleEventRecord)
        .where(
            VehicleEventRecord.vin == vin,
            VehicleEventRecord.type.in_(["ignition_on", "ignition_off"]),
            VehicleEventRecord.occurred_at <= at,
        )
        .order_by(VehicleEventRecord.occurred_at.desc())
        .limit(1)
    )


async def positions(
    session: AsyncSession, *, vin: str, since: datetime | None = None, limit: int = 1000
) -> list[PositionFix]:
    stmt = select(PositionFix).where(PositionFix.vin == vin)
    if since is not None:
        stmt = stmt.where(PositionFix.ts >= since)
    rows = await session.scalars(stmt.order_by(PositionFix.ts).limit(limit))
    return list(rows)


async def history(
    session: AsyncSession, *, vin: str, path: str, since: datetime | None = None, limit: int = 1000
) -> list[SignalSample]:
    stmt = select(SignalSample).where(SignalSample.vin == vin, SignalSample.path == path)
    if since is not None:
        stmt = stmt.where(SignalSample.ts >= since)
    rows = await session.scalars(stmt.order_by(SignalSample.ts).limit(limit))
    return list(rows)


async def trip_uploads(
    session: AsyncSession, *, vin: str | None = None, unconsumed_only: bool = True, limit: int = 100
) -> list[TripUploadRecord]:
    stmt = select(TripUploadRecord)
    if vin is not None:
        stmt = stmt.where(TripUploadRecord.vin == vin)
    if unconsumed_only:
        stmt = stmt.where(TripUploadRecord.consumed_at.is_(None))
    rows = await session.scalars(stmt.order_by(TripUploadRecord.occurred_at).limit(limit))
    return list(rows)


async def get_trip_upload(session: AsyncSession, msg_id: uuid.UUID) -> TripUploadRecord | None:
    return await session.get(TripUploadRecord, msg_id)


# --- post-trip checks --------------------------------------------------------------------------


async def get_post_trip_check(
    session: AsyncSession, *, vin: str, trip_ended_at: datetime
) -> PostTripCheck | None:
    return await session.get(PostTripCheck, (vin, trip_ended_at))


async def add_post_trip_check(session: AsyncSession, check: PostTripCheck) -> None:
    session.add(check)
    await session.flush()


# --- retention ---------------------------------------------------------------------------------


async def delete_positions_before(session: AsyncSession, before: datetime) -> int:
    result: Any = await session.execute(delete(PositionFix).where(PositionFix.ts < before))
    return int(result.rowcount or 0)


async def delete_history_before(session: AsyncSession, before: datetime) -> int:
    result: Any = await session.execute(delete(SignalSample).where(SignalSample.ts < before))
    return int(result.rowcount or 0)


async def delete_seen_before(session: AsyncSession, before: datetime) -> int:
    result: Any = await session.execute(delete(SeenMessage).where(SeenMessage.received_at < before))
    return int(result.rowcount or 0)


async def forget_parked_before(session: AsyncSession, before: datetime) -> int:
    """The parked position is location data too: it goes when the retention says so."""
    result: Any = await session.execute(
        update(VehicleLinkState)
        .where(VehicleLinkState.parked_at < before)
        .values(parked_at=None, parked_latitude=None, parked_longitude=None, parked_heading=None)
    )
    return int(result.rowcount or 0)


async def forget_twin_location_before(session: AsyncSession, before: datetime) -> int:
    result: Any = await session.execute(
        delete(TwinSignal).where(
            TwinSignal.path.startswith("Vehicle.CurrentLocation."), TwinSignal.ts < before
        )
    )
    return int(result.rowcount or 0)
