"""What the protocols refuse: a message a peer sent that is not a valid protocol message."""

from __future__ import annotations

from enum import StrEnum


class MalformedKind(StrEnum):
    """Why a message was refused, coarse enough to be a metrics label."""

    topic = "topic"  # not a protocol topic, or not one the sender may use
    too_large = "too_large"
    json = "json"  # not UTF-8 JSON at all
    schema = "schema"  # JSON, but not a valid message (missing, unknown or mistyped fields)
    signal = "signal"  # unknown VSS path or a value of the wrong type or range


class MalformedMessage(Exception):
    """A message the protocol refuses. ``reason`` is for logs; ``kind`` for counting."""

    def __init__(self, reason: str, *, kind: MalformedKind = MalformedKind.schema) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
