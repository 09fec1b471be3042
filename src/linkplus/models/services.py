"""Activations of connected-service packages per car and account, and "prepare to sell" ticks."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base, new_uuid


class DeactivationReason(StrEnum):
    owner = "owner"  # the owner stopped them in the Connected Services Centre
    terms_withdrawn = "terms_withdrawn"
    vehicle_removed = "vehicle_removed"
    primary_changed = "primary_changed"


class ServiceActivation(Base):
    """A package switched on for a car by one account.

    One row per (car, account, package): activating again reuses the row, so "is it active" is
    one lookup. ``ends_at`` is the end of the complimentary period, counted from the car's first
    delivery, so a later owner gets whatever is left of it.
    """

    __tablename__ = "service_activations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    vin: Mapped[str] = mapped_column(String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    package: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    deactivated_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        UniqueConstraint("vin", "account_id", "package", name="uq_service_activations_vin_account"),
        Index("ix_service_activations_account", "account_id"),
    )


class SellChecklistStep(StrEnum):
    """Steps of "prepare to sell" that only the owner can confirm (we cannot see them)."""

    head_unit_profile_deleted = "head_unit_profile_deleted"
    buyer_informed = "buyer_informed"


class SellChecklistMark(Base):
    """The owner ticked a "prepare to sell" step for a car."""

    __tablename__ = "sell_checklist_marks"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    vin: Mapped[str] = mapped_column(
        String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"), primary_key=True
    )
    step: Mapped[str] = mapped_column(String(40), primary_key=True)
    marked_at: Mapped[datetime]
