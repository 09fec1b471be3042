"""Fakes for the mail and push seams (``seams.mail``), for tests that only need to see what would
have been sent. The real adapters are ``notifications.mail`` (SMTP) and ``notifications.push``."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from linkplus.seams.mail import PushOutcome, PushTarget


@dataclass
class RecordingMailTransport:
    """A fake mail system for tests that only need to see what would have been sent."""

    sent: list[EmailMessage] = field(default_factory=list)

    async def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


@dataclass
class RecordingPushChannel:
    """A fake push service: records every send and answers like the real adapter.

    Endpoints in ``gone`` answer as a push service does for a dropped subscription; endpoints in
    ``failing`` raise, as the real adapter does when the push service is unreachable.
    """

    sent: list[tuple[PushTarget, dict[str, Any]]] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    failing: set[str] = field(default_factory=set)

    async def send(self, target: PushTarget, payload: dict[str, Any]) -> PushOutcome:
        if target.endpoint in self.failing:
            raise ConnectionError(f"push service for {target.endpoint} is unreachable")
        if target.endpoint in self.gone:
            return PushOutcome(delivered=False, gone=True, status=410)
        self.sent.append((target, payload))
        return PushOutcome(delivered=True, status=201)

    def payloads_to(self, endpoint: str) -> list[dict[str, Any]]:
        return [payload for target, payload in self.sent if target.endpoint == endpoint]
