"""Placeholder: replaced by the notifications implementation."""

from linkplus.config import Settings
from linkplus.notifications.channels import MailTransport, PushChannel


def build_mail_transport(settings: Settings) -> MailTransport | None:
    return None


def build_push_channel(settings: Settings) -> PushChannel | None:
    return None
