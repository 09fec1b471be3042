"""The "prepare to sell" checklist (seeds 000, 002, 003). Pure.

Removing the car from the account comes last: after that the car, and this checklist with it, are
no longer in the account, so the checklist always shows that step as pending and says why.
Deleting the profile in the car's multimedia system and telling the buyer happen outside the
platform; the owner ticks them. Keeping the account is advice and always counts as done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from linkplus.models.services import SellChecklistStep


class SellStep(StrEnum):
    cancel_subscriptions = "cancel_subscriptions"
    delete_head_unit_profile = "delete_head_unit_profile"
    keep_account = "keep_account"
    tell_buyer = "tell_buyer"
    remove_vehicle = "remove_vehicle"


@dataclass(frozen=True)
class StepStatus:
    step: SellStep
    title: str
    done: bool
    done_at: datetime | None
    detail: str
    owner_ticks: bool  # the owner confirms it (we cannot see it happen)


def checklist(
    *, vin: str, active_packages: list[str], ticks: Mapping[SellChecklistStep, datetime]
) -> list[StepStatus]:
    profile_at = ticks.get(SellChecklistStep.head_unit_profile_deleted)
    buyer_at = ticks.get(SellChecklistStep.buyer_informed)
    services = ", ".join(sorted(active_packages))
    return [
        StepStatus(
            SellStep.cancel_subscriptions,
            "Cancel connected services",
            not active_packages,
            None,
            "No connected services are active for this car on your account."
            if not active_packages
            else f"Still active: {services}. Stop them in the Connected Services Centre "
            f"(POST /api/v1/vehicles/{vin}/services/deactivate).",
            False,
        ),
        StepStatus(
            SellStep.delete_head_unit_profile,
            "Delete your profile from the multimedia system",
            profile_at is not None,
            profile_at,
            "In the car: Setup > General > Delete personal data, then confirm. This clears "
            "contacts, call history, favourites and settings. Tick this step when it is done.",
            True,
        ),
        StepStatus(
            SellStep.keep_account,
            "Keep your account",
            True,
            None,
            "Do not delete your account: you can add your next car to it.",
            False,
        ),
        StepStatus(
            SellStep.tell_buyer,
            "Tell the buyer about connected services",
            buyer_at is not None,
            buyer_at,
            "Let the buyer know the car has connected services and that they activate them with "
            "their own account; what is left of the complimentary period passes to them. Tick "
            "this step when you have told them.",
            True,
        ),
        StepStatus(
            SellStep.remove_vehicle,
            "Remove the car from your account",
            False,
            None,
            "Do this last. Removing the car stops its connected services for your account, "
            "cannot be undone, and takes this checklist with it "
            f"(DELETE /api/v1/garage/vehicles/{vin}).",
            False,
        ),
    ]


def ready_to_remove(steps: list[StepStatus]) -> bool:
    """Everything but the removal itself is done."""
    return all(s.done for s in steps if s.step is not SellStep.remove_vehicle)
