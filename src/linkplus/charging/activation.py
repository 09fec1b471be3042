"""The label on a charger: its identity and activation code, typed or read from its QR code.
Pure.

The QR code holds ``LPCHARGER:<identity>:<activation code>``; the code is compared without
dashes or spaces and in capitals, as people type what they read."""

from __future__ import annotations

import re

QR_PREFIX = "LPCHARGER:"
_IDENTITY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,47}")
_CODE = re.compile(r"[A-Z0-9]{8,32}")


def normalise_code(typed: str) -> str:
    return re.sub(r"[\s\-]", "", typed).upper()


def read_qr(text: str) -> tuple[str, str] | None:
    """(identity, activation code) from a QR code's text, or None when it is not one of ours."""
    text = text.strip()
    if not text.upper().startswith(QR_PREFIX):
        return None
    parts = text[len(QR_PREFIX) :].split(":")
    if len(parts) != 2:
        return None
    identity, code = parts[0], normalise_code(parts[1])
    if not _IDENTITY.fullmatch(identity) or not _CODE.fullmatch(code):
        return None
    return identity, code


def qr_text(identity: str, activation_code: str) -> str:
    return f"{QR_PREFIX}{identity}:{activation_code}"
