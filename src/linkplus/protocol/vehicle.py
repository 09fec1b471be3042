"""Vehicle protocol version 1: topics and message schemas (docs/vehicle-protocol.md).

Every message is validated strictly: unknown fields are refused, JSON types are not coerced
(``"1"`` is not a number, ``1`` is not ``true``), and each telemetry reading must name a known
signal with a value of that signal's type and range. ``parse`` is the one entry point for
untrusted bytes: it either returns a valid message or raises ``MalformedMessage``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from linkplus.protocol import signals
from linkplus.protocol.errors import MalformedKind, MalformedMessage

PROTOCOL_VERSION = 1
TOPIC_ROOT = "lp/v1"
MAX_PAYLOAD_BYTES = 256 * 1024
MAX_SIGNALS_PER_MESSAGE = 1000
MAX_SEQ = 2**63 - 1
VIN_RE = re.compile(r"[A-HJ-NPR-Z0-9]{17}")
SIGNAL_ERROR = "vss_signal"


class Channel(StrEnum):
    telemetry = "telemetry"
    events = "events"
    command_results = "command-results"
    commands = "commands"


VEHICLE_CHANNELS = (Channel.telemetry, Channel.events, Channel.command_results)
"""What a vehicle publishes; ``commands`` is the one channel it subscribes to."""


def is_vin(text: str) -> bool:
    return VIN_RE.fullmatch(text) is not None


def topic(vin: str, channel: Channel) -> str:
    return f"{TOPIC_ROOT}/{vin}/{channel.value}"


def subscription(channel: Channel, *, share_group: str | None = None) -> str:
    """The gateway's filter for one channel of every vehicle, optionally an MQTT 5 shared one."""
    base = f"{TOPIC_ROOT}/+/{channel.value}"
    return f"$share/{share_group}/{base}" if share_group else base


def split_topic(name: str) -> tuple[str, Channel]:
    """VIN and channel of a protocol topic; ``MalformedMessage`` for anything else."""
    parts = name.split("/")
    if len(parts) != 4 or f"{parts[0]}/{parts[1]}" != TOPIC_ROOT:
        raise MalformedMessage("not a protocol v1 topic", kind=MalformedKind.topic)
    vin, channel = parts[2], parts[3]
    if not is_vin(vin):
        raise MalformedMessage("the topic does not name a valid VIN", kind=MalformedKind.topic)
    try:
        return vin, Channel(channel)
    except ValueError:
        raise MalformedMessage("unknown channel", kind=MalformedKind.topic) from None


# --- messages ---------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Message(_Strict):
    msg_id: uuid.UUID
    sent_at: AwareDatetime


class _VehicleMessage(_Message):
    """Sent by a unit: ``seq`` counts up per unit so late, buffered messages can be ordered."""

    seq: int = Field(ge=0, le=MAX_SEQ)


class SignalReading(_Strict):
    path: str = Field(max_length=200)
    value: signals.SignalValue
    ts: AwareDatetime

    @model_validator(mode="after")
    def _known_signal(self) -> SignalReading:
        signal = signals.lookup(self.path)
        if signal is None:
            raise PydanticCustomError(SIGNAL_ERROR, "unknown signal {path}", {"path": self.path})
        problem = signals.value_problem(signal, self.value)
        if problem is not None:
            raise PydanticCustomError(
                SIGNAL_ERROR, "{path}: {problem}", {"path": self.path, "problem": problem}
            )
        return self


class Telemetry(_VehicleMessage):
    signals: list[SignalReading] = Field(min_length=1, max_length=MAX_SIGNALS_PER_MESSAGE)


class AlertKind(StrEnum):
    window_open = "window_open"
    doors_unlocked = "doors_unlocked"
    door_open = "door_open"
    boot_open = "boot_open"
    hood_open = "hood_open"
    sunroof_open = "sunroof_open"
    headlights_on = "headlights_on"
    hazard_lights_on = "hazard_lights_on"
    warning_light = "warning_light"
    rear_seat_reminder = "rear_seat_reminder"


class _Event(_VehicleMessage):
    occurred_at: AwareDatetime


class IgnitionOn(_Event):
    type: Literal["ignition_on"]


class IgnitionOff(_Event):
    type: Literal["ignition_off"]


MAX_TRIP_SAMPLES = 6 * 3600
"""Six hours at 1 Hz. In practice ``MAX_PAYLOAD_BYTES`` binds first (about 70 minutes of samples
for a plug-in hybrid, which sends every array); see docs/vehicle-protocol.md."""
MAX_TRIP_DISTANCE_M = 2_000_000.0
MAX_ACCELERATION_MS2 = 50.0  # far beyond any car: only absurd readings are refused
MAX_POWER_KW = 1000.0

_Latitude = Annotated[float, Field(ge=-90, le=90)]
_Longitude = Annotated[float, Field(ge=-180, le=180)]
_Acceleration = Annotated[float, Field(ge=-MAX_ACCELERATION_MS2, le=MAX_ACCELERATION_MS2)]


def _samples() -> Any:
    return Field(min_length=1, max_length=MAX_TRIP_SAMPLES)


class TripSamples(_Strict):
    """A trip's 1 Hz recording as parallel arrays (entry ``i`` of each is one sample).

    Parallel arrays instead of one object per sample keep a one-hour trip inside one MQTT
    message: field names are written once, not 3,600 times. ``ev_mode`` is sent by hybrids
    (HEV, PHEV) only, ``power_kw`` by cars with a traction battery drive (PHEV, BEV) only.
    """

    t: list[Annotated[int, Field(ge=0, le=MAX_TRIP_SAMPLES * 4)]] = _samples()
    lat: list[_Latitude | None] = _samples()
    lon: list[_Longitude | None] = _samples()
    speed_kmh: list[Annotated[float, Field(ge=0, le=500)]] = _samples()
    accel_long_ms2: list[_Acceleration] = _samples()
    accel_lat_ms2: list[_Acceleration] = _samples()
    speed_limit_kmh: list[Annotated[int, Field(ge=5, le=300)] | None] = _samples()
    location_shared: list[bool] = _samples()
    ev_mode: list[bool] | None = Field(default=None, min_length=1, max_length=MAX_TRIP_SAMPLES)
    power_kw: list[Annotated[float, Field(ge=-MAX_POWER_KW, le=MAX_POWER_KW)]] | None = Field(
        default=None, min_length=1, max_length=MAX_TRIP_SAMPLES
    )

    @model_validator(mode="after")
    def _consistent(self) -> TripSamples:
        count = len(self.t)
        arrays: dict[str, Sequence[object] | None] = {
            "lat": self.lat,
            "lon": self.lon,
            "speed_kmh": self.speed_kmh,
            "accel_long_ms2": self.accel_long_ms2,
            "accel_lat_ms2": self.accel_lat_ms2,
            "speed_limit_kmh": self.speed_limit_kmh,
            "location_shared": self.location_shared,
            "ev_mode": self.ev_mode,
            "power_kw": self.power_kw,
        }
        for name, values in arrays.items():
            if values is not None and len(values) != count:
                raise ValueError(f"{name} has {len(values)} samples but t has {count}")
        if any(later <= earlier for earlier, later in zip(self.t, self.t[1:], strict=False)):
            raise ValueError("t must increase strictly")
        for i, (lat, lon, shared) in enumerate(
            zip(self.lat, self.lon, self.location_shared, strict=True)
        ):
            if (lat is None) != (lon is None):
                raise ValueError(f"sample {i}: lat and lon must both be present or both null")
            if not shared and lat is not None:
                raise ValueError(f"sample {i}: a position while location sharing was off")
        return self


class Trip(_Strict):
    """One drive from engine-on to engine-off, uploaded at engine-off.

    ``trip_id`` makes the upload idempotent: the unit re-sends the same id after a reconnect or
    a late delivery, and the platform stores a trip once. Energy: ``fuel_used_l`` for anything
    that burns fuel (petrol, diesel, HEV, PHEV); ``energy_used_kwh`` for a traction battery
    drive (PHEV, BEV): the net energy taken from the battery, i.e. after ``regenerated_kwh``,
    the energy recovered by braking, has been put back.
    """

    trip_id: uuid.UUID
    started_at: AwareDatetime
    ended_at: AwareDatetime
    distance_m: float = Field(ge=0, le=MAX_TRIP_DISTANCE_M)
    duration_s: int = Field(ge=0, le=MAX_TRIP_SAMPLES * 4)
    fuel_used_l: float | None = Field(default=None, ge=0, le=1000)
    energy_used_kwh: float | None = Field(default=None, ge=-1000, le=1000)
    regenerated_kwh: float | None = Field(default=None, ge=0, le=1000)
    samples: TripSamples

    @model_validator(mode="after")
    def _consistent(self) -> Trip:
        if self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")
        if self.samples.t[-1] > self.duration_s:
            raise ValueError("a sample lies after the end of the trip")
        if self.fuel_used_l is None and self.energy_used_kwh is None:
            raise ValueError("a trip reports fuel_used_l, energy_used_kwh or both")
        return self


class TripUpload(_Event):
    type: Literal["trip_upload"]
    trip: Trip


class Alert(_Event):
    type: Literal["alert"]
    kind: AlertKind
    detail: str | None = Field(default=None, max_length=200)


class PrivacyModeChanged(_Event):
    type: Literal["privacy_mode_changed"]
    location_sharing: bool


class Sleeping(_Event):
    type: Literal["sleeping"]


class Waking(_Event):
    type: Literal["waking"]


MAX_EMERGENCY_ATTEMPTS = 100_000
"""A collision notification retries for 24 hours: any plausible count of attempts fits."""
MSD_BASE64 = r"^[A-Za-z0-9+/]{4,}={0,2}$"
"""The eCall minimum set of data (ASN.1 unaligned PER, at most 140 bytes), in base64."""


class CallState(StrEnum):
    """Where one attempt to reach the emergency centre got to."""

    no_coverage = "no_coverage"  # reported afterwards: this attempt found no network
    connecting = "connecting"
    connected = "connected"  # the voice line is open
    ended = "ended"


class _Emergency(_Event):
    """One attempt of the car to reach the emergency centre. ``incident_id`` is the car's id of
    the emergency, the same in every attempt; ``msd`` the data set as eCall encodes it."""

    incident_id: uuid.UUID
    attempt: int = Field(ge=1, le=MAX_EMERGENCY_ATTEMPTS)
    call: CallState
    msd: str = Field(min_length=4, max_length=200, pattern=MSD_BASE64)


class EmergencyButton(_Emergency):
    """The SOS button (the car accepts it only with the ignition on)."""

    type: Literal["emergency_button"]


class CollisionSensor(StrEnum):
    airbag = "airbag"
    impact = "impact"


class Collision(_Emergency):
    """Automatic collision notification: an airbag fired or an impact sensor tripped."""

    type: Literal["collision"]
    sensor: CollisionSensor


class Occupant(StrEnum):
    responding = "responding"
    silent = "silent"


class EmergencyVoice(_Event):
    """What the voice line of an emergency found: the occupants answer, or nobody does."""

    type: Literal["emergency_voice"]
    incident_id: uuid.UUID
    occupant: Occupant


class StatusLight(StrEnum):
    """The emergency system's light: red and green in turn at ignition (the self-test), solid
    green when it works, flashing green during a call, solid red on a fault."""

    self_test = "self_test"
    working = "working"
    call_in_progress = "call_in_progress"
    fault = "fault"


class EmergencySystemStatus(_Event):
    type: Literal["emergency_system_status"]
    light: StatusLight


class TrackingPhase(StrEnum):
    active = "active"
    paused = "paused"  # the 12 V battery is flat or disconnected
    stopped = "stopped"


class TrackingState(_Event):
    """Stolen-vehicle tracking as the car runs it (started and stopped by signed commands)."""

    type: Literal["tracking_state"]
    phase: TrackingPhase
    reason: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,39}$")


EventMessage = (
    IgnitionOn
    | IgnitionOff
    | TripUpload
    | Alert
    | PrivacyModeChanged
    | Sleeping
    | Waking
    | EmergencyButton
    | Collision
    | EmergencyVoice
    | EmergencySystemStatus
    | TrackingState
)
Event = Annotated[EventMessage, Field(discriminator="type")]
EVENT_TYPES = (
    "ignition_on",
    "ignition_off",
    "trip_upload",
    "alert",
    "privacy_mode_changed",
    "sleeping",
    "waking",
    "emergency_button",
    "collision",
    "emergency_voice",
    "emergency_system_status",
    "tracking_state",
)

COMMAND_REFRESH = "refresh"


class Command(_Message):
    """Platform to vehicle. The envelope is fixed here; the remote-control feature defines the
    command types beyond ``refresh`` and how ``signature`` is computed."""

    type: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    expires_at: AwareDatetime
    params: dict[str, JsonValue] = Field(default_factory=dict)
    signature: str | None = Field(default=None, max_length=2048)


class CommandStatus(StrEnum):
    received = "received"
    succeeded = "succeeded"
    failed = "failed"
    rejected = "rejected"  # signature, expiry, counter or VIN check failed, or unknown type


class CommandResult(_VehicleMessage):
    command_id: uuid.UUID
    status: CommandStatus
    reason: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,63}$")


VehicleMessage = Telemetry | EventMessage | CommandResult
AnyMessage = VehicleMessage | Command

_EVENT_ADAPTER: TypeAdapter[EventMessage] = TypeAdapter(Event)


@dataclass(frozen=True)
class ParsedMessage:
    vin: str
    channel: Channel
    message: AnyMessage


def parse(topic_name: str, payload: bytes) -> ParsedMessage:
    """Validate one MQTT message; raises ``MalformedMessage`` and nothing else, whatever arrives."""
    try:
        vin, channel = split_topic(topic_name)
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise MalformedMessage("payload too large", kind=MalformedKind.too_large)
        return ParsedMessage(vin, channel, _validate(channel, bytes(payload)))
    except MalformedMessage:
        raise
    except ValidationError as exc:
        raise _malformed(exc) from None
    except (ValueError, TypeError, RecursionError, OverflowError, MemoryError) as exc:
        raise MalformedMessage(f"unreadable payload ({type(exc).__name__})") from None


def _validate(channel: Channel, payload: bytes) -> AnyMessage:
    match channel:
        case Channel.telemetry:
            return Telemetry.model_validate_json(payload)
        case Channel.events:
            return _EVENT_ADAPTER.validate_json(payload)
        case Channel.command_results:
            return CommandResult.model_validate_json(payload)
        case Channel.commands:
            return Command.model_validate_json(payload)
    raise MalformedMessage("unknown channel", kind=MalformedKind.topic)  # pragma: no cover


def _malformed(exc: ValidationError) -> MalformedMessage:
    errors = exc.errors(include_url=False, include_input=False)
    kinds = {str(err.get("type")) for err in errors}
    first = errors[0] if errors else {"loc": (), "msg": "invalid"}
    where = ".".join(str(part) for part in first.get("loc", ()))
    reason = f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
    if "json_invalid" in kinds or "json_type" in kinds:
        return MalformedMessage(reason[:300], kind=MalformedKind.json)
    if SIGNAL_ERROR in kinds:
        return MalformedMessage(reason[:300], kind=MalformedKind.signal)
    return MalformedMessage(reason[:300], kind=MalformedKind.schema)


def encode(message: AnyMessage) -> bytes:
    """The wire form of a message (what a unit or the platform publishes)."""
    return message.model_dump_json(exclude_none=True).encode()
