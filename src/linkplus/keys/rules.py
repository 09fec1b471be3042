"""The digital key's numbers (docs/keys.md)."""

from __future__ import annotations

from datetime import timedelta

SERVICE = "digital_key"
"""The connected service that must be active for the primary account's owner key."""

MAX_KEYS_PER_CAR = 8
"""Active keys on one car, the owner's included (open invitations count too: each becomes one)."""

OWNER_KEY_VALIDITY = timedelta(days=365)
"""An owner key is good for a year; the owner asks for a new one (the old one is revoked)."""

MAX_SHARED_VALIDITY = timedelta(days=365)
"""A shared key lasts at most a year from its start."""

INVITE_LIFETIME = timedelta(days=7)
SHARE_CODE_TRIES = 5
"""Wrong share codes before the invitation is locked (the inviter makes a new one)."""
SHARE_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
SHARE_CODE_LENGTH = 8

REVOCATION_LIFETIME = timedelta(days=14)
"""How long a ``key_revoke`` command stays good: as long as the car's broker session keeps it
(a car away longer gets it sent again when it answers ``expired``, or at the next revocation)."""
RESEND_AFTER = timedelta(days=13)
"""An unconfirmed revocation is sent again (a new command id) before its command expires."""

MIN_SPEED_KMH = 30
MAX_SPEED_KMH = 250

KEY_REVOKE = "key_revoke"
"""The wire name of the signed command that withdraws keys from a car."""
