"""Head-unit pairing codes: the QR code a car's screen shows to prove someone sits in the car.

``LPQR1.<VIN>.<expires unix seconds>.<nonce>.<signature>``: the head unit signs the first four
fields with its Ed25519 private key, which never leaves the car; the registry keeps the matching
public key. A valid signature therefore means the code came from that car's screen, the expiry
keeps a photographed code from being useful for long, and the nonce lets the platform accept each
code once. Pure: the caller supplies "now" and keeps track of spent nonces.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

PREFIX = "LPQR1"
DEFAULT_TTL = timedelta(minutes=10)
# A code that claims to live longer than this was not made by a well-behaved head unit.
MAX_TTL = timedelta(hours=1)
_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_EXPIRES = re.compile(r"^[0-9]{1,10}$")
_PUBLIC_KEY_BYTES = 32
_SIGNATURE_BYTES = 64


class MalformedPairingCode(ValueError):
    """The text is not a pairing code at all."""


class MalformedPublicKey(ValueError):
    """The text is not a base64url-encoded raw Ed25519 public key."""


@dataclass(frozen=True)
class PairingCode:
    vin: str
    expires_at: datetime
    nonce: str
    signed_text: str  # the first four fields, exactly as signed
    signature: bytes


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise binascii.Error("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key_text(public_key: Ed25519PublicKey) -> str:
    """The form the registry stores: base64url of the raw 32 bytes, without padding."""
    return _b64url(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def load_public_key(text: str) -> Ed25519PublicKey:
    try:
        raw = _unb64url(text.strip().rstrip("="))
    except (binascii.Error, ValueError) as exc:
        raise MalformedPublicKey("the head-unit key is not base64url text") from exc
    if len(raw) != _PUBLIC_KEY_BYTES:
        raise MalformedPublicKey(
            f"the head-unit key must be 32 bytes (43 base64url characters); it is {len(raw)}"
        )
    return Ed25519PublicKey.from_public_bytes(raw)


def make_pairing_code(
    private_key: Ed25519PrivateKey,
    vin: str,
    *,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
) -> str:
    """What a head unit shows: used by the tests, the simulator and the demo head unit."""
    expires = int((now + ttl).timestamp())
    signed = f"{PREFIX}.{vin}.{expires}.{secrets.token_urlsafe(12)}"
    return f"{signed}.{_b64url(private_key.sign(signed.encode('ascii')))}"


def parse_pairing_code(code: str) -> PairingCode:
    """Split a scanned code into its fields; raise MalformedPairingCode if it is not one.

    The VIN field is returned as written; the caller validates it as a VIN.
    """
    parts = code.strip().split(".")
    if not code.isascii() or len(parts) != 5 or parts[0] != PREFIX:
        raise MalformedPairingCode("not a linkplus pairing code")
    _, vin, expires, nonce, signature_text = parts
    if not _EXPIRES.fullmatch(expires) or not _NONCE.fullmatch(nonce):
        raise MalformedPairingCode("the pairing code's fields are damaged")
    try:
        signature = _unb64url(signature_text)
    except (binascii.Error, ValueError) as exc:
        raise MalformedPairingCode("the pairing code's signature is damaged") from exc
    if len(signature) != _SIGNATURE_BYTES:
        raise MalformedPairingCode("the pairing code's signature is damaged")
    return PairingCode(
        vin=vin,
        expires_at=datetime.fromtimestamp(int(expires), tz=UTC),
        nonce=nonce,
        signed_text=".".join(parts[:4]),
        signature=signature,
    )


def signed_by(code: PairingCode, public_key: Ed25519PublicKey) -> bool:
    """Whether the head unit holding the private half of ``public_key`` signed ``code``."""
    try:
        public_key.verify(code.signature, code.signed_text.encode("ascii"))
    except InvalidSignature:
        return False
    return True


def is_expired(code: PairingCode, *, now: datetime) -> bool:
    return now >= code.expires_at


def lives_too_long(code: PairingCode, *, now: datetime) -> bool:
    return code.expires_at - now > MAX_TTL
