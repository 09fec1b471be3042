"""Which channels a category uses: defaults, what an owner may change, and what they may not."""

from __future__ import annotations

from dataclasses import dataclass

from linkplus.models.notifications import Category
from linkplus.notifications.errors import CategoryRequired


@dataclass(frozen=True)
class Channels:
    email: bool
    push: bool


DEFAULTS: dict[Category, Channels] = {
    Category.account: Channels(email=True, push=True),
    Category.vehicle_alerts: Channels(email=True, push=True),
    Category.billing: Channels(email=True, push=True),
    # Nobody gets marketing until they ask for it.
    Category.marketing: Channels(email=False, push=False),
}

# Security and account messages (new sign-in, password changed) always reach the owner.
REQUIRED = frozenset({Category.account})


def effective(category: Category, stored: Channels | None) -> Channels:
    """The setting in force: the owner's choice, or the default when they never chose."""
    if category in REQUIRED or stored is None:
        return DEFAULTS[category]
    return stored


def changed(
    category: Category, current: Channels, *, email: bool | None, push: bool | None
) -> Channels:
    """``current`` with the requested switches applied; a channel given as None stays as it is."""
    if category in REQUIRED and (email is False or push is False):
        raise CategoryRequired(
            "Account and security messages are always sent so that you learn about sign-ins "
            "and changes to your account. Leave 'account' out of the request.",
            category=category.value,
        )
    return Channels(
        email=current.email if email is None else email,
        push=current.push if push is None else push,
    )
