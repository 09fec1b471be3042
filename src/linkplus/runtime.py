"""What a request or a job needs from the outside world, built once per process."""

from __future__ import annotations

from dataclasses import dataclass, field

from linkplus.config import Settings
from linkplus.db import Database
from linkplus.kit.clock import Clock
from linkplus.seams.commands import CommandPublisher
from linkplus.seams.mail import MailTransport, PushChannel
from linkplus.seams.payments import PaymentProvider


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock
    mail: MailTransport | None = None
    push: PushChannel | None = None
    # Sends commands to cars; set where a broker is reachable (serve, demo, worker). Without it
    # command jobs wait (RetryLater) until a process that has one picks them up.
    vehicle_link: CommandPublisher | None = None
    payments: PaymentProvider | None = None  # default: HTTP to settings.payment_provider_url
    worker_name: str = field(default="worker")
