"""E-mail: the MIME message built from an outbox row, and the SMTP adapter (aiosmtplib).

The SMTP relay is configured with one URL so that an operator sets a single variable:
``smtp://[user:pass@]host[:port][?starttls=1][&timeout=30]`` (plain, or STARTTLS on request) or
``smtps://[user:pass@]host[:port]`` (TLS from the first byte). User and password are
percent-decoded, so ``p%40ss`` is the password ``p@ss``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import parse_qsl, unquote, urlsplit

import aiosmtplib

_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
_STARTTLS_PORT = 587
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class SmtpConfig:
    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False  # implicit TLS (smtps)
    start_tls: bool = False
    timeout: float = 30.0


def parse_smtp_url(url: str) -> SmtpConfig:
    """Read an ``smtp://`` or ``smtps://`` URL; raise ``ValueError`` naming what is wrong.

    A wrong URL fails when the process starts, not at the first e-mail hours later.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"LINKPLUS_SMTP_URL must start with smtp:// or smtps://, got {scheme!r}")
    if not parts.hostname:
        raise ValueError("LINKPLUS_SMTP_URL has no host name")
    if parts.path not in ("", "/"):
        raise ValueError("LINKPLUS_SMTP_URL takes no path; options go in the query string")
    try:
        explicit_port = parts.port
    except ValueError as exc:
        raise ValueError("LINKPLUS_SMTP_URL has a port that is not a number") from exc
    start_tls = False
    timeout = 30.0
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "starttls":
            start_tls = _flag(key, value)
        elif key == "timeout":
            try:
                timeout = float(value)
            except ValueError as exc:
                raise ValueError("LINKPLUS_SMTP_URL timeout must be a number of seconds") from exc
            if timeout <= 0:
                raise ValueError("LINKPLUS_SMTP_URL timeout must be more than 0 seconds")
        else:
            raise ValueError(f"LINKPLUS_SMTP_URL has an unknown option {key!r}")
    use_tls = scheme == "smtps"
    if use_tls and start_tls:
        raise ValueError("smtps:// is already encrypted; remove starttls=1 or use smtp://")
    default_port = _STARTTLS_PORT if start_tls else _DEFAULT_PORTS[scheme]
    return SmtpConfig(
        hostname=parts.hostname,
        port=explicit_port or default_port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        use_tls=use_tls,
        start_tls=start_tls,
        timeout=timeout,
    )


def _flag(key: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"LINKPLUS_SMTP_URL option {key} must be 1 or 0, got {value!r}")


class SmtpTransport:
    """Hands each message to an SMTP relay over a fresh connection.

    One connection per message keeps the adapter stateless: the job worker may run it from any
    task, and a relay that dropped an idle connection cannot break the next delivery.
    """

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    @classmethod
    def from_url(cls, url: str) -> SmtpTransport:
        return cls(parse_smtp_url(url))

    async def send(self, message: EmailMessage) -> None:
        config = self.config
        await aiosmtplib.send(
            message,
            hostname=config.hostname,
            port=config.port,
            username=config.username,
            password=config.password,
            use_tls=config.use_tls,
            start_tls=config.start_tls,
            timeout=config.timeout,
        )


@dataclass(frozen=True)
class Attachment:
    """A file sent with an e-mail, such as an invoice's PDF."""

    filename: str
    mime_type: str  # "application/pdf"
    content: bytes

    def __post_init__(self) -> None:
        if not self.filename or any(c in self.filename for c in '\r\n"/\\'):
            raise ValueError(f"not a plain file name: {self.filename!r}")
        main, _, sub = self.mime_type.partition("/")
        if not main or not sub or any(c.isspace() for c in self.mime_type):
            raise ValueError(f"not a MIME type: {self.mime_type!r}")


@dataclass(frozen=True)
class OutgoingMail:
    """What the message is built from: an outbox row's content and identity."""

    message_key: str  # stable across retries, so a receiver can drop a duplicate
    to: str
    subject: str
    text: str
    html: str | None = None
    attachments: Sequence[Attachment] = ()


def build_message(mail: OutgoingMail, *, sender: str, sent_at: datetime) -> EmailMessage:
    """The MIME message: plain text, with an HTML alternative when there is one, and the
    attachments after them (the message becomes multipart/mixed)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = f"<{mail.message_key}@{_sender_domain(sender)}>"
    message.set_content(mail.text)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")
    for attachment in mail.attachments:
        main, _, sub = attachment.mime_type.partition("/")
        message.add_attachment(
            attachment.content, maintype=main, subtype=sub, filename=attachment.filename
        )
    return message


def _sender_domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    domain = address.rpartition("@")[2] if "@" in address else ""
    return domain or "linkplus.local"
