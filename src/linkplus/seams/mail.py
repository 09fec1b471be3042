"""Mail and push: how notifications leave the platform.

The SMTP transport and the Web Push channel in ``notifications`` implement these; the recording
fakes beside them (``notifications.channels``) serve tests through the same Protocols.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol


class MailTransport(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Hand one message to the mail system; raise on failure so the job retries."""
        ...


@dataclass(frozen=True)
class PushTarget:
    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True)
class PushOutcome:
    delivered: bool
    gone: bool = False  # the push service says this subscription no longer exists
    status: int | None = None


class PushChannel(Protocol):
    async def send(self, target: PushTarget, payload: dict[str, Any]) -> PushOutcome: ...
