"""The vehicle twin: what each car last reported, the history the features need, and the
vehicle link's own bookkeeping (messages seen, connection and sleep state, inboxes).

The high-volume tables (history, positions, seen messages) carry no foreign key to ``vehicles``:
the gateway only writes rows for provisioned cars, and a per-row key check would cost the
ingest path more than it protects.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base, BigIntPK, JSONDoc


class TwinSignal(Base):
    """The newest reading per signal. ``ts`` is the vehicle's time: a reading only replaces
    this one when it was measured later, so late data never overwrites newer values."""

    __tablename__ = "vehicle_twin_signals"

    vin: Mapped[str] = mapped_column(
        String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"), primary_key=True
    )
    path: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONDoc)
    ts: Mapped[datetime]
    received_at: Mapped[datetime]


class SignalSample(Base):
    """History of the signals trips, charging and safety need (odometer, energy, 12 V...)."""

    __tablename__ = "vehicle_signal_history"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    vin: Mapped[str] = mapped_column(String(17))
    path: Mapped[str] = mapped_column(String(200))
    ts: Mapped[datetime]
    value: Mapped[Any] = mapped_column(JSONDoc)

    __table_args__ = (
        UniqueConstraint("vin", "path", "ts", name="uq_vehicle_signal_history_reading"),
        Index("ix_vehicle_signal_history_ts", "ts"),
    )


class PositionFix(Base):
    """A position the car shared. Positions reported while privacy mode was on never get here."""

    __tablename__ = "vehicle_positions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    vin: Mapped[str] = mapped_column(String(17))
    ts: Mapped[datetime]
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    heading: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        UniqueConstraint("vin", "ts", name="uq_vehicle_positions_fix"),
        Index("ix_vehicle_positions_ts", "ts"),
    )


class VehicleLinkState(Base):
    """Connection, ignition and sleep state of a car's telematics unit, and where it parked.

    Times named ``*_at``/``*_since`` are the vehicle's clock except ``last_heard_at`` (the
    platform's clock when a message last arrived). Every column only moves forward, so late
    messages and several gateway processes cannot move it back.
    """

    __tablename__ = "vehicle_link_states"

    vin: Mapped[str] = mapped_column(
        String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"), primary_key=True
    )
    last_heard_at: Mapped[datetime | None]
    last_seq: Mapped[int | None] = mapped_column(BigInteger)
    last_ignition_on_at: Mapped[datetime | None]
    last_ignition_off_at: Mapped[datetime | None]
    asleep_since: Mapped[datetime | None]
    awake_since: Mapped[datetime | None]
    parked_at: Mapped[datetime | None]
    parked_latitude: Mapped[float | None] = mapped_column(Float)
    parked_longitude: Mapped[float | None] = mapped_column(Float)
    parked_heading: Mapped[float | None] = mapped_column(Float)


class SeenMessage(Base):
    """A message id already processed: QoS 1 may deliver it again. Purged after a while."""

    __tablename__ = "vehicle_messages_seen"

    msg_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


class VehicleEventRecord(Base):
    """Events the car sent (ignition, alerts, sleep, privacy, emergency), for the features that
    look back: the post-trip check reads the alerts since engine-off, safety the emergencies."""

    __tablename__ = "vehicle_events"

    msg_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    vin: Mapped[str] = mapped_column(String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]

    __table_args__ = (Index("ix_vehicle_events_vin_occurred", "vin", "occurred_at"),)


class TripUploadRecord(Base):
    """Inbox of trip uploads, kept raw until the trips feature has taken them in."""

    __tablename__ = "trip_uploads"

    msg_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    vin: Mapped[str] = mapped_column(String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"))
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]
    consumed_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_trip_uploads_vin_occurred", "vin", "occurred_at"),)


class CommandResultRecord(Base):
    """What the car answered to a command (the remote-control feature reads these)."""

    __tablename__ = "vehicle_command_results"

    msg_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    vin: Mapped[str] = mapped_column(String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"))
    command_id: Mapped[uuid.UUID] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime]
    received_at: Mapped[datetime]


class PostTripCheck(Base):
    """One post-trip check per trip end: makes the check (and its one notification) idempotent."""

    __tablename__ = "post_trip_checks"

    vin: Mapped[str] = mapped_column(
        String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"), primary_key=True
    )
    trip_ended_at: Mapped[datetime] = mapped_column(primary_key=True)
    checked_at: Mapped[datetime]
    findings: Mapped[list[str]] = mapped_column(JSONDoc)
    notified: Mapped[bool]
