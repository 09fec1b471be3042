"""Turning a batch of valid vehicle messages into what the twin stores. Pure: no database, no
clock; the gateway decides about duplicates and foreign topics before, privacy after.

A batch may hold several messages of one car, out of order (a unit back from a car park sends
what it kept): messages are put back in ``seq`` order, the twin keeps the newest reading per
signal by the vehicle's timestamp, and every per-car time only moves forward.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from linkplus.protocol import vehicle as protocol
from linkplus.protocol.signals import SignalValue
from linkplus.protocol.vehicle import (
    CommandResult,
    EventMessage,
    ParsedMessage,
    Telemetry,
    TripUpload,
)

LOCATION_PREFIX = "Vehicle.CurrentLocation."
LATITUDE = "Vehicle.CurrentLocation.Latitude"
LONGITUDE = "Vehicle.CurrentLocation.Longitude"
HEADING = "Vehicle.CurrentLocation.Heading"
ACCURACY = "Vehicle.CurrentLocation.HorizontalAccuracy"
ODOMETER = "Vehicle.TraveledDistance"

HISTORY_SIGNALS = frozenset(
    {
        ODOMETER,
        "Vehicle.Powertrain.FuelSystem.RelativeLevel",
        "Vehicle.Powertrain.FuelSystem.Range",
        "Vehicle.Powertrain.Range",
        "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
        "Vehicle.Powertrain.TractionBattery.Range",
        "Vehicle.Powertrain.TractionBattery.Charging.IsCharging",
        "Vehicle.Powertrain.TractionBattery.Charging.IsChargingCableConnected",
        "Vehicle.Powertrain.TractionBattery.CurrentPower",
        "Vehicle.LowVoltageBattery.CurrentVoltage",
    }
)
"""Signals whose past the trips, charging and safety features need; the rest keep only the
latest value. Positions have their own history (``Fix``)."""


def is_location(path: str) -> bool:
    return path.startswith(LOCATION_PREFIX)


@dataclass(frozen=True)
class Reading:
    vin: str
    path: str
    value: SignalValue
    ts: datetime


@dataclass(frozen=True)
class Fix:
    """A position: latitude and longitude measured at the same time."""

    vin: str
    ts: datetime
    latitude: float
    longitude: float
    heading: float | None = None
    accuracy_m: float | None = None


@dataclass
class Activity:
    """What a batch says about one car's unit, as the newest time of each kind."""

    last_seq: int = 0
    ignition_on_at: datetime | None = None
    ignition_off_at: datetime | None = None
    asleep_since: datetime | None = None
    awake_since: datetime | None = None


@dataclass
class BatchPlan:
    readings: list[Reading] = field(default_factory=list)  # every reading but positions
    location_readings: list[Reading] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    events: list[tuple[str, EventMessage]] = field(default_factory=list)
    command_results: list[tuple[str, CommandResult]] = field(default_factory=list)
    activity: dict[str, Activity] = field(default_factory=dict)


def later(current: datetime | None, candidate: datetime | None) -> datetime | None:
    if current is None:
        return candidate
    if candidate is None:
        return current
    return max(current, candidate)


def in_order(messages: Iterable[ParsedMessage]) -> list[ParsedMessage]:
    """Per car in ``seq`` order (the order the unit produced them); cars stay in arrival order."""
    first_seen: dict[str, int] = {}
    listed = list(messages)
    for index, parsed in enumerate(listed):
        first_seen.setdefault(parsed.vin, index)

    def key(parsed: ParsedMessage) -> tuple[int, int]:
        return first_seen[parsed.vin], getattr(parsed.message, "seq", 0)

    return sorted(listed, key=key)


def plan_batch(messages: Sequence[ParsedMessage]) -> BatchPlan:
    plan = BatchPlan()
    for parsed in in_order(messages):
        message = parsed.message
        activity = plan.activity.setdefault(parsed.vin, Activity())
        activity.last_seq = max(activity.last_seq, getattr(message, "seq", 0))
        if isinstance(message, Telemetry):
            _add_telemetry(plan, parsed.vin, message)
        elif isinstance(message, CommandResult):
            plan.command_results.append((parsed.vin, message))
        elif isinstance(message, protocol.Command):
            continue  # the gateway never subscribes to commands; nothing to keep
        else:
            plan.events.append((parsed.vin, message))
            _note_event(activity, message)
    return plan


def _add_telemetry(plan: BatchPlan, vin: str, message: Telemetry) -> None:
    positions: dict[datetime, dict[str, float]] = {}
    for signal in message.signals:
        reading = Reading(vin, signal.path, signal.value, signal.ts)
        if not is_location(signal.path):
            plan.readings.append(reading)
            continue
        plan.location_readings.append(reading)
        if signal.path in (LATITUDE, LONGITUDE, HEADING, ACCURACY) and isinstance(
            signal.value, int | float
        ):
            positions.setdefault(signal.ts, {})[signal.path] = float(signal.value)
    for ts, parts in positions.items():
        if LATITUDE in parts and LONGITUDE in parts:
            plan.fixes.append(
                Fix(
                    vin,
                    ts,
                    parts[LATITUDE],
                    parts[LONGITUDE],
                    parts.get(HEADING),
                    parts.get(ACCURACY),
                )
            )


def _note_event(activity: Activity, event: EventMessage) -> None:
    at = event.occurred_at
    match event.type:
        case "ignition_on":
            activity.ignition_on_at = later(activity.ignition_on_at, at)
            activity.awake_since = later(activity.awake_since, at)
        case "ignition_off":
            activity.ignition_off_at = later(activity.ignition_off_at, at)
        case "sleeping":
            activity.asleep_since = later(activity.asleep_since, at)
        case "waking":
            activity.awake_since = later(activity.awake_since, at)
        case _:
            pass


def newest_per_signal(readings: Iterable[Reading]) -> list[Reading]:
    """One reading per (car, signal): the newest by vehicle time; on a tie the later message."""
    newest: dict[tuple[str, str], Reading] = {}
    for reading in readings:
        key = (reading.vin, reading.path)
        kept = newest.get(key)
        if kept is None or reading.ts >= kept.ts:
            newest[key] = reading
    return sorted(newest.values(), key=lambda r: (r.vin, r.path))


def trip_end_fix(vin: str, upload: TripUpload) -> Fix | None:
    """Where an uploaded trip ended: its last sample with a position, when the unit still shared
    its location at the end of the trip (otherwise nothing: the car is in privacy mode)."""
    trip = upload.trip
    samples = trip.samples
    if not samples.location_shared[-1]:
        return None
    for index in range(len(samples.t) - 1, -1, -1):
        lat, lon = samples.lat[index], samples.lon[index]
        if lat is not None and lon is not None and samples.location_shared[index]:
            return Fix(vin, trip.started_at + timedelta(seconds=samples.t[index]), lat, lon)
    return None
