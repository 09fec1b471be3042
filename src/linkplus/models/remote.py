"""Remote control: commands to cars, their state changes, per-car counters and running timers,
climate schedules, and the stolen-vehicle-tracking flag that switches remote control off."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base, BigIntPK, JSONDoc, new_uuid


class RemoteCommand(Base):
    """One command an owner (or a climate schedule) sent to a car.

    ``busy_key`` is ``"<VIN>:<subsystem>"`` while the command is open and NULL once it is final:
    its unique constraint lets the database itself refuse a second open command for the same
    subsystem of a car, even when two requests race.
    """

    __tablename__ = "remote_commands"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    vin: Mapped[str] = mapped_column(String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    schedule_id: Mapped[uuid.UUID | None]
    type: Mapped[str] = mapped_column(String(32))
    subsystem: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    counter: Mapped[int | None] = mapped_column(BigInteger)
    busy_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    runs_until: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("account_id", "idempotency_key", name="uq_remote_commands_idempotency"),
        Index("ix_remote_commands_vin_created", "vin", "created_at"),
        Index("ix_remote_commands_account_created", "account_id", "created_at"),
    )


class RemoteCommandChange(Base):
    """Every state a command entered, in order: the live stream reads it by ``id``."""

    __tablename__ = "remote_command_changes"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    vin: Mapped[str] = mapped_column(String(17))
    command_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("remote_commands.id", ondelete="CASCADE")
    )
    state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]

    __table_args__ = (Index("ix_remote_command_changes_vin", "vin", "id"),)


class RemoteVehicleState(Base):
    """Per car: the last signature counter used, and what runs now according to the commands
    the car completed (climate with its renewals, engine, hazard lights)."""

    __tablename__ = "remote_vehicle_states"

    vin: Mapped[str] = mapped_column(
        String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"), primary_key=True
    )
    last_counter: Mapped[int] = mapped_column(BigInteger, default=0)
    climate_until: Mapped[datetime | None]
    climate_renewals_used: Mapped[int] = mapped_column(Integer, default=0)
    climate_advanced: Mapped[bool] = mapped_column(default=False)
    engine_until: Mapped[datetime | None]
    hazard_until: Mapped[datetime | None]


class SvtActive(Base):
    """Stolen-vehicle tracking is running for this car: remote control is off while a row exists.

    The hook the future stolen-vehicle-tracking feature sets and clears; no row means inactive.
    """

    __tablename__ = "svt_active"

    vin: Mapped[str] = mapped_column(
        String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"), primary_key=True
    )
    since: Mapped[datetime]
    reference: Mapped[str | None] = mapped_column(String(100))


class ClimateSchedule(Base):
    """Remote climate at a set local time: weekly on some weekdays, or once on a date.

    ``timezone`` (IANA) is where ``at_time`` is read, so 07:30 stays 07:30 across daylight-saving
    changes. ``next_run_at`` is the occurrence the queued job is for; a job for any other time
    (the schedule was edited since) does nothing.
    """

    __tablename__ = "remote_climate_schedules"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    vin: Mapped[str] = mapped_column(String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(8))
    weekdays: Mapped[list[int]] = mapped_column(JSONDoc)
    at_time: Mapped[str] = mapped_column(String(5))
    on_date: Mapped[date | None]
    timezone: Mapped[str] = mapped_column(String(64))
    settings: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    enabled: Mapped[bool]
    next_run_at: Mapped[datetime | None]
    last_run_at: Mapped[datetime | None]
    last_command_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_remote_climate_schedules_vin", "vin"),)
