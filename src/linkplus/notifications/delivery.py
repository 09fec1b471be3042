"""The adapters queued e-mail and push messages leave the platform through: SMTP when configured,
Web Push when a VAPID key is; the delivery tasks that use them are in ``tasks.py``."""

from __future__ import annotations

from linkplus.config import Settings
from linkplus.notifications.mail import SmtpTransport
from linkplus.notifications.push import WebPushChannel
from linkplus.seams.mail import MailTransport, PushChannel


def build_mail_transport(settings: Settings) -> MailTransport | None:
    """SMTP when configured; None keeps every e-mail in the outbox (the dev mailbox shows it)."""
    if not settings.smtp_url:
        return None
    return SmtpTransport.from_url(settings.smtp_url)


def build_push_channel(settings: Settings) -> PushChannel | None:
    """Web Push when a VAPID key is configured; without one, notifications stay in the inbox."""
    if not settings.vapid_private_key:
        return None
    return WebPushChannel(private_key=settings.vapid_private_key, subject=settings.vapid_subject)
