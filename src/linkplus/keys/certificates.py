"""Key certificates and the car's challenge-response: what lets a car trust a phone with no
network at hand.

Each car has a **key authority**: an ECDSA P-256 key pair derived from the same master secret as
the command keys (``remote.signing.master_secret``), so nothing per car has to be stored::

    d(VIN) = int(HMAC-SHA512(master, "linkplus-key-authority|" + VIN)) mod (n - 1) + 1

(n is the order of P-256; 512 bits reduced modulo a 256-bit order leave no usable bias). The car
is provisioned at the factory with the authority's public key (``authority_public_text``).

A **key certificate** binds a phone's public key to one car, a role, a validity and limits::

    lpk1.<payload>.<signature>

``payload`` is the unpadded base64url of canonical JSON (keys sorted, no spaces, ASCII) with
``v`` (1), ``key_id``, ``vin``, ``role``, ``public_key`` (the phone's X9.62 uncompressed point,
base64url), ``not_before`` and ``not_after`` (unix seconds), ``days`` (ISO weekdays 1-7, or
null: every day), ``hours`` ([from, to] minutes after midnight, or null: all day; ``from > to``
runs over midnight), ``tz`` (the IANA zone the days and hours are read in), ``max_speed_kmh``
(or null) and ``parent`` (the key it was shared from, or null). ``signature`` is the authority's
ECDSA-SHA256 signature of ``"linkplus-key-certificate|v1|"`` followed by the payload's JSON, as
raw ``r || s`` (64 bytes, the form WebCrypto produces), unpadded base64url.

**Opening.** Over the short-range channel the car hands out a fresh 32-byte nonce; the phone
answers with its certificate and its ECDSA-SHA256 signature (raw ``r || s``) of
``"linkplus-key-challenge|v1|" + VIN + "|" + nonce`` (nonce in base64url). The car checks
(``check_presentation``), in this order: the certificate parses (``bad_certificate``), it
names this car (``wrong_car``), the car's authority signed it (``forged``), it is not revoked
(``revoked``), keys are not suspended (``suspended``), its validity holds by the car's own clock
(``not_yet_valid``, ``expired``), the day and hour are inside its limits (``outside_hours``) and
the answer is signed by the certificate's key (``bad_response``). Each nonce is good for one
answer within ``CHALLENGE_LIFETIME`` (the reader keeps them: ``unknown_challenge``,
``replayed``, ``challenge_expired``).

This module is pure: no I/O, no clock of its own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Container
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

PREFIX = "lpk1"
VERSION = 1
AUTHORITY_LABEL = b"linkplus-key-authority|"
CERTIFICATE_LABEL = b"linkplus-key-certificate|v1|"
CHALLENGE_LABEL = "linkplus-key-challenge|v1|"
CHALLENGE_LIFETIME = timedelta(seconds=30)
NONCE_BYTES = 32
CURVE = ec.SECP256R1()
ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
POINT_BYTES = 65
ROLES = ("owner", "full", "limited")
_B64 = re.compile(r"[A-Za-z0-9_-]+")
_MAX_CERTIFICATE = 2000


class Refusal(StrEnum):
    """Why a car does not open for a phone; ``ok`` when it does."""

    ok = "ok"
    bad_certificate = "bad_certificate"
    forged = "forged"
    wrong_car = "wrong_car"
    revoked = "revoked"
    suspended = "suspended"
    not_yet_valid = "not_yet_valid"
    expired = "expired"
    outside_hours = "outside_hours"
    unknown_challenge = "unknown_challenge"
    replayed = "replayed"
    challenge_expired = "challenge_expired"
    bad_response = "bad_response"


class BadPublicKey(ValueError):
    """Not an uncompressed P-256 point in unpadded base64url."""


@dataclass(frozen=True)
class Limits:
    """When a limited key opens the car, read in ``tz``; ``None`` means no limit."""

    days: tuple[int, ...] | None = None
    hours: tuple[int, int] | None = None
    tz: str = "UTC"
    max_speed_kmh: int | None = None

    def allows(self, at: datetime) -> bool:
        local = at.astimezone(_zone(self.tz))
        if self.days is not None and local.isoweekday() not in self.days:
            return False
        if self.hours is None:
            return True
        start, end = self.hours
        minute = local.hour * 60 + local.minute
        if start <= end:
            return start <= minute < end
        return minute >= start or minute < end  # over midnight

    def as_json(self) -> dict[str, Any]:
        return {
            "days": list(self.days) if self.days is not None else None,
            "hours": list(self.hours) if self.hours is not None else None,
            "tz": self.tz,
            "max_speed_kmh": self.max_speed_kmh,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Limits:
        days, hours = data.get("days"), data.get("hours")
        return cls(
            days=tuple(int(d) for d in days) if days is not None else None,
            hours=(int(hours[0]), int(hours[1])) if hours is not None else None,
            tz=str(data.get("tz", "UTC")),
            max_speed_kmh=data.get("max_speed_kmh"),
        )


@dataclass(frozen=True)
class Certificate:
    key_id: uuid.UUID
    vin: str
    role: str
    public_key: str
    not_before: int
    not_after: int
    limits: Limits
    parent: uuid.UUID | None = None

    def payload(self) -> dict[str, Any]:
        return {
            "v": VERSION,
            "key_id": str(self.key_id),
            "vin": self.vin,
            "role": self.role,
            "public_key": self.public_key,
            "not_before": self.not_before,
            "not_after": self.not_after,
            **self.limits.as_json(),
            "parent": str(self.parent) if self.parent is not None else None,
        }

    def valid_at(self, at: datetime) -> Refusal:
        moment = int(at.timestamp())
        if moment < self.not_before:
            return Refusal.not_yet_valid
        if moment >= self.not_after:
            return Refusal.expired
        return Refusal.ok


# --- the key authority ---------------------------------------------------------------------------


def authority_key(master: bytes, vin: str) -> ec.EllipticCurvePrivateKey:
    """The key authority of the car with this VIN (see the module's text)."""
    digest = hmac.new(master, AUTHORITY_LABEL + vin.encode(), hashlib.sha512).digest()
    scalar = int.from_bytes(digest, "big") % (ORDER - 1) + 1
    return ec.derive_private_key(scalar, CURVE)


def encode_public(key: ec.EllipticCurvePublicKey) -> str:
    return b64(key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))


def decode_public(text: str) -> ec.EllipticCurvePublicKey:
    """A phone's public key as it sends it; ``BadPublicKey`` unless it is a point on P-256."""
    if not isinstance(text, str) or not 80 <= len(text) <= 100 or not _B64.fullmatch(text):
        raise BadPublicKey("not base64url")
    try:
        raw = unb64(text)
    except (binascii.Error, ValueError) as exc:
        raise BadPublicKey("not base64url") from exc
    if len(raw) != POINT_BYTES or raw[0] != 4:
        raise BadPublicKey("not an uncompressed point")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(CURVE, raw)
    except ValueError as exc:
        raise BadPublicKey("not a point on P-256") from exc


# --- signatures as WebCrypto makes them (raw r || s) ---------------------------------------------


def sign_raw(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify_raw(key: ec.EllipticCurvePublicKey, signature: bytes, data: bytes) -> bool:
    if len(signature) != 64:
        return False
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (0 < r < ORDER and 0 < s < ORDER):
        return False
    try:
        key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


# --- certificates --------------------------------------------------------------------------------


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def issue(authority: ec.EllipticCurvePrivateKey, certificate: Certificate) -> str:
    body = canonical(certificate.payload())
    signature = sign_raw(authority, CERTIFICATE_LABEL + body)
    return f"{PREFIX}.{b64(body)}.{b64(signature)}"


def parse(text: str) -> tuple[Certificate, bytes, bytes] | None:
    """The certificate, its signed JSON and its signature; None when it is not one (this says
    nothing about who signed it)."""
    if not isinstance(text, str) or len(text) > _MAX_CERTIFICATE:
        return None
    parts = text.split(".")
    if len(parts) != 3 or parts[0] != PREFIX or not all(_B64.fullmatch(p) for p in parts[1:]):
        return None
    try:
        body, signature = unb64(parts[1]), unb64(parts[2])
        data = json.loads(body)
        if not isinstance(data, dict) or data.get("v") != VERSION:
            return None
        limits = Limits.from_json(data)
        _zone(limits.tz)
        parent = data.get("parent")
        certificate = Certificate(
            key_id=uuid.UUID(data["key_id"]),
            vin=str(data["vin"]),
            role=str(data["role"]),
            public_key=str(data["public_key"]),
            not_before=int(data["not_before"]),
            not_after=int(data["not_after"]),
            limits=limits,
            parent=uuid.UUID(parent) if parent is not None else None,
        )
    except (binascii.Error, ValueError, KeyError, TypeError, IndexError):
        return None
    if certificate.role not in ROLES:
        return None
    return certificate, body, signature


def verify_certificate(
    authority: ec.EllipticCurvePublicKey, text: str
) -> tuple[Refusal, Certificate | None]:
    parsed = parse(text)
    if parsed is None:
        return Refusal.bad_certificate, None
    certificate, body, signature = parsed
    if not verify_raw(authority, signature, CERTIFICATE_LABEL + body):
        return Refusal.forged, None
    return Refusal.ok, certificate


# --- challenge and response ----------------------------------------------------------------------


def challenge_text(vin: str, nonce: bytes) -> bytes:
    return f"{CHALLENGE_LABEL}{vin}|{b64(nonce)}".encode()


def answer(phone: ec.EllipticCurvePrivateKey, vin: str, nonce: bytes) -> str:
    """The phone's side: its signature of the car's challenge (what the web app's WebCrypto key
    does in ``static/keys.js``)."""
    return b64(sign_raw(phone, challenge_text(vin, nonce)))


def check_presentation(
    *,
    authority: ec.EllipticCurvePublicKey,
    vin: str,
    certificate: str,
    nonce: bytes,
    response: str,
    now: datetime,
    revoked: Container[str],
    suspended: bool,
) -> tuple[Refusal, Certificate | None]:
    """The car's check of a phone's answer to a fresh ``nonce`` (see the module's text for the
    order); ``now`` is the car's own clock."""
    parsed = parse(certificate)
    if parsed is None:
        return Refusal.bad_certificate, None
    claimed, body, signature = parsed
    if claimed.vin != vin:  # another car's key is signed by another authority: say so first
        return Refusal.wrong_car, None
    if not verify_raw(authority, signature, CERTIFICATE_LABEL + body):
        return Refusal.forged, None
    found = claimed
    if str(found.key_id) in revoked:
        return Refusal.revoked, found
    if suspended:
        return Refusal.suspended, found
    validity = found.valid_at(now)
    if validity is not Refusal.ok:
        return validity, found
    if not found.limits.allows(now):
        return Refusal.outside_hours, found
    try:
        phone = decode_public(found.public_key)
        signature = unb64(response) if _B64.fullmatch(response or "") else b""
    except (BadPublicKey, binascii.Error, ValueError):
        return Refusal.bad_response, found
    if not verify_raw(phone, signature, challenge_text(vin, nonce)):
        return Refusal.bad_response, found
    return Refusal.ok, found


# --- helpers ----------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unix(at: datetime) -> int:
    return int(at.timestamp())


def from_unix(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
