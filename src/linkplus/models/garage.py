"""Which accounts have which cars, which account is each car's primary, and ownership checks."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base, new_uuid


class AddedVia(StrEnum):
    vin = "vin"
    plate = "plate"
    qr = "qr"


class IdentityDocument(StrEnum):
    passport = "passport"
    id_card = "id_card"
    driving_licence = "driving_licence"


class GarageEntry(Base):
    """A car in an account's garage. Several accounts may have the same car."""

    __tablename__ = "garage_entries"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    vin: Mapped[str] = mapped_column(
        String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"), primary_key=True
    )
    added_at: Mapped[datetime]
    added_via: Mapped[str] = mapped_column(String(8))
    nickname: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (Index("ix_garage_entries_vin", "vin"),)


class PrimaryAccount(Base):
    """The one account per car with connected services, remote control and personal car data."""

    __tablename__ = "primary_accounts"

    vin: Mapped[str] = mapped_column(
        String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    since: Mapped[datetime]


class PastPrimaryPeriod(Base):
    """A stretch of time during which an account was a car's primary account, now ended.

    The running stretch is ``PrimaryAccount.since``; a row is written here when the role ends
    (another account claims it, or the car leaves the account). Together they say what each
    account may read of the car's history (``garage.tenure``).
    """

    __tablename__ = "past_primary_periods"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    vin: Mapped[str] = mapped_column(String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]

    __table_args__ = (Index("ix_past_primary_periods_vin_account", "vin", "account_id"),)


class OwnershipCheck(Base):
    """Odometer attempts of one account for one car: wrong readings count towards the block."""

    __tablename__ = "ownership_checks"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    vin: Mapped[str] = mapped_column(
        String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"), primary_key=True
    )
    failed_attempts: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime | None]
    blocked_at: Mapped[datetime | None]
    passed_at: Mapped[datetime | None]


class IdentityCheck(Base):
    """A dealer saw the owner's identity document in person (needed to unblock a check)."""

    __tablename__ = "identity_checks"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    vin: Mapped[str] = mapped_column(String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_accounts.id"))
    document: Mapped[str] = mapped_column(String(20))
    checked_at: Mapped[datetime]
    notes: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_identity_checks_vin_account", "vin", "account_id"),)


class VehicleOwnershipGuard(Base):
    """The car's side of the ownership check: wrong readings from all accounts together.

    Blocked when too many wrong readings arrived within the window (``garage.ownership``); only a
    dealer lifts it. ``counted_since`` is the last unblock: wrong readings before it are spent.
    """

    __tablename__ = "vehicle_ownership_guards"

    vin: Mapped[str] = mapped_column(
        String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"), primary_key=True
    )
    counted_since: Mapped[datetime | None]
    blocked_at: Mapped[datetime | None]


class OwnershipFailure(Base):
    """One wrong odometer reading for a car. The account is forgotten (not the reading) when the
    account is deleted, so deleting throw-away accounts cannot lower the car's count."""

    __tablename__ = "ownership_failures"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    vin: Mapped[str] = mapped_column(String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    failed_at: Mapped[datetime]

    __table_args__ = (Index("ix_ownership_failures_vin_failed_at", "vin", "failed_at"),)
