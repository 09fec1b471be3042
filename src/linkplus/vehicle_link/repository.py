"""All SQL of the vehicle link.

The ingest statements are bulk upserts that state their rule in SQL (``WHERE stored.ts <
excluded.ts``, ``GREATEST``), so one statement per batch and table does the work, and several
gateway processes writing the same car at once cannot move a value back in time. Rows are sorted
by key before they are written, so concurrent batches lock rows in the same order.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, Uuid, delete, func, or_, select, text, update
from sqlalchemy.dialects import sqlite
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
from linkplus.models.telematics import GatewayLease, TelematicsCredential
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
from linkplus.protocol.signals import SignalValue

Row = dict[str, Any]


async def vehicle_exists(session: AsyncSession, vin: str) -> bool:
    found = await session.scalar(select(Vehicle.vin).where(Vehicle.vin == vin))
    return found is not None


async def get_credential(session: AsyncSession, vin: str) -> TelematicsCredential | None:
    return await session.get(TelematicsCredential, vin)


async def secret_hashes(session: AsyncSession, vins: Sequence[str]) -> dict[str, str]:
    """The embedded broker's hash of each of ``vins`` that has a credential, in one statement."""
    rows = await session.execute(
        select(TelematicsCredential.vin, TelematicsCredential.secret_hash).where(
            TelematicsCredential.vin.in_(vins)
        )
    )
    return {row.vin: row.secret_hash for row in rows}


async def broker_hashes(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(TelematicsCredential.vin, TelematicsCredential.broker_hash).order_by(
            TelematicsCredential.vin
        )
    )
    return [(row[0], row[1]) for row in rows]


# --- ingest ------------------------------------------------------------------------------------
#
# The per-batch statements come in two forms with the same rules. On PostgreSQL each is ONE
# statement over arrays (``INSERT ... SELECT FROM unnest(...)``): one round trip, one plan, the
# driver encoding whole columns instead of SQLAlchemy binding every row, and the same SQL text
# whatever the batch size (so the prepared statement is reused). Elsewhere (SQLite) it is a Core
# ``insert(table)`` executemany: plain rows, not the ORM's bulk path.


# The tables behind the models: Core statements on them skip the ORM's per-row bookkeeping.
_SEEN = cast(Table, SeenMessage.__table__)
_LINK_STATES = cast(Table, VehicleLinkState.__table__)
_TWIN = cast(Table, TwinSignal.__table__)
_HISTORY = cast(Table, SignalSample.__table__)
_POSITIONS = cast(Table, PositionFix.__table__)
_EVENTS = cast(Table, VehicleEventRecord.__table__)
_COMMAND_RESULTS = cast(Table, CommandResultRecord.__table__)


def _is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _greatest(session: AsyncSession, stored: Any, incoming: Any) -> ColumnElement[Any]:
    """The later of two values, either of which may be NULL."""
    if _is_postgresql(session):
        return func.greatest(stored, incoming)  # GREATEST ignores NULLs
    return func.max(func.coalesce(stored, incoming), func.coalesce(incoming, stored))


def _json(value: Any) -> str:
    """A JSON column value as the text PostgreSQL casts to ``jsonb`` (what the JSONB type sends)."""
    return json.dumps(value)


def _utc(moment: datetime | None) -> datetime | None:
    """What ``UTCDateTime`` binds: naive times are refused, aware ones sent as they are."""
    if moment is not None and moment.tzinfo is None:
        raise ValueError("naive datetime given to a UTCDateTime column")
    return moment


async def provisioned_vins(session: AsyncSession, vins: Iterable[str]) -> set[str]:
    wanted = sorted(set(vins))
    if not wanted:
        return set()
    rows = await session.scalars(
        select(TelematicsCredential.vin).where(TelematicsCredential.vin.in_(wanted))
    )
    return set(rows)


_PG_CLAIM = text(
    """
    INSERT INTO vehicle_messages_seen (msg_id, received_at)
    SELECT u.msg_id, CAST(:now AS timestamptz) FROM unnest(CAST(:ids AS uuid[])) AS u(msg_id)
    ON CONFLICT (msg_id) DO NOTHING
    RETURNING msg_id
    """
).columns(msg_id=Uuid())


def _uuid_order(msg_id: uuid.UUID) -> int:
    return msg_id.int  # the order ``UUID.__lt__`` gives, without a Python call per comparison


async def claim_messages(
    session: AsyncSession, msg_ids: Sequence[uuid.UUID], *, now: datetime
) -> set[uuid.UUID]:
    """Record the ids as seen; returns those that were not seen before."""
    if not msg_ids:
        return set()
    ids = sorted(set(msg_ids), key=_uuid_order)
    if _is_postgresql(session):
        result = await session.execute(_PG_CLAIM, {"ids": ids, "now": _utc(now)})
        return set(result.scalars())
    table = _SEEN
    stmt = (
        sqlite.insert(table)
        .on_conflict_do_nothing(index_elements=["msg_id"])
        .returning(table.c.msg_id)
    )
    rows = [{"msg_id": msg_id, "received_at": now} for msg_id in ids]
    result = await session.execute(stmt, rows)
    return set(result.scalars())


_LATER = (
    "last_heard_at",
    "last_seq",
    "last_ignition_on_at",
    "last_ignition_off_at",
    "asleep_since",
    "awake_since",
)
_PG_ACTIVITY = text(
    """
    INSERT INTO vehicle_link_states (vin, last_heard_at, last_seq, last_ignition_on_at,
                                     last_ignition_off_at, asleep_since, awake_since)
    SELECT * FROM unnest(
        CAST(:vin AS varchar[]), CAST(:last_heard_at AS timestamptz[]),
        CAST(:last_seq AS bigint[]), CAST(:last_ignition_on_at AS timestamptz[]),
        CAST(:last_ignition_off_at AS timestamptz[]), CAST(:asleep_since AS timestamptz[]),
        CAST(:awake_since AS timestamptz[]))
    ON CONFLICT (vin) DO UPDATE SET
        last_heard_at = GREATEST(vehicle_link_states.last_heard_at, excluded.last_heard_at),
        last_seq = GREATEST(vehicle_link_states.last_seq, excluded.last_seq),
        last_ignition_on_at =
            GREATEST(vehicle_link_states.last_ignition_on_at, excluded.last_ignition_on_at),
        last_ignition_off_at =
            GREATEST(vehicle_link_states.last_ignition_off_at, excluded.last_ignition_off_at),
        asleep_since = GREATEST(vehicle_link_states.asleep_since, excluded.asleep_since),
        awake_since = GREATEST(vehicle_link_states.awake_since, excluded.awake_since)
    """
)


async def record_activity(session: AsyncSession, rows: list[Row]) -> None:
    """Upsert link states; every column keeps the later of the stored and the new value."""
    if not rows:
        return
    rows = sorted(rows, key=lambda row: row["vin"])
    if _is_postgresql(session):
        params: dict[str, list[Any]] = {"vin": [row["vin"] for row in rows]}
        for name in _LATER:
            values = [row[name] for row in rows]
            params[name] = values if name == "last_seq" else [_utc(v) for v in values]
        await session.execute(_PG_ACTIVITY, params)
        return
    table = _LINK_STATES
    stmt = sqlite.insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["vin"],
        set_={name: _greatest(session, table.c[name], stmt.excluded[name]) for name in _LATER},
    )
    await session.execute(stmt, rows)


async def link_states(session: AsyncSession, vins: Iterable[str]) -> dict[str, VehicleLinkState]:
    wanted = sorted(set(vins))
    if not wanted:
        return {}
    rows = await session.scalars(select(VehicleLinkState).where(VehicleLinkState.vin.in_(wanted)))
    return {row.vin: row for row in rows}


async def get_link_state(session: AsyncSession, vin: str) -> VehicleLinkState | None:
    return await session.get(VehicleLinkState, vin, populate_existing=True)


_PG_TWIN = text(
    """
    INSERT INTO vehicle_twin_signals (vin, path, value, ts, received_at)
    SELECT u.vin, u.path, CAST(u.value AS jsonb), u.ts, CAST(:received_at AS timestamptz)
    FROM unnest(CAST(:vin AS varchar[]), CAST(:path AS varchar[]), CAST(:value AS text[]),
                CAST(:ts AS timestamptz[])) AS u(vin, path, value, ts)
    ON CONFLICT (vin, path) DO UPDATE
    SET value = excluded.value, ts = excluded.ts, received_at = excluded.received_at
    WHERE vehicle_twin_signals.ts < excluded.ts
    """
)


async def upsert_twin(session: AsyncSession, rows: list[Row]) -> None:
    """Newest reading per signal wins, by the vehicle's timestamp; an older one changes nothing.
    At most one row per (car, signal): one statement cannot update a row twice."""
    if not rows:
        return
    rows = sorted(rows, key=lambda row: (row["vin"], row["path"]))
    received = {row["received_at"] for row in rows}
    if _is_postgresql(session) and len(received) == 1:
        await session.execute(
            _PG_TWIN,
            {
                "vin": [row["vin"] for row in rows],
                "path": [row["path"] for row in rows],
                "value": [_json(row["value"]) for row in rows],
                "ts": [_utc(row["ts"]) for row in rows],
                "received_at": _utc(received.pop()),
            },
        )
        return
    table = _TWIN
    stmt = dialect_insert(session, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["vin", "path"],
        set_={
            "value": stmt.excluded.value,
            "ts": stmt.excluded.ts,
            "received_at": stmt.excluded.received_at,
        },
        where=table.c.ts < stmt.excluded.ts,
    )
    await session.execute(stmt, rows)


_PG_HISTORY = text(
    """
    INSERT INTO vehicle_signal_history (vin, path, ts, value)
    SELECT u.vin, u.path, u.ts, CAST(u.value AS jsonb)
    FROM unnest(CAST(:vin AS varchar[]), CAST(:path AS varchar[]), CAST(:ts AS timestamptz[]),
                CAST(:value AS text[])) AS u(vin, path, ts, value)
    ON CONFLICT (vin, path, ts) DO NOTHING
    """
)


async def add_history(session: AsyncSession, rows: list[Row]) -> None:
    if not rows:
        return
    if _is_postgresql(session):
        await session.execute(
            _PG_HISTORY,
            {
                "vin": [row["vin"] for row in rows],
                "path": [row["path"] for row in rows],
                "ts": [_utc(row["ts"]) for row in rows],
                "value": [_json(row["value"]) for row in rows],
            },
        )
        return
    stmt = sqlite.insert(_HISTORY).on_conflict_do_nothing(index_elements=["vin", "path", "ts"])
    await session.execute(stmt, rows)


async def add_positions(session: AsyncSession, rows: list[Row]) -> None:
    if rows:
        stmt = dialect_insert(session, _POSITIONS).on_conflict_do_nothing(
            index_elements=["vin", "ts"]
        )
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
    """Move the parked position forward in time only. A car that has no link state yet (it has
    not been heard over MQTT: trips uploaded another way, the demo's past month) gets one with
    only its parked position, rather than the position being dropped without a word."""
    values = {
        "parked_at": at,
        "parked_latitude": latitude,
        "parked_longitude": longitude,
        "parked_heading": heading,
    }
    table = _LINK_STATES
    stmt = dialect_insert(session, table).values(vin=vin, **values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["vin"],
        set_=values,
        where=or_(table.c.parked_at.is_(None), table.c.parked_at < at),
    )
    await session.execute(stmt)


async def add_events(session: AsyncSession, rows: list[Row]) -> None:
    if rows:
        stmt = dialect_insert(session, _EVENTS).on_conflict_do_nothing(index_elements=["msg_id"])
        await session.execute(stmt, rows)


async def add_trip_upload(session: AsyncSession, row: Row) -> bool:
    """Keep an upload in the inbox; False when it was already there."""
    stmt = (
        dialect_insert(session, TripUploadRecord)
        .values(row)
        .on_conflict_do_nothing(index_elements=["msg_id"])
        .returning(TripUploadRecord.msg_id)
    )
    return (await session.execute(stmt)).first() is not None


async def add_command_results(session: AsyncSession, rows: list[Row]) -> None:
    if rows:
        stmt = dialect_insert(session, _COMMAND_RESULTS).on_conflict_do_nothing(
            index_elements=["msg_id"]
        )
        await session.execute(stmt, rows)


# --- reading the twin --------------------------------------------------------------------------


async def twin_values(
    session: AsyncSession, vins: Collection[str], paths: Collection[str]
) -> dict[tuple[str, str], tuple[SignalValue, datetime]]:
    """The stored value and its time of each of ``paths`` for ``vins``, by (car, signal)."""
    if not vins or not paths:
        return {}
    rows = await session.execute(
        select(TwinSignal.vin, TwinSignal.path, TwinSignal.value, TwinSignal.ts).where(
            TwinSignal.vin.in_(sorted(vins)), TwinSignal.path.in_(sorted(paths))
        )
    )
    return {(vin, path): (value, ts) for vin, path, value, ts in rows}


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


async def delete_positions_before(
    session: AsyncSession, before: datetime, *, budget: PurgeBudget
) -> Purged:
    return await delete_in_batches(
        session, PositionFix.id, where=PositionFix.ts < before, budget=budget
    )


async def delete_history_before(
    session: AsyncSession, before: datetime, *, budget: PurgeBudget
) -> Purged:
    return await delete_in_batches(
        session, SignalSample.id, where=SignalSample.ts < before, budget=budget
    )


async def delete_seen_before(
    session: AsyncSession, before: datetime, *, budget: PurgeBudget
) -> Purged:
    return await delete_in_batches(
        session, SeenMessage.msg_id, where=SeenMessage.received_at < before, budget=budget
    )


async def delete_trip_uploads_before(
    session: AsyncSession, before: datetime, *, budget: PurgeBudget
) -> Purged:
    """Raw trip uploads carry every sample's position: they follow the location retention,
    taken in or not (one older than that will not be taken in any more)."""
    return await delete_in_batches(
        session,
        TripUploadRecord.msg_id,
        where=TripUploadRecord.received_at < before,
        budget=budget,
    )


async def delete_command_results_before(
    session: AsyncSession, before: datetime, *, budget: PurgeBudget
) -> Purged:
    return await delete_in_batches(
        session,
        CommandResultRecord.msg_id,
        where=CommandResultRecord.received_at < before,
        budget=budget,
    )


async def delete_events_before(
    session: AsyncSession, before: datetime, *, budget: PurgeBudget
) -> Purged:
    return await delete_in_batches(
        session,
        VehicleEventRecord.msg_id,
        where=VehicleEventRecord.received_at < before,
        budget=budget,
    )


async def delete_post_trip_checks_before(
    session: AsyncSession, before: datetime, *, budget: PurgeBudget
) -> Purged:
    return await delete_in_batches(
        session,
        PostTripCheck.vin,
        PostTripCheck.trip_ended_at,
        where=PostTripCheck.checked_at < before,
        budget=budget,
    )


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


# --- the owner's data export (vehicle_link.data_export) ---


async def export_rows(
    session: AsyncSession, cars: Mapping[str, Sequence[Span]], command_ids: Sequence[uuid.UUID]
) -> dict[str, Sequence[object]]:
    """What the account's cars reported in its tenure: the twin's values, signal history,
    positions, events, trip uploads, post-trip checks, the link's state (its parked position
    when parked in the tenure), and the cars' answers to the account's own commands."""

    async def rows(model: Any, moment: Any, *order: Any) -> list[object]:
        stmt = select(model).where(during_per_car(model.vin, moment, cars)).order_by(*order)
        return list((await session.scalars(stmt)).all())

    results = (
        await session.scalars(
            select(CommandResultRecord)
            .where(CommandResultRecord.command_id.in_(command_ids))
            .order_by(CommandResultRecord.received_at)
        )
    ).all()
    return {
        "vehicle_twin_signals": await rows(
            TwinSignal, TwinSignal.ts, TwinSignal.vin, TwinSignal.path
        ),
        "vehicle_signal_history": await rows(SignalSample, SignalSample.ts, SignalSample.id),
        "vehicle_positions": await rows(PositionFix, PositionFix.ts, PositionFix.id),
        # The parked position is the account's when the car parked in its tenure (a car claimed
        # since it last parked still shows where the previous owner left it: not exported).
        "vehicle_link_states": await rows(
            VehicleLinkState,
            func.coalesce(VehicleLinkState.parked_at, VehicleLinkState.last_heard_at),
            VehicleLinkState.vin,
        ),
        "vehicle_events": await rows(
            VehicleEventRecord, VehicleEventRecord.occurred_at, VehicleEventRecord.occurred_at
        ),
        "trip_uploads": await rows(
            TripUploadRecord, TripUploadRecord.occurred_at, TripUploadRecord.occurred_at
        ),
        "post_trip_checks": await rows(
            PostTripCheck, PostTripCheck.trip_ended_at, PostTripCheck.trip_ended_at
        ),
        "vehicle_command_results": list(results),
    }


# --- erasure (rights): what the car recorded in an account's time with it -----------------


async def erase_car_records(session: AsyncSession, *, vin: str, spans: Sequence[Span]) -> None:
    """Delete the car's positions, status values, events, trip uploads and post-trip checks
    made in ``spans``, and forget the parked position when it was taken then."""
    for model, column in (
        (PositionFix, PositionFix.ts),
        (SignalSample, SignalSample.ts),
        (TwinSignal, TwinSignal.ts),
        (VehicleEventRecord, VehicleEventRecord.occurred_at),
        (TripUploadRecord, TripUploadRecord.occurred_at),
        (PostTripCheck, PostTripCheck.trip_ended_at),
    ):
        await session.execute(delete(model).where(model.vin == vin, during(column, spans)))
    await session.execute(
        update(VehicleLinkState)
        .where(VehicleLinkState.vin == vin, during(VehicleLinkState.parked_at, spans))
        .values(parked_at=None, parked_latitude=None, parked_longitude=None, parked_heading=None)
    )
    await session.flush()


async def erase_command_results(session: AsyncSession, command_ids: Collection[uuid.UUID]) -> None:
    """The car's answers to commands that are being erased."""
    if command_ids:
        await session.execute(
            delete(CommandResultRecord).where(CommandResultRecord.command_id.in_(command_ids))
        )


# --- gateway leases (docs/scaling.md, "Failover") ----------------------------------------------


async def claim_own_lease(
    session: AsyncSession, *, name: str, token: str, now: datetime, until: datetime
) -> bool:
    """Take the lease of the session ``name`` for the process of that name (``token``: new at
    every claim): when there is none, or when it has expired (an earlier run of the name died or
    stopped, or a gateway that was emptying the session died: the session, resumed, holds
    whatever it still had). False while it is held, by an earlier run or by an adopter."""
    statement = dialect_insert(session, GatewayLease).values(
        name=name, holder=name, token=token, expires_at=until
    )
    statement = statement.on_conflict_do_update(
        index_elements=[GatewayLease.name],
        set_={"holder": name, "token": token, "expires_at": until},
        where=GatewayLease.expires_at < now,
    )
    await session.execute(statement)
    held = await session.scalar(select(GatewayLease.token).where(GatewayLease.name == name))
    return held == token


async def renew_lease(session: AsyncSession, *, name: str, token: str, until: datetime) -> bool:
    """Extend a lease this run holds; False when it no longer holds it."""
    result = await session.execute(
        update(GatewayLease)
        .where(GatewayLease.name == name, GatewayLease.token == token)
        .values(expires_at=until)
    )
    return cast(int, getattr(result, "rowcount", 0)) == 1


async def expired_leases(session: AsyncSession, *, now: datetime) -> list[str]:
    """Sessions whose process stopped renewing its lease (died, or stopped)."""
    rows = await session.scalars(
        select(GatewayLease.name).where(GatewayLease.expires_at < now).order_by(GatewayLease.name)
    )
    return list(rows)


async def adopt_lease(
    session: AsyncSession, *, name: str, holder: str, token: str, now: datetime, until: datetime
) -> bool:
    """Take an expired lease over for another process; True for the one adopter that got it."""
    result = await session.execute(
        update(GatewayLease)
        .where(GatewayLease.name == name, GatewayLease.expires_at < now)
        .values(holder=holder, token=token, expires_at=until)
    )
    return cast(int, getattr(result, "rowcount", 0)) == 1


async def release_lease(session: AsyncSession, *, name: str, token: str, now: datetime) -> None:
    """Let a lease expire now (a stopping process, or an adopter that could not finish)."""
    await session.execute(
        update(GatewayLease)
        .where(GatewayLease.name == name, GatewayLease.token == token)
        .values(expires_at=now)
    )


async def end_lease(session: AsyncSession, *, name: str, token: str) -> None:
    """Delete the lease of a session that was emptied and ended."""
    await session.execute(
        delete(GatewayLease).where(GatewayLease.name == name, GatewayLease.token == token)
    )
