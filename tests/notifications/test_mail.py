"""The SMTP URL and the MIME message: pure functions, no server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from linkplus.config import Settings
from linkplus.notifications.delivery import build_mail_transport
from linkplus.notifications.mail import (
    OutgoingMail,
    SmtpConfig,
    SmtpTransport,
    build_message,
    parse_smtp_url,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", SmtpConfig("mail.example.com", 25)),
        ("smtp://127.0.0.1:2525", SmtpConfig("127.0.0.1", 2525)),  # parsed, never bound
        (
            "smtp://relay.example.com?starttls=1",
            SmtpConfig("relay.example.com", 587, start_tls=True),
        ),
        (
            "smtp://u:p@relay.example.com:2587?starttls=true&timeout=5",
            SmtpConfig("relay.example.com", 2587, "u", "p", start_tls=True, timeout=5.0),
        ),
        ("smtps://relay.example.com", SmtpConfig("relay.example.com", 465, use_tls=True)),
        (
            "smtps://apikey:s%40cr%2Ft%3A1@smtp.example.com:2465",
            SmtpConfig("smtp.example.com", 2465, "apikey", "s@cr/t:1", use_tls=True),
        ),
        (
            "smtp://no-reply%40example.com:pw@smtp.example.com/",
            SmtpConfig("smtp.example.com", 25, "no-reply@example.com", "pw"),
        ),
        ("smtp://user:@smtp.example.com", SmtpConfig("smtp.example.com", 25, "user", "")),
        ("SMTP://smtp.example.com?starttls=0", SmtpConfig("smtp.example.com", 25)),
    ],
)
def test_smtp_urls(url: str, expected: SmtpConfig) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("http://mail.example.com", "must start with smtp:// or smtps://"),
        ("smtp://", "no host name"),
        ("smtp://mail.example.com:abc", "port that is not a number"),
        ("smtp://mail.example.com/inbox", "takes no path"),
        ("smtp://mail.example.com?tls=1", "unknown option 'tls'"),
        ("smtp://mail.example.com?starttls=maybe", "must be 1 or 0"),
        ("smtp://mail.example.com?timeout=soon", "number of seconds"),
        ("smtp://mail.example.com?timeout=0", "more than 0 seconds"),
        ("smtps://mail.example.com?starttls=1", "already encrypted"),
    ],
)
def test_wrong_smtp_urls_say_what_is_wrong(url: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_smtp_url(url)


def test_transport_only_when_configured() -> None:
    assert build_mail_transport(Settings(smtp_url=None)) is None
    transport = build_mail_transport(Settings(smtp_url="smtps://relay.example.com"))
    assert isinstance(transport, SmtpTransport)
    assert transport.config == SmtpConfig("relay.example.com", 465, use_tls=True)


def test_message_identity_is_stable_across_retries() -> None:
    mail = OutgoingMail(message_key="abc123", to="a@example.com", subject="Hello", text="Hi")
    first = build_message(
        mail, sender="Fleet <fleet@cars.example>", sent_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    )
    again = build_message(
        mail, sender="Fleet <fleet@cars.example>", sent_at=datetime(2026, 1, 3, 3, 4, tzinfo=UTC)
    )
    assert first["Message-ID"] == again["Message-ID"] == "<abc123@cars.example>"
    assert first["Date"] == "Fri, 02 Jan 2026 03:04:00 +0000"
    assert first.get_content_type() == "text/plain"
    assert first.get_content().strip() == "Hi"


def test_non_ascii_subject_and_body_are_encoded() -> None:
    mail = OutgoingMail(
        message_key="k",
        to="Jürgen Weber <juergen@example.com>",
        subject="Tür offen – Fahrertür",
        text="Die Fahrertür ist offen.",
        html="<p>Die Fahrertür ist offen.</p>",
    )
    message = build_message(
        mail, sender="linkplus <no-reply@linkplus.local>", sent_at=datetime(2026, 1, 2, tzinfo=UTC)
    )
    headers = message.as_bytes().split(b"\n\n", 1)[0]
    assert headers.isascii()  # non-ASCII header text is RFC 2047 encoded
    assert str(message["Subject"]) == "Tür offen – Fahrertür"
    assert message["To"].addresses[0].display_name == "Jürgen Weber"
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert "Fahrertür" in str(html.get_content())
