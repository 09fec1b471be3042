"""What the garage tells other domains. Subscribers (subscriptions, digital keys, services) react
in jobs after the change commits."""

from __future__ import annotations

import uuid
from typing import ClassVar

from linkplus.events import DomainEvent


class VehicleRemovedFromAccount(DomainEvent):
    """The car left the account's garage: revoke whatever the account had attached to it."""

    name: ClassVar[str] = "garage.vehicle_removed_from_account"
    vin: str
    account_id: uuid.UUID
    was_primary: bool


class PrimaryAccountChanged(DomainEvent):
    """Another account became the car's primary: the previous one lost access at that moment."""

    name: ClassVar[str] = "garage.primary_account_changed"
    vin: str
    previous_account_id: uuid.UUID | None
    account_id: uuid.UUID
