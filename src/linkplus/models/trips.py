"""Saved trips with their scores, and the trips that were not saved with the reason why.

A trip belongs to the account that was the car's primary account when the trip came in: a later
primary account does not inherit the previous owner's driving history. The 1 Hz samples are kept
as one compressed blob (``trips.packing``): they are only ever read whole, to draw or export one
trip's route, never queried sample by sample.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base, new_uuid


class Trip(Base):
    __tablename__ = "trips"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    vin: Mapped[str] = mapped_column(String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"))
    trip_id: Mapped[uuid.UUID]  # the car's id for the trip: uploads are idempotent by it
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    received_at: Mapped[datetime]
    distance_m: Mapped[float] = mapped_column(Float)
    duration_s: Mapped[int]
    fuel_used_l: Mapped[float | None] = mapped_column(Float)
    energy_used_kwh: Mapped[float | None] = mapped_column(Float)
    regenerated_kwh: Mapped[float | None] = mapped_column(Float)
    powertrain: Mapped[str] = mapped_column(String(16))
    coaching_kind: Mapped[str] = mapped_column(String(32))
    rebuilt: Mapped[bool]  # positions missing on the way were filled in
    location_known: Mapped[bool]  # at least one position was shared
    score_trip: Mapped[float] = mapped_column(Float)
    score_acceleration: Mapped[float] = mapped_column(Float)
    score_braking: Mapped[float] = mapped_column(Float)
    score_constant_speed: Mapped[float | None] = mapped_column(Float)
    constant_speed_absent: Mapped[str | None] = mapped_column(String(40))
    insurance_speeding: Mapped[float | None] = mapped_column(Float)
    insurance_braking: Mapped[float | None] = mapped_column(Float)
    insurance_cornering: Mapped[float | None] = mapped_column(Float)
    insurance_accelerating: Mapped[float | None] = mapped_column(Float)
    insurance_combined: Mapped[float | None] = mapped_column(Float)
    insurance_unavailable: Mapped[str | None] = mapped_column(String(32))
    coaching: Mapped[dict[str, Any]]
    samples: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    __table_args__ = (
        UniqueConstraint("vin", "trip_id", name="uq_trips_vin_trip"),
        Index("ix_trips_vin_started", "vin", "started_at"),
    )


class TripNotSaved(Base):
    """One uploaded trip that was not saved: counted per car, month and reason for the app's
    "why is a trip missing". Keyed by the car's trip id so a re-sent upload counts once."""

    __tablename__ = "trips_not_saved"

    vin: Mapped[str] = mapped_column(
        String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"), primary_key=True
    )
    trip_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    recorded_at: Mapped[datetime]

    __table_args__ = (Index("ix_trips_not_saved_vin_started", "vin", "started_at"),)
