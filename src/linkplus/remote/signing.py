"""Command signatures: what lets a car trust a command that reached it over the broker.

The broker authenticates connections, not messages; a car must not obey a command because it
arrived on its topic. Each car holds its own HMAC-SHA256 key, provisioned at the factory (and
printed by ``linkplus vehicles provision``), derived from one master secret::

    key(VIN) = HMAC-SHA256(master, "linkplus-command-key|" + VIN)

The master is ``LINKPLUS_COMMAND_KEY`` when set, otherwise HMAC-SHA256 of the platform's secret
key with a fixed label, so a self-hosted install works without extra set-up and a fleet operator
can keep the command master apart from the web secret.

The signature binds the VIN, the command id, its type, its parameters (canonical JSON), its
expiry (unix seconds) and a per-car counter, never used twice. It travels in the command's
``signature`` field as ``v1.<VIN>.<counter>.<mac>`` (mac: unpadded base64url), so the car can
say *why* it refuses: another car's command (``wrong_vin``), a forged or altered one
(``bad_signature``), one past its expiry (``expired``), a counter it has accepted before
(``replayed``) or one too far below the highest it accepted (``counter_not_increasing``).

The car keeps a replay window (``ReplayWindow``), as IPsec's anti-replay check does (RFC 4303,
3.4.3): the highest counter accepted and which of the ``REPLAY_WINDOW`` counters below it were
accepted. Each counter is accepted at most once, and a command may overtake another by up to
``REPLAY_WINDOW`` counters. The platform reserves a command's counter when it stores the command
(in the same commit), so no two commands ever share a counter, even across a crash between the
publish and the commit that marks the command sent; commands left to the send job go out after
later ones, which the window allows. This module is pure: no I/O, no clock of its own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from linkplus.config import Settings
from linkplus.protocol.vehicle import Command

SCHEME = "v1"
KEY_LABEL = "linkplus-command-key|"
MASTER_LABEL = b"linkplus-command-master"
MAX_COUNTER = 2**63 - 1
REPLAY_WINDOW = 64
"""How far below the highest accepted counter a command may still be accepted (once)."""
_SIGNATURE_RE = re.compile(r"v1\.([A-HJ-NPR-Z0-9]{17})\.(0|[1-9][0-9]{0,18})\.([A-Za-z0-9_-]{43})")


class VerifyOutcome(StrEnum):
    """Why a car accepts or refuses a command; the values are the ``reason`` the car reports."""

    ok = "ok"
    bad_signature = "bad_signature"
    wrong_vin = "wrong_vin"
    expired = "expired"
    replayed = "replayed"
    counter_not_increasing = "counter_not_increasing"


@dataclass(frozen=True)
class SignatureParts:
    vin: str
    counter: int
    mac: bytes


def master_secret(settings: Settings) -> bytes:
    if settings.command_key:
        return settings.command_key.encode()
    return hmac.new(settings.resolved_secret_key.encode(), MASTER_LABEL, hashlib.sha256).digest()


def derive_key(master: bytes, vin: str) -> bytes:
    """The 32-byte key of one car; a leaked car key reveals nothing about another car's."""
    return hmac.new(master, (KEY_LABEL + vin).encode(), hashlib.sha256).digest()


def command_key(settings: Settings, vin: str) -> bytes:
    """The key the car with this VIN is provisioned with."""
    return derive_key(master_secret(settings), vin)


def command_key_text(settings: Settings, vin: str) -> str:
    """The key as printed for provisioning (unpadded base64url); see ``key_from_text``."""
    return _b64(command_key(settings, vin))


def key_from_text(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical_params(params: Mapping[str, Any]) -> str:
    """One text for equal parameters however they were built: sorted keys, no spaces."""
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def expiry_unix(expires_at: datetime) -> int:
    return int(expires_at.timestamp())


def signing_text(
    *,
    vin: str,
    command_id: uuid.UUID,
    type: str,
    params: Mapping[str, Any],
    expires_at: int,
    counter: int,
) -> bytes:
    """Newline-separated fields: none of them can contain a newline, so none can bleed into
    another (the parameters are JSON with ``ensure_ascii``, where a newline is escaped)."""
    fields = [SCHEME, vin, str(command_id), type, canonical_params(params), str(expires_at)]
    fields.append(str(counter))
    return "\n".join(fields).encode()


def sign(
    key: bytes,
    *,
    vin: str,
    command_id: uuid.UUID,
    type: str,
    params: Mapping[str, Any],
    expires_at: datetime,
    counter: int,
) -> str:
    """The ``signature`` field's value for a command with these fields."""
    if not 0 <= counter <= MAX_COUNTER:
        raise ValueError("counter out of range")
    text = signing_text(
        vin=vin,
        command_id=command_id,
        type=type,
        params=params,
        expires_at=expiry_unix(expires_at),
        counter=counter,
    )
    mac = hmac.new(key, text, hashlib.sha256).digest()
    return f"{SCHEME}.{vin}.{counter}.{_b64(mac)}"


def sign_command(key: bytes, command: Command, *, vin: str, counter: int) -> Command:
    """A copy of ``command`` carrying its signature."""
    signature = sign(
        key,
        vin=vin,
        command_id=command.msg_id,
        type=command.type,
        params=command.params,
        expires_at=command.expires_at,
        counter=counter,
    )
    return command.model_copy(update={"signature": signature})


def parse_signature(signature: str | None) -> SignatureParts | None:
    if signature is None:
        return None
    match = _SIGNATURE_RE.fullmatch(signature)
    if match is None:
        return None
    counter = int(match.group(2))
    if counter > MAX_COUNTER:
        return None
    try:
        mac = key_from_text(match.group(3))
    except (binascii.Error, ValueError):
        return None
    return SignatureParts(vin=match.group(1), counter=counter, mac=mac)


def counter_of(command: Command) -> int | None:
    """The counter a command claims (unauthenticated until ``verify`` says ``ok``)."""
    parts = parse_signature(command.signature)
    return None if parts is None else parts.counter


@dataclass(frozen=True)
class ReplayWindow:
    """The counters a car has accepted: the highest (None: none yet) and, in ``recent``, bit
    ``i`` set when ``highest - i`` was accepted (bit 0 is the highest itself). Counters at or
    below ``highest - REPLAY_WINDOW`` count as used."""

    highest: int | None = None
    recent: int = 0

    @classmethod
    def up_to(cls, last: int | None) -> ReplayWindow:
        """A car that has used every counter up to ``last`` (None: none)."""
        if last is None:
            return cls()
        return cls(highest=last, recent=(1 << REPLAY_WINDOW) - 1)

    def verdict(self, counter: int) -> VerifyOutcome:
        if self.highest is None or counter > self.highest:
            return VerifyOutcome.ok
        behind = self.highest - counter
        if behind >= REPLAY_WINDOW:
            return VerifyOutcome.counter_not_increasing
        if self.recent >> behind & 1:
            return VerifyOutcome.replayed
        return VerifyOutcome.ok

    def accept(self, counter: int) -> ReplayWindow:
        """The window after accepting ``counter`` (``verdict`` said ``ok``)."""
        mask = (1 << REPLAY_WINDOW) - 1
        if self.highest is None:
            return ReplayWindow(highest=counter, recent=1)
        if counter > self.highest:
            shift = counter - self.highest
            recent = (self.recent << shift | 1) & mask if shift < REPLAY_WINDOW else 1
            return ReplayWindow(highest=counter, recent=recent)
        behind = self.highest - counter
        return ReplayWindow(highest=self.highest, recent=self.recent | 1 << behind)


def verify(
    key: bytes, command: Command, vin: str, *, now: datetime, window: ReplayWindow
) -> VerifyOutcome:
    """The car's check, in an order that never tells a forger more than ``bad_signature``:
    format, addressee, MAC, then expiry and counter (which only an authentic command reaches).
    ``window`` holds the counters the car has accepted. On ``ok`` the car must keep
    ``window.accept(counter_of(command))``."""
    parts = parse_signature(command.signature)
    if parts is None:
        return VerifyOutcome.bad_signature
    if parts.vin != vin:
        return VerifyOutcome.wrong_vin
    text = signing_text(
        vin=vin,
        command_id=command.msg_id,
        type=command.type,
        params=command.params,
        expires_at=expiry_unix(command.expires_at),
        counter=parts.counter,
    )
    expected = hmac.new(key, text, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, parts.mac):
        return VerifyOutcome.bad_signature
    if now >= command.expires_at:
        return VerifyOutcome.expired
    return window.verdict(parts.counter)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
