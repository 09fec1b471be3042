"""What the vehicle link tells other domains. Each is published in the gateway's transaction, so
a subscriber's job runs only once what the car sent is stored, and a reaction registered with
an ``events.Reaction`` commits (or fails) together with it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from linkplus.events import DomainEvent


class TripUploaded(DomainEvent):
    """A trip arrived at engine-off; its raw upload waits in the ``trip_uploads`` inbox under
    ``msg_id`` (``vehicle_link.service.trip_upload``) until the trips feature takes it in."""

    name: ClassVar[str] = "vehicle_link.trip_uploaded"
    vin: str
    msg_id: uuid.UUID


class AlertRaised(DomainEvent):
    """The car raised an alert (window open, warning light...)."""

    name: ClassVar[str] = "vehicle_link.alert_raised"
    vin: str
    msg_id: uuid.UUID
    kind: str
    detail: str | None
    occurred_at: datetime


class HealthReported(DomainEvent):
    """The car sent its warning lights or trouble codes (whole lists, changed or not); the
    maintenance feature compares them with what it knows, from the twin, once stored."""

    name: ClassVar[str] = "vehicle_link.health_reported"
    vin: str
    reported_at: datetime  # the newest reading's vehicle time in the batch


class EmergencyReported(DomainEvent):
    """One attempt of an SOS call or a collision notification, for the safety feature.
    ``type`` is the protocol event type; ``msd`` the eCall data set in base64; ``sensor`` the
    collision's (airbag, impact), None for the SOS button."""

    name: ClassVar[str] = "vehicle_link.emergency_reported"
    vin: str
    msg_id: uuid.UUID
    type: str
    occurred_at: datetime
    incident_id: uuid.UUID
    attempt: int
    call: str
    msd: str
    sensor: str | None = None


class EmergencyVoiceReported(DomainEvent):
    """The voice line of an emergency found the occupants answering, or silent."""

    name: ClassVar[str] = "vehicle_link.emergency_voice_reported"
    vin: str
    incident_id: uuid.UUID
    occupant: str
    occurred_at: datetime


class EmergencySystemReported(DomainEvent):
    """The car's emergency system showed ``light`` (self_test, working, call_in_progress,
    fault)."""

    name: ClassVar[str] = "vehicle_link.emergency_system_reported"
    vin: str
    light: str
    occurred_at: datetime


class TrackingReported(DomainEvent):
    """The car's stolen-vehicle tracking is ``phase`` (active, paused, stopped)."""

    name: ClassVar[str] = "vehicle_link.tracking_reported"
    vin: str
    phase: str
    reason: str | None
    occurred_at: datetime


class HeldPosition(DomainEvent):
    """A position kept under a location hold (privacy): the case named by ``reference`` needs it,
    whatever the car's privacy mode."""

    name: ClassVar[str] = "vehicle_link.held_position"
    vin: str
    purpose: str
    reference: str
    ts: datetime
    latitude: float
    longitude: float
    heading: float | None


class CommandResultReceived(DomainEvent):
    """The car answered a command. The remote-control feature moves its command with it inside the
    gateway's transaction, so the answer and the command's new state commit together."""

    name: ClassVar[str] = "vehicle_link.command_result_received"
    vin: str
    command_id: uuid.UUID
    status: str
    reason: str | None


class CommandResultsReceived(DomainEvent):
    """The answers of one gateway batch, in the order they arrived: published once per batch, so
    that the remote-control feature moves all their commands with a fixed number of statements
    (and tells their owners together) inside the gateway's transaction."""

    name: ClassVar[str] = "vehicle_link.command_results_received"
    results: tuple[CommandResultReceived, ...]
