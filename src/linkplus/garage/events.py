"""What the garage tells other domains. Subscribers (subscriptions, digital keys, services) react
in jobs after the change commits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from linkplus.events import DomainEvent


class VehicleRemovedFromAccount(DomainEvent):
    """The car left the account's garage: revoke whatever the account had attached to it, and
    erase the account's personal data about the car (seed 000: removing a car deletes the
    owner's data). ``tenure`` is the account's time with the car up to the removal, as
    ``[start, end)`` pairs (``garage.tenure``): the stretches whose car records were its own."""

    name: ClassVar[str] = "garage.vehicle_removed_from_account"
    vin: str
    account_id: uuid.UUID
    was_primary: bool
    tenure: tuple[tuple[datetime, datetime], ...] = ()


class PrimaryAccountChanged(DomainEvent):
    """Another account became the car's primary: the previous one lost access at that moment."""

    name: ClassVar[str] = "garage.primary_account_changed"
    vin: str
    previous_account_id: uuid.UUID | None
    account_id: uuid.UUID
