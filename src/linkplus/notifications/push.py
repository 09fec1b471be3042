"""Web Push (RFC 8030, payload encryption RFC 8291, VAPID RFC 8292) through pywebpush.

The VAPID private key may be given as the raw 32-byte key in base64url (what most Web Push tools
print), as base64 DER, or as PEM.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from linkplus.seams.mail import PushOutcome, PushTarget

# The push service answers 404 or 410 when the browser dropped the subscription: stop using it.
GONE_STATUSES = frozenset({404, 410})


def load_vapid(private_key: str) -> Any:
    """A py_vapid signer from the configured key; ``ValueError`` when it cannot be read."""
    text = private_key.strip()
    try:
        if text.startswith("-----BEGIN"):
            return Vapid.from_pem(text.encode("ascii"))
        return Vapid.from_string(private_key=text)
    except Exception as exc:
        raise ValueError(
            "LINKPLUS_VAPID_PRIVATE_KEY cannot be read; give the P-256 private key as base64url "
            "(32 bytes), base64 DER or PEM"
        ) from exc


def vapid_public_key(private_key: str) -> str:
    """The browser's ``applicationServerKey``: the uncompressed public point in base64url."""
    signer = load_vapid(private_key)
    point: bytes = signer.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode("ascii")


class WebPushChannel:
    """Sends encrypted, VAPID-signed messages to browsers' push services.

    pywebpush blocks (it uses requests), so each send runs in a worker thread. The VAPID token's
    expiry is set by pywebpush from the real time: the push service checks it against its own
    clock, not ours.
    """

    def __init__(
        self,
        *,
        private_key: str,
        subject: str,
        ttl_seconds: int = 24 * 3600,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._signer = load_vapid(private_key)
        self.subject = subject
        self.ttl_seconds = ttl_seconds
        self.timeout_seconds = timeout_seconds

    async def send(self, target: PushTarget, payload: dict[str, Any]) -> PushOutcome:
        return await asyncio.to_thread(self._send_blocking, target, payload)

    def _send_blocking(self, target: PushTarget, payload: dict[str, Any]) -> PushOutcome:
        try:
            response = webpush(
                subscription_info={
                    "endpoint": target.endpoint,
                    "keys": {"p256dh": target.p256dh, "auth": target.auth},
                },
                data=json.dumps(payload, separators=(",", ":")),
                vapid_private_key=self._signer,
                # pywebpush fills in "aud" and "exp" and keeps them in this dict: a new one each
                # time, so one endpoint's audience never leaks into the next send.
                vapid_claims={"sub": self.subject},
                ttl=self.ttl_seconds,
                timeout=self.timeout_seconds,
            )
        except WebPushException as exc:
            status = exc.status_code
            if status in GONE_STATUSES:
                return PushOutcome(delivered=False, gone=True, status=status)
            raise
        return PushOutcome(delivered=True, status=int(response.status_code))
