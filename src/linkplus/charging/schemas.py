"""What the charging API takes and gives."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from linkplus.kit.parsing import StrictInt, display_text

IDENTITY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,47}$"
ACTIVATION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 \-]{6,38}[A-Za-z0-9]$"
PRICE_PATTERN = r"^[0-9]{1,2}(\.[0-9]{1,4})?$"
VIN_PATTERN = r"^[A-Za-z0-9]{17}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


ChargerIdentity = Annotated[
    str,
    Field(
        min_length=1,
        max_length=48,
        pattern=IDENTITY_PATTERN,
        description="The charger's identity (its OCPP id) as printed on its label.",
    ),
]
ActivationCode = Annotated[
    str,
    Field(
        min_length=8,
        max_length=40,
        pattern=ACTIVATION_PATTERN,
        description="The activation code printed on the charger's label (dashes and spaces "
        "are ignored, letters in any case).",
    ),
]
Price = Annotated[
    str,
    Field(
        pattern=PRICE_PATTERN,
        description="What a kWh costs you at home, in your currency's main unit (0.32 for "
        "32 cents; up to four decimals).",
    ),
]
Vin = Annotated[str, Field(min_length=17, max_length=17, pattern=VIN_PATTERN)]
Name = Annotated[str, Field(min_length=1, max_length=60), display_text()]


class ChargerAddIn(_In):
    identity: ChargerIdentity
    activation_code: ActivationCode
    name: Name | None = None
    vins: list[Vin] = Field(min_length=1, max_length=10, description="The cars it charges.")
    price_per_kwh: Price = "0.30"
    max_power_w: Annotated[int, StrictInt(1380, 350_000)] = 11_000


class ChargerChangeIn(_In):
    name: Name | None = None
    vins: list[Vin] | None = Field(default=None, min_length=1, max_length=10)
    price_per_kwh: Price | None = None


class ChargerOut(BaseModel):
    identity: str
    name: str | None
    vins: list[str]
    onboarded_at: datetime | None
    connected: bool
    protocol: str | None
    vendor: str | None
    model: str | None
    serial_number: str | None
    firmware_version: str | None
    connector_status: str | None
    status_at: datetime | None
    booted_at: datetime | None
    last_heartbeat_at: datetime | None
    price_per_kwh: str
    currency: str
    max_power_w: int


class ChargerCredentialsOut(BaseModel):
    """Shown once: what to enter in the charger's set-up (its installer app or web page)."""

    charger: ChargerOut
    ocpp_url: str = Field(description="The central system's address, without the identity.")
    password: str = Field(description="The charger's Basic-auth password (security profile 1).")


class StartIn(_In):
    vin: Vin | None = Field(default=None, description="The car being charged, if known.")


class CommandOut(BaseModel):
    id: uuid.UUID
    action: str
    state: str
    requested_at: datetime
    answered_at: datetime | None
    answer: str | None


class MoneyOut(BaseModel):
    minor: int
    currency: str


class SessionOut(BaseModel):
    id: uuid.UUID
    vin: str | None
    state: str
    started_at: datetime
    stopped_at: datetime | None
    stop_reason: str | None
    energy_wh: int
    price_per_kwh: str
    cost: MoneyOut


class SessionDetailOut(SessionOut):
    meter_values: list[MeterValueOut]


class MeterValueOut(BaseModel):
    measured_at: datetime
    energy_wh: int | None
    power_w: int | None


SessionDetailOut.model_rebuild()


class Weekday(StrEnum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


class TimeOfDay(_In):
    hour: Annotated[int, StrictInt(0, 23)]
    minute: Annotated[int, StrictInt(0, 59)]


class WindowIn(_In):
    """A weekly window in the owner apps' shape: on or off, a start and optionally an end
    (start only: charge from then until full), the weekdays."""

    enabled: bool = True
    start_time: TimeOfDay
    end_time: TimeOfDay | None = None
    days_of_the_week: list[Weekday] = Field(min_length=1, max_length=7)

    @model_validator(mode="after")
    def _no_repeats(self) -> WindowIn:
        if len(set(self.days_of_the_week)) != len(self.days_of_the_week):
            raise ValueError("name each weekday once")
        return self


class WindowOut(BaseModel):
    id: Annotated[int, Field(description="The window's number at this charger.")]
    enabled: bool
    start_time: TimeOfDay
    end_time: TimeOfDay | None
    days_of_the_week: list[Weekday]
