"""E-mail addresses as the platform stores and compares them.

An address is the sign-in name and the only channel for security mail, so it is strict:

* Only surrounding spaces are forgiven (copy and paste). Any other whitespace or control
  character anywhere, including a trailing ``\\r\\n``, is refused rather than trimmed: such
  characters smuggle headers into mail and make two addresses look alike.
* The local part must be ASCII. Unicode local parts need SMTPUTF8 end to end, which many relays
  lack, and they invite look-alikes ("pаul" with a Cyrillic "а").
* Internationalized domains are kept in their ASCII (punycode) form, so a look-alike domain is
  visible as ``xn--...`` wherever the address is shown.
* The domain is lower-cased for display; the whole address is case-folded for the uniqueness key,
  so ``Alex@Example.com`` and ``alex@example.com`` are one account.
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 254  # RFC 5321 path limit minus the angle brackets


class InvalidEmail(ValueError):
    """The address cannot be used; the message says why, in words for the user."""


def _has_hidden_characters(value: str) -> bool:
    return any(char.isspace() or unicodedata.category(char).startswith("C") for char in value)


def normalize_email(raw: str) -> tuple[str, str]:
    """The address to show and send to, and the key to compare and store it unique by."""
    candidate = raw.strip(" ")
    if not candidate:
        raise InvalidEmail("Enter your e-mail address.")
    if _has_hidden_characters(candidate):
        raise InvalidEmail(
            "The e-mail address contains spaces, line breaks or invisible characters; "
            "type it again."
        )
    if len(candidate) > MAX_LENGTH:
        raise InvalidEmail(f"An e-mail address has at most {MAX_LENGTH} characters.")
    try:
        checked = validate_email(candidate, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(f"This is not a valid e-mail address: {exc}") from exc
    ascii_domain = (checked.ascii_domain or checked.domain).lower()
    display = f"{checked.local_part}@{ascii_domain}"
    if _has_hidden_characters(display) or not display.isascii():
        raise InvalidEmail("This is not a valid e-mail address.")
    return display, display.casefold()


def email_key(raw: str) -> str:
    """Only the comparison key (raises ``InvalidEmail`` like ``normalize_email``)."""
    return normalize_email(raw)[1]
