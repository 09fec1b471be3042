"""Consents to the legal documents, the history of each car's privacy mode, and the purposes
that need a car's location whatever its privacy mode (an emergency, a theft)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base, BigIntPK, new_uuid


class DocumentKind(StrEnum):
    terms_of_use = "terms_of_use"
    privacy_notice = "privacy_notice"


class ConsentChannel(StrEnum):
    app = "app"
    portal = "portal"
    head_unit = "head_unit"


class PrivacyModeSource(StrEnum):
    app = "app"
    vehicle = "vehicle"


class Consent(Base):
    """One acceptance of one version of a legal document; withdrawing it keeps the row."""

    __tablename__ = "consents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    document: Mapped[str] = mapped_column(String(32))
    country: Mapped[str] = mapped_column(String(7))  # ISO alpha-2, or "default"
    language: Mapped[str] = mapped_column(String(35))
    version: Mapped[str] = mapped_column(String(32))
    accepted_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(16))
    withdrawn_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_consents_account_document", "account_id", "document"),)


class PrivacyModeChange(Base):
    """Location sharing switched on or off for a car, from the app or by the car itself.

    Kept for good: a trip that ended at time T needs to know whether location was shared then.
    """

    __tablename__ = "privacy_mode_changes"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    vin: Mapped[str] = mapped_column(String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"))
    location_sharing: Mapped[bool]
    changed_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )

    __table_args__ = (Index("ix_privacy_mode_changes_vin_changed", "vin", "changed_at"),)


class LocationPurpose(StrEnum):
    emergency = "emergency"
    theft = "theft"


class LocationHold(Base):
    """A stretch of time during which a car's positions are kept for one purpose, whatever its
    privacy mode: an emergency case or stolen-vehicle tracking. ``reference`` names the case;
    positions kept under a hold are that case's, shown only to its agents."""

    __tablename__ = "location_holds"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    vin: Mapped[str] = mapped_column(String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_location_holds_vin_started", "vin", "started_at"),)
