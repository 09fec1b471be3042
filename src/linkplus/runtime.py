"""What a request or a job needs from the outside world, built once per process."""

from __future__ import annotations

from dataclasses import dataclass, field

from linkplus.config import Settings
from linkplus.db import Database
from linkplus.kit.clock import Clock
from linkplus.notifications.channels import MailTransport, PushChannel


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock
    mail: MailTransport | None = None
    push: PushChannel | None = None
    worker_name: str = field(default="worker")
