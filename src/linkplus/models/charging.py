"""Home charging: chargers (OCPP charging stations) in an owner's account, the cars they charge,
their charging sessions with meter values, the commands the platform sends them, and the owner's
charging windows. docs/charging.md."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base, BigIntPK, JSONDoc, new_uuid


class SessionState(StrEnum):
    active = "active"  # the charger started the transaction
    finished = "finished"  # the charger ended it


class CommandState(StrEnum):
    pending = "pending"  # stored, waiting for the process that holds the charger's connection
    sent = "sent"  # sent, waiting for the charger's answer
    accepted = "accepted"
    rejected = "rejected"  # the charger said no
    failed = "failed"  # no answer, an error answer, or the connection went away
    expired = "expired"  # the charger was not connected in time


class Charger(Base):
    """A home charger. The manufacturer registers it (identity and the hash of the activation
    code printed on it); an owner onboards it into an account, which sets its password."""

    __tablename__ = "chargers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    identity: Mapped[str] = mapped_column(String(48), unique=True)  # its OCPP id, in the URL
    activation_code_hash: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[datetime]
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    name: Mapped[str | None] = mapped_column(String(60))
    onboarded_at: Mapped[datetime | None]
    password_hash: Mapped[str | None] = mapped_column(String(64))  # Basic auth, security profile 1
    id_tag: Mapped[str | None] = mapped_column(String(20))  # the account's token at this charger
    price_per_kwh_e4: Mapped[int] = mapped_column(Integer, default=0)  # 1/10000 of the currency
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    max_power_w: Mapped[int] = mapped_column(Integer, default=11000)
    # What the charger told us.
    protocol: Mapped[str | None] = mapped_column(String(16))  # ocpp1.6 | ocpp2.0.1
    vendor: Mapped[str | None] = mapped_column(String(50))
    model: Mapped[str | None] = mapped_column(String(50))
    serial_number: Mapped[str | None] = mapped_column(String(50))
    firmware_version: Mapped[str | None] = mapped_column(String(50))
    booted_at: Mapped[datetime | None]
    last_heartbeat_at: Mapped[datetime | None]
    connector_status: Mapped[str | None] = mapped_column(String(20))
    status_at: Mapped[datetime | None]
    connected: Mapped[bool] = mapped_column(default=False)
    connected_at: Mapped[datetime | None]
    next_transaction: Mapped[int] = mapped_column(Integer, default=1)  # OCPP 1.6 ids we assign

    __table_args__ = (Index("ix_chargers_account", "account_id"),)


class ChargerVehicle(Base):
    """A car the owner charges at this charger."""

    __tablename__ = "charger_vehicles"

    charger_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chargers.id", ondelete="CASCADE"), primary_key=True
    )
    vin: Mapped[str] = mapped_column(
        String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"), primary_key=True
    )
    linked_at: Mapped[datetime]


class ChargingSession(Base):
    """One OCPP transaction: from the charger's start to its stop, with the energy it metered
    and what that cost at the charger's tariff when the session ran."""

    __tablename__ = "charging_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    charger_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    vin: Mapped[str | None] = mapped_column(
        String(17), ForeignKey("vehicles.vin", ondelete="SET NULL")
    )
    transaction_id: Mapped[str] = mapped_column(String(36))  # OCPP's, unique per charger
    id_tag: Mapped[str] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
    stop_reason: Mapped[str | None] = mapped_column(String(32))
    meter_start_wh: Mapped[int | None] = mapped_column(BigInteger)
    meter_last_wh: Mapped[int | None] = mapped_column(BigInteger)
    energy_wh: Mapped[int] = mapped_column(BigInteger, default=0)
    price_per_kwh_e4: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    cost_minor: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (
        UniqueConstraint("charger_id", "transaction_id", name="uq_charging_sessions_transaction"),
        Index("ix_charging_sessions_charger_started", "charger_id", "started_at"),
        Index("ix_charging_sessions_account", "account_id"),
    )


class ChargingMeterValue(Base):
    """A meter reading the charger sent during a session."""

    __tablename__ = "charging_meter_values"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("charging_sessions.id", ondelete="CASCADE")
    )
    measured_at: Mapped[datetime]
    energy_wh: Mapped[int | None] = mapped_column(BigInteger)  # the meter's register
    power_w: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_charging_meter_values_session", "session_id", "measured_at"),)


class ChargerCommand(Base):
    """Something the platform asks a charger to do. Stored first, then sent by whichever process
    holds the charger's WebSocket (``serve`` or a standalone ``linkplus ocpp``)."""

    __tablename__ = "charger_commands"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    charger_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(16))  # start | stop
    arguments: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    state: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_charger_commands_state", "state", "requested_at"),)


class ChargingWindow(Base):
    """A weekly charging window of a charger (the shape the owner apps use: a number, on or off,
    a start and optionally an end, and the weekdays)."""

    __tablename__ = "charging_windows"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    charger_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool]
    start_minute: Mapped[int] = mapped_column(Integer)  # minutes after local midnight
    end_minute: Mapped[int | None] = mapped_column(Integer)  # None: start only
    days: Mapped[int] = mapped_column(Integer)  # bit 0 Monday ... bit 6 Sunday
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("charger_id", "number", name="uq_charging_windows_number"),)
