"""Request and response bodies of the garage API and its staff API.

A car is added with exactly one of ``vin``, ``registration_plate`` or ``pairing_code`` (the text of
the QR code the car's multimedia screen shows). The QR code is proof of physical access on its
own; the other two need the odometer reading as proof (see ``garage.ownership``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from linkplus.kit.parsing import NAME_PATTERN, InputRefused, check_display_text, display_text
from linkplus.kit.vin import InvalidVin, normalize_vin
from linkplus.models.garage import IdentityDocument

MAX_ODOMETER_KM = 2_000_000


def check_vin(value: str) -> str:
    try:
        return normalize_vin(value)
    except InvalidVin as exc:
        raise PydanticCustomError("invalid_vin", str(exc)) from exc


def _strip_text(value: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise PydanticCustomError("empty", "Enter a value or leave the field out.")
    try:
        return check_display_text(stripped, field="text")
    except InputRefused as refused:
        raise PydanticCustomError(refused.kind, refused.message) from None


Vin = Annotated[str, Field(max_length=40), AfterValidator(check_vin)]
_SHOWN = {"pattern": NAME_PATTERN}
Plate = Annotated[str, Field(max_length=20, json_schema_extra=_SHOWN), AfterValidator(_strip_text)]
Nickname = Annotated[
    str, Field(max_length=40, json_schema_extra=_SHOWN), AfterValidator(_strip_text)
]
PairingCode = Annotated[str, Field(min_length=1, max_length=2000)]
OdometerKm = Annotated[int, Field(ge=0, le=MAX_ODOMETER_KM, strict=True)]


class AddVehicleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vin: Vin | None = None
    registration_plate: Plate | None = None
    pairing_code: PairingCode | None = None
    odometer_km: OdometerKm | None = None
    nickname: Nickname | None = None

    @model_validator(mode="after")
    def _one_way_with_proof(self) -> Self:
        given = [self.vin, self.registration_plate, self.pairing_code]
        if sum(value is not None for value in given) != 1:
            raise PydanticCustomError(
                "one_identifier",
                "Send exactly one of 'vin', 'registration_plate' or 'pairing_code' (the QR code "
                "shown on the car's screen).",
            )
        if self.pairing_code is None and self.odometer_km is None:
            raise PydanticCustomError(
                "odometer_required",
                "Enter the car's odometer reading in 'odometer_km', or scan the QR code on the "
                "car's screen instead.",
            )
        if self.pairing_code is not None and self.odometer_km is not None:
            raise PydanticCustomError(
                "odometer_not_needed",
                "The QR code is proof enough: leave out 'odometer_km'.",
            )
        return self


class OwnershipProof(BaseModel):
    """Fresh proof of access to the car: the QR code from its screen, or its odometer reading."""

    model_config = ConfigDict(extra="forbid")

    pairing_code: PairingCode | None = None
    odometer_km: OdometerKm | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.pairing_code is None) == (self.odometer_km is None):
            raise PydanticCustomError(
                "one_proof",
                "Send either 'pairing_code' (the QR code on the car's screen) or 'odometer_km' "
                "(the odometer reading), not both.",
            )
        return self


class RemoveVehicleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Strict: only the JSON literal true confirms ("yes" or 1 are not taken as consent).
    confirm: Annotated[bool, Field(strict=True, json_schema_extra={"const": True})]

    @field_validator("confirm")
    @classmethod
    def _confirmed(cls, value: bool) -> bool:
        if value is not True:
            raise PydanticCustomError(
                "confirmation_required",
                'Removing the car cannot be undone: send "confirm": true to go ahead.',
            )
        return value


class Role(StrEnum):
    primary = "primary"
    secondary = "secondary"


class GarageVehicleOut(BaseModel):
    """A car as its account sees it. Secondary accounts see the name and model only: the other
    fields are null for them."""

    vin: str
    model_name: str
    nickname: str | None
    role: Role
    model_code: str | None = None
    model_year: int | None = None
    powertrain: str | None = None
    multimedia: str | None = None
    market: str | None = None
    registration_plate: str | None = None
    added_at: datetime | None = None
    # Primary cars only: the standard services can be activated but are not active yet (the
    # app's welcome prompt). Filled by the Connected Services Centre's garage overview.
    services_need_activation: bool | None = None


class OdometerOut(BaseModel):
    """The car's last reported reading. Primary account only: anyone who could read it could
    pass the ownership check by odometer without being near the car."""

    odometer_km: int | None
    reported_at: datetime | None


# --- staff ----------------------------------------------------------------------------------------


class OwnershipCheckOut(BaseModel):
    failed_attempts: int
    attempts_left: int
    blocked: bool
    blocked_at: datetime | None
    last_failed_at: datetime | None
    passed_at: datetime | None


class StaffVehicleAccountOut(BaseModel):
    """An account that has the car, or that tried the ownership check for it (``in_garage``
    false, ``role`` null: typically blocked while adding the car)."""

    account_id: uuid.UUID
    email: str
    name: str
    in_garage: bool
    role: Role | None
    added_at: datetime | None
    added_via: str | None
    ownership_check: OwnershipCheckOut | None


class VehicleOwnershipBlockOut(BaseModel):
    """The car's side of the ownership check: wrong readings from all accounts together."""

    blocked: bool
    blocked_at: datetime | None
    wrong_readings: int  # counted now: in the window and since the last unblock
    limit: int
    window_days: int


class StaffVehicleOut(BaseModel):
    vin: str
    model_code: str
    model_name: str
    model_year: int
    market: str
    registration_plate: str | None
    first_delivery_date: date | None
    ownership_block: VehicleOwnershipBlockOut
    accounts: list[StaffVehicleAccountOut]


class IdentityCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: uuid.UUID
    document: IdentityDocument
    notes: Annotated[str, Field(max_length=500), display_text(multiline=True)] | None = None


class IdentityCheckOut(BaseModel):
    id: uuid.UUID
    vin: str
    account_id: uuid.UUID
    staff_id: uuid.UUID
    document: IdentityDocument
    checked_at: datetime
    notes: str | None


class StaffRemovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=3, max_length=500), AfterValidator(_strip_text)]
