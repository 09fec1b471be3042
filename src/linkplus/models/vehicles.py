"""The registry of produced vehicles (the manufacturer's side) and spent pairing codes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base


class Vehicle(Base):
    """One produced car, as the factory feed describes it; owners' accounts refer to it by VIN."""

    __tablename__ = "vehicles"

    vin: Mapped[str] = mapped_column(String(17), primary_key=True)
    model_code: Mapped[str] = mapped_column(String(16))
    model_year: Mapped[int]
    market: Mapped[str] = mapped_column(String(2))  # ISO 3166 alpha-2 country it was built for
    multimedia: Mapped[str] = mapped_column(String(8))
    # The warranty start and the start of complimentary services; null while only ordered.
    first_delivery_date: Mapped[date | None] = mapped_column(Date)
    registration_plate: Mapped[str | None] = mapped_column(String(16))  # as displayed
    # Upper-case, without spaces and dashes: what a search by plate compares.
    plate_key: Mapped[str | None] = mapped_column(String(16), index=True)
    telematics_unit: Mapped[bool]
    # Ed25519 public key of the head unit (base64url, raw 32 bytes): checks its pairing codes.
    head_unit_public_key: Mapped[str | None] = mapped_column(String(64))
    odometer_km: Mapped[int | None]
    odometer_reported_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class UsedPairingCode(Base):
    """A head-unit pairing code that has been accepted once and must not be accepted again."""

    __tablename__ = "used_pairing_codes"

    vin: Mapped[str] = mapped_column(
        String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"), primary_key=True
    )
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime]
    # After this the code is refused as expired anyway, so the row may be purged.
    expires_at: Mapped[datetime]
