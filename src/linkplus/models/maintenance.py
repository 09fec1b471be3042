"""Vehicle health and maintenance: the warnings a car raised (lights and trouble codes, each an
episode from raised to cleared), the service history (dealer visits and the owner's own
records), and the service-reminder notices already sent."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base, new_uuid


class WarningSource(StrEnum):
    light = "light"  # a warning light on the instrument cluster
    code = "code"  # an OBD-II diagnostic trouble code


class ServiceSource(StrEnum):
    dealer = "dealer"  # recorded by dealer staff in the console
    owner = "owner"  # the owner's own record (a visit elsewhere, a tyre change)


class VehicleWarning(Base):
    """One warning of a car, from the first report that showed it to the first that did not."""

    __tablename__ = "vehicle_warnings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    vin: Mapped[str] = mapped_column(String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(32))
    raised_at: Mapped[datetime]  # the car's time of the report that first showed it
    cleared_at: Mapped[datetime | None]
    notified_account_id: Mapped[uuid.UUID | None]  # the primary account told when it came on

    __table_args__ = (Index("ix_vehicle_warnings_vin_cleared", "vin", "cleared_at"),)


class ServiceRecord(Base):
    """One service visit or owner's record in a car's service history."""

    __tablename__ = "service_records"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    vin: Mapped[str] = mapped_column(String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(8))
    serviced_on: Mapped[date] = mapped_column(Date)
    odometer_km: Mapped[int] = mapped_column(Integer)
    work: Mapped[str] = mapped_column(Text)
    cost_minor: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3))
    is_service: Mapped[bool]  # a full scheduled service: the reminders start again from it
    dealer_id: Mapped[str | None] = mapped_column(String(32))
    staff_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="SET NULL")
    )
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE")
    )  # the owner who wrote an owner's record; None for a dealer's
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_service_records_vin_serviced", "vin", "serviced_on"),)


class ServiceNotice(Base):
    """A service-reminder notice sent: once per car, service cycle and stage."""

    __tablename__ = "service_notices"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    vin: Mapped[str] = mapped_column(String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"))
    cycle: Mapped[str] = mapped_column(String(40))  # the service it counts from ("delivery" or id)
    stage: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    sent_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("vin", "cycle", "stage"),)
