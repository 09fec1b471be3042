"""The maintenance API's shapes (inputs refuse unknown fields) and its job payloads."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from linkplus.kit.parsing import StrictInt, display_text

ODOMETER_MAX = 10_000_000
COST_MAX = 10_000_000_00  # ten million in minor units

Odometer = Annotated[int, StrictInt(0, ODOMETER_MAX)]
CostMinor = Annotated[int, StrictInt(0, COST_MAX)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExplanationOut(BaseModel):
    code: str
    title: str
    meaning: str
    severity: str  # stop, soon, info
    action: str


class TyreOut(BaseModel):
    position: str
    pressure_kpa: int
    judgement: str  # ok, low, high


class BatteryOut(BaseModel):
    voltage: float
    judgement: str  # ok, low, flat


class OilOut(BaseModel):
    level: str  # the VSS level
    words: str
    severity: str


class HealthReportOut(BaseModel):
    vin: str
    overall: str | None  # stop, soon, info; None: nothing to report
    warnings: list[ExplanationOut]
    trouble_codes: list[ExplanationOut]
    tyres: list[TyreOut]
    battery: BatteryOut | None
    oil: OilOut | None
    odometer_km: float | None
    reported_at: datetime | None


class ServiceDueOut(BaseModel):
    vin: str
    due_on: date
    due_km: float | None
    days_left: int
    km_left: float | None
    stage: str  # none, first, second, overdue
    by_car: bool  # the distance is the car's own figure
    interval_km: int
    interval_months: int
    counted_from: date  # the last full service, or the first delivery


class ServiceRecordOut(BaseModel):
    id: uuid.UUID
    source: str  # dealer, owner
    serviced_on: date
    odometer_km: int
    work: str
    cost_minor: int | None
    currency: str | None
    is_service: bool
    dealer_id: str | None
    dealer_name: str | None


class OwnerServiceRecordIn(_In):
    serviced_on: date
    odometer_km: Odometer
    work: Annotated[str, Field(min_length=3, max_length=1000), display_text(multiline=True)]
    cost_minor: CostMinor | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    is_service: bool = False


class DealerVisitIn(OwnerServiceRecordIn):
    dealer_id: Annotated[str, Field(min_length=2, max_length=32, pattern=r"^[a-z0-9-]+$")]
