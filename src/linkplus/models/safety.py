"""Safety services: emergency cases (SOS and collision), stolen-vehicle cases with their position
trail and police links, each car's emergency-system status, and the reactivation after a theft."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base, BigIntPK, JSONDoc, new_uuid


class CaseKind(StrEnum):
    sos = "sos"  # the SOS button
    collision = "collision"  # airbag or impact sensor: automatic collision notification
    theft = "theft"  # stolen-vehicle tracking


class CaseState(StrEnum):
    open = "open"  # waiting for an agent
    taken = "taken"  # an agent has it
    closed = "closed"


class TrackingState(StrEnum):
    none = "none"  # not started (a theft case waiting for its checks)
    active = "active"
    paused = "paused"  # the car's battery is flat or disconnected
    ended = "ended"


class SafetyCase(Base):
    """One emergency (one incident of a car, however many attempts it took) or one theft."""

    __tablename__ = "safety_cases"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    vin: Mapped[str] = mapped_column(String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(16))
    incident_id: Mapped[uuid.UUID | None]  # the car's id of the emergency; None for a theft
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Emergency: the latest data set the car sent, and what the call is doing.
    msd: Mapped[bytes | None] = mapped_column(LargeBinary(140))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    call_state: Mapped[str | None] = mapped_column(String(16))
    occupant: Mapped[str | None] = mapped_column(String(16))
    # The agent's handling.
    taken_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="SET NULL")
    )
    taken_at: Mapped[datetime | None]
    dispatched: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    outcome: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None]
    # Theft.
    police_reference: Mapped[str | None] = mapped_column(String(40))
    reported_via: Mapped[str | None] = mapped_column(String(16))
    checks: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    tracking: Mapped[str] = mapped_column(String(16), default=TrackingState.none.value)
    tracking_started_at: Mapped[datetime | None]
    tracking_ended_at: Mapped[datetime | None]
    tracking_ended_by: Mapped[str | None] = mapped_column(String(16))
    reactivated_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("vin", "incident_id", name="uq_safety_cases_vin_incident"),
        Index("ix_safety_cases_state_opened", "state", "opened_at"),
        Index("ix_safety_cases_vin_opened", "vin", "opened_at"),
    )


class SafetyAttempt(Base):
    """One attempt of the car to reach the emergency centre that reached the platform."""

    __tablename__ = "safety_attempts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("safety_cases.id", ondelete="CASCADE"), index=True
    )
    msg_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    attempt: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
    call_state: Mapped[str] = mapped_column(String(16))


class SafetyCaseEntry(Base):
    """The case's timeline: what happened and who did what (also written to the audit log)."""

    __tablename__ = "safety_case_entries"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("safety_cases.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    actor_type: Mapped[str] = mapped_column(String(16))  # vehicle, owner, staff, police, system
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)


class SafetyPosition(Base):
    """A position the car sent while its case needed it (tracking), kept for that case only."""

    __tablename__ = "safety_positions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("safety_cases.id", ondelete="CASCADE"))
    ts: Mapped[datetime]
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    heading: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (UniqueConstraint("case_id", "ts", name="uq_safety_positions_case_ts"),)


class PoliceLink(Base):
    """A link that shows one theft case's positions to the police until it expires."""

    __tablename__ = "safety_police_links"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("safety_cases.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="SET NULL")
    )
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class EmergencySystem(Base):
    """Each car's emergency system: the status light it last reported, and whether staff
    switched the safety features off (only a dealer or a customer-centre agent can)."""

    __tablename__ = "safety_systems"

    vin: Mapped[str] = mapped_column(
        String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"), primary_key=True
    )
    light: Mapped[str | None] = mapped_column(String(24))
    light_at: Mapped[datetime | None]
    switched_off_at: Mapped[datetime | None]
    switched_off_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="SET NULL")
    )
    switched_off_reason: Mapped[str | None] = mapped_column(String(200))


class Reactivation(Base):
    """An owner's reactivation after a theft: password checked, then a code sent by e-mail."""

    __tablename__ = "safety_reactivations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("safety_cases.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    tries: Mapped[int] = mapped_column(Integer, default=0)
    confirmed_at: Mapped[datetime | None]
