"""The demo's Web Push key: generated on the first run and kept in the data dir, so push works in
``linkplus demo`` without set-up and browsers that subscribed stay subscribed across runs (a
subscription is bound to the key it was made with).

A key given in ``LINKPLUS_VAPID_PRIVATE_KEY`` wins; ``serve`` never generates one (an operator
chooses whether the platform sends push).
"""

from __future__ import annotations

import base64
import contextlib
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from linkplus.config import Settings
from linkplus.notifications.push import vapid_public_key

KEY_FILE = "vapid.key"


def new_vapid_key() -> str:
    """A new P-256 private key as base64url of its 32 bytes (what Web Push tools print)."""
    private = ec.generate_private_key(ec.SECP256R1())
    raw = private.private_numbers().private_value.to_bytes(32, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def kept_vapid_key(data_dir: Path) -> str:
    """The key in ``data_dir``, made (mode 0600) when there is none. Two demos starting at once
    on one data dir agree: the file is created exclusively, and the loser reads the winner's."""
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="ascii") as out:
                out.write(new_vapid_key() + "\n")
    key = path.read_text(encoding="ascii").strip()
    try:
        vapid_public_key(key)
    except ValueError:
        raise ValueError(
            f"{path} does not hold a Web Push key. Delete it and start the demo again "
            "(browsers subscribed with the old key must turn push on again)."
        ) from None
    return key


def with_demo_push_key(settings: Settings) -> Settings:
    """``settings`` with a Web Push key: the configured one, else the data dir's."""
    if settings.vapid_private_key:
        return settings
    return settings.model_copy(update={"vapid_private_key": kept_vapid_key(settings.data_dir)})
