"""Everything random in the simulator is derived from the seed and a name, never drawn in order.

Deriving each stream from ``(seed, vin, purpose, index)`` keeps a car's trips independent of how
many other cars there are or in which order the event loop ran them, which is what makes a run
repeatable down to the message ids.
"""

from __future__ import annotations

import hashlib
import uuid

import numpy as np


def _digest(parts: tuple[object, ...], size: int) -> bytes:
    text = "\x1f".join(str(part) for part in parts)
    return hashlib.blake2b(text.encode(), digest_size=size).digest()


def derived_seed(*parts: object) -> int:
    return int.from_bytes(_digest(parts, 8), "big")


def derived_rng(*parts: object) -> np.random.Generator:
    return np.random.default_rng(derived_seed(*parts))


def derived_uuid(*parts: object) -> uuid.UUID:
    """A version-4-shaped UUID that is the same every time for the same parts."""
    return uuid.UUID(bytes=_digest(parts, 16), version=4)
