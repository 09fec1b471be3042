"""Request and response bodies of the remote-control API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from linkplus.jobs import JobPayload
from linkplus.kit.parsing import INT64_MAX, StrictInt, display_text

SimpleType = Literal[
    "door-lock",
    "door-unlock",
    "hazard-lights-on",
    "engine-start",
    "engine-stop",
    "climate-renew",
    "climate-stop",
]
SeatLevel = Annotated[int, Field(ge=0, le=3)]
# A change number on the command stream (``after=``, ``Last-Event-ID``): ASCII digits up to the
# largest id the databases store, so an odd value is a 422 and never reaches the driver.
ChangeNumber = Annotated[int, StrictInt(0, INT64_MAX)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SimpleCommandIn(_In):
    """A command without parameters."""

    type: SimpleType


class Seats(_In):
    """Levels 0 (off) to 3 per seat; seats not named keep their setting."""

    driver: SeatLevel | None = None
    passenger: SeatLevel | None = None
    rear_left: SeatLevel | None = None
    rear_right: SeatLevel | None = None


class Defrost(_In):
    front: bool = False
    rear: bool = False


class ClimateSettings(_In):
    """Advanced remote climate. Leave all out for basic climate, which restores the settings of
    the last trip (and on petrol, diesel and hybrid cars starts the engine)."""

    temperature_c: float | None = Field(default=None, ge=16, le=30, multiple_of=0.5)
    seat_heating: Seats | None = None
    seat_ventilation: Seats | None = None
    steering_wheel_heating: bool | None = None
    defrost: Defrost | None = None

    def settings(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True, exclude={"type"})


class ClimateStartIn(ClimateSettings):
    type: Literal["climate-start"]


CommandIn = Annotated[SimpleCommandIn | ClimateStartIn, Field(discriminator="type")]


class CommandOut(BaseModel):
    id: uuid.UUID
    vin: str
    type: str
    title: str = Field(description="What the command does, in the owner's words.")
    subsystem: str
    state: Literal["accepted", "sent", "acknowledged", "completed", "failed", "expired"]
    code: str | None = Field(description="Why it failed or expired (a stable code).")
    message: str | None = Field(description="What the owner can do about a failure.")
    params: dict[str, Any]
    created_at: datetime
    expires_at: datetime
    sent_at: datetime | None
    acknowledged_at: datetime | None
    finished_at: datetime | None
    runs_until: datetime | None = Field(
        description="Climate, engine and hazard lights: when the car switches them off."
    )
    seconds_left: int | None = Field(description="Seconds until ``runs_until`` (0 when over).")
    from_schedule: uuid.UUID | None


class CommandAvailabilityOut(BaseModel):
    """Whether the car can run a command: ``offered`` when its model, its market and its active
    services allow it at all; ``ready`` when nothing stands in the way right now. ``code`` and
    ``message`` name the first refusal that applies (the same the command itself would get)."""

    type: str
    title: str
    offered: bool
    ready: bool
    code: str | None
    message: str | None


class RemoteStateOut(BaseModel):
    """What runs on the car now, by the commands it completed, and what it can run."""

    vin: str
    climate_until: datetime | None
    climate_seconds_left: int
    climate_renewals_left: int
    engine_until: datetime | None
    engine_seconds_left: int
    hazard_until: datetime | None
    hazard_seconds_left: int
    open_commands: list[CommandOut]
    commands: list[CommandAvailabilityOut]
    advanced_climate_offered: bool = Field(
        description="Whether climate can start with settings (temperature, seats, defrost)."
    )
    advanced_climate_code: str | None = Field(
        default=None,
        description="Why an advanced climate start would be refused now (a stable code).",
    )
    advanced_climate_message: str | None = Field(
        default=None, description="What the owner can do about it."
    )


class ScheduleIn(_In):
    name: Annotated[str, display_text()] = Field(
        default="Remote climate", min_length=1, max_length=60
    )
    kind: Literal["weekly", "once"]
    weekdays: list[Weekday] = Field(default_factory=list, max_length=7)
    at: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="Local time HH:MM.")
    on_date: date | None = Field(default=None, description="The day of a one-off schedule.")
    timezone: str | None = Field(
        default=None,
        max_length=64,
        description="IANA name, e.g. Europe/Vienna; default: the car's market's main zone.",
    )
    enabled: bool = True
    climate: ClimateSettings = Field(default_factory=ClimateSettings)


class ScheduleUpdate(_In):
    name: Annotated[str, display_text()] | None = Field(default=None, min_length=1, max_length=60)
    kind: Literal["weekly", "once"] | None = None
    weekdays: list[Weekday] | None = Field(default=None, max_length=7)
    at: str | None = Field(default=None, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    on_date: date | None = None
    timezone: str | None = Field(default=None, max_length=64)
    enabled: bool | None = None
    climate: ClimateSettings | None = None


class ScheduleOut(BaseModel):
    id: uuid.UUID
    vin: str
    name: str
    kind: str
    weekdays: list[str]
    at: str
    on_date: date | None
    timezone: str
    enabled: bool
    climate: dict[str, Any]
    next_run_at: datetime | None
    last_run_at: datetime | None
    last_command_id: uuid.UUID | None


# --- job payloads (the tasks are in ``tasks.py``) --------------------------------------------


class SendCommandJob(JobPayload):
    """Sign and publish an accepted command: the fallback when the request could not publish it,
    retried every second while the broker is away (until the command expires)."""

    task: ClassVar[str] = "remote.send_command"
    max_attempts: ClassVar[int] = 30
    command_id: uuid.UUID


class ExpireCommandJob(JobPayload):
    """End a command the car has not answered by its expiry."""

    task: ClassVar[str] = "remote.expire_command"
    command_id: uuid.UUID


class RunClimateScheduleJob(JobPayload):
    """Start the climate of one occurrence of a schedule."""

    task: ClassVar[str] = "remote.run_climate_schedule"
    schedule_id: uuid.UUID
    run_at: datetime
