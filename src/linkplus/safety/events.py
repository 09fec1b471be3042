"""What the safety services tell other parts of the platform (the owner's notifications)."""

from __future__ import annotations

import uuid
from typing import ClassVar

from linkplus.events import DomainEvent


class CaseOpened(DomainEvent):
    """A car's emergency reached the platform (SOS or collision), or a theft was reported."""

    name: ClassVar[str] = "safety.case_opened"
    case_id: uuid.UUID


class TrackingChanged(DomainEvent):
    """Stolen-vehicle tracking of a case started, paused, resumed or ended."""

    name: ClassVar[str] = "safety.tracking_changed"
    case_id: uuid.UUID
    tracking: str
