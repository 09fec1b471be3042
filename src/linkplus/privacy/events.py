"""Events the privacy domain publishes; other domains react to them in jobs."""

from __future__ import annotations

import uuid
from typing import ClassVar

from linkplus.events import DomainEvent


class TermsOfUseWithdrawn(DomainEvent):
    """The account withdrew its acceptance of the Terms of Use: connected services must stop."""

    name: ClassVar[str] = "privacy.terms_of_use_withdrawn"
    account_id: uuid.UUID
