"""What the safety API takes and gives."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from linkplus.kit.parsing import StrictInt, display_text
from linkplus.safety.rules import POLICE_LINK_HOURS_DEFAULT, POLICE_LINK_HOURS_MAX

POLICE_REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9/.\- ]{2,38}[A-Za-z0-9]$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


PoliceReference = Annotated[
    str,
    Field(
        min_length=4,
        max_length=40,
        pattern=POLICE_REFERENCE_PATTERN,
        description="The police report number, as the police gave it (letters, digits, / . -).",
    ),
]


# --- owner -------------------------------------------------------------------------------------


class SafetyServiceOut(BaseModel):
    code: str
    name: str
    active: bool
    note: str


class TheftStateOut(BaseModel):
    case_id: uuid.UUID
    state: Literal["reported", "tracking", "awaiting_reactivation"]
    message: str
    can_reactivate: bool


class SafetyStatusOut(BaseModel):
    vin: str
    light: str | None
    light_meaning: str
    see_dealer: bool
    light_reported_at: datetime | None
    features_on: bool
    switched_off_at: datetime | None
    services: list[SafetyServiceOut]
    theft: TheftStateOut | None


class SafetyEventOut(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    opened_at: datetime
    closed_at: datetime | None
    attempts: int
    outcome: str | None


class TheftReportIn(_In):
    police_reference: PoliceReference


class ReactivationStartIn(_In):
    password: str = Field(min_length=1, max_length=1000)


class ReactivationStartOut(BaseModel):
    sent_to: str
    expires_at: datetime


class ReactivationConfirmIn(_In):
    code: str = Field(pattern=r"^[0-9]{6}$", description="The 6-digit code from the e-mail.")


# --- staff -------------------------------------------------------------------------------------


class DataItemOut(BaseModel):
    label: str
    value: str


class PersonOut(BaseModel):
    name: str
    phone: str | None
    email: str


class CaseSummaryOut(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    state: str
    trigger: str
    opened_at: datetime
    age_seconds: int
    attempts: int
    call_state: str | None
    latitude: float | None
    longitude: float | None
    taken: bool
    taken_by_me: bool
    tracking: str


class EntryOut(BaseModel):
    at: datetime
    actor_type: str
    action: str
    detail: dict[str, object]


class CaseOut(CaseSummaryOut):
    vin: str | None
    model: str | None
    registration_plate: str | None
    primary_account: PersonOut | None
    occupant: str | None
    data_set: list[DataItemOut]
    data_set_error: str | None
    dispatched: list[dict[str, object]]
    outcome: str | None
    outcome_words: str | None
    closed_at: datetime | None
    police_reference: str | None
    reported_via: str | None
    checks: dict[str, object]
    tracking_started_at: datetime | None
    tracking_ended_at: datetime | None
    tracking_ended_by: str | None
    entries: list[EntryOut]


class DispatchIn(_In):
    service: Literal["police", "fire", "ambulance"]


class CloseIn(_In):
    outcome: Literal["assisted", "dispatched", "no_answer_dispatched", "false_alarm", "withdrawn"]
    note: Annotated[str, Field(max_length=500), display_text()] = ""


class TheftByVinIn(_In):
    """A theft reported by phone, the car named by its VIN."""

    vin: str = Field(min_length=17, max_length=17, pattern=r"^[A-Za-z0-9]{17}$")
    police_reference: PoliceReference


class TheftByPlateIn(_In):
    """A theft reported by phone, the car named by its registration plate."""

    plate: str = Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]*$")
    police_reference: PoliceReference


TheftOpenIn = TheftByVinIn | TheftByPlateIn
"""The agent enters the car by VIN or by plate (one of the two) and the police report number."""


class TheftChecksIn(_In):
    """What the agent checked with the caller before tracking starts."""

    police_reference_confirmed: bool
    identity_confirmed: bool


class TrackingStopIn(_In):
    ended_by: Literal["police", "reporter"]


class PoliceLinkIn(_In):
    hours: Annotated[int, StrictInt(1, POLICE_LINK_HOURS_MAX)] = POLICE_LINK_HOURS_DEFAULT


class PoliceLinkOut(BaseModel):
    url: str
    expires_at: datetime


class PositionOut(BaseModel):
    ts: datetime
    latitude: float
    longitude: float
    heading: float | None


class PoliceViewOut(BaseModel):
    police_reference: str | None
    vin: str
    registration_plate: str | None
    model: str | None
    tracking: str
    positions: list[PositionOut]
    expires_at: datetime


class FeaturesIn(_In):
    enabled: bool
    reason: Annotated[str, Field(min_length=3, max_length=200), display_text()]


class FeaturesOut(BaseModel):
    vin: str
    features_on: bool
    switched_off_at: datetime | None
    reason: str | None
