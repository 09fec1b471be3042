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


class EmergencyReported(DomainEvent):
    """SOS button or collision, for the safety feature. ``type`` is the protocol event type."""

    name: ClassVar[str] = "vehicle_link.emergency_reported"
    vin: str
    msg_id: uuid.UUID
    type: str
    occurred_at: datetime


class CommandResultReceived(DomainEvent):
    """The car answered a command. The remote-control feature moves its command with it inside the
    gateway's transaction, so the answer and the command's new state commit together."""

    name: ClassVar[str] = "vehicle_link.command_result_received"
    vin: str
    command_id: uuid.UUID
    status: str
    reason: str | None
