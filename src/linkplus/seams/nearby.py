"""The short-range channel between a phone and a car (BLE or NFC on a real car).

In the demo and the tests the car is a simulated unit running in this process: its digital-key
reader (``sim.keys.KeyReader``) puts itself here when it is fitted, and the web app's "use key"
(the phone in the browser, next to the simulated car) reaches it through :func:`challenge` and
:func:`present`. A real deployment has no car here, and the page says so. Nothing but the
challenge and the answer crosses: the car judges the answer itself.

The reader is called on the event loop its car runs on (the web server may serve from another
thread, as in the browser tests), so the car's outbox is only touched from its own loop.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

T = TypeVar("T")


class CarReader(Protocol):
    vin: str

    def challenge(self) -> bytes:
        """A fresh nonce for the phone to sign."""
        ...

    def present(self, certificate: str, nonce: bytes, response: str) -> str:
        """The phone's certificate and signed answer; ``"ok"`` when the car opened, otherwise
        the car's reason."""
        ...


@dataclass
class _Placed:
    reader: weakref.ref[CarReader]
    loop: asyncio.AbstractEventLoop | None


_placed: dict[str, _Placed] = {}


def place(reader: CarReader) -> None:
    """A car's reader is within reach (the latest one fitted to that VIN wins), on the running
    event loop if there is one."""
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    _placed[reader.vin] = _Placed(weakref.ref(reader), loop)


def within_reach(vin: str) -> bool:
    found = _placed.get(vin)
    return found is not None and found.reader() is not None


async def _on_car_loop(vin: str, call: Callable[[CarReader], T]) -> T | None:
    found = _placed.get(vin)
    reader = found.reader() if found is not None else None
    if found is None or reader is None:
        return None
    here = asyncio.get_running_loop()
    if found.loop is None or found.loop is here or found.loop.is_closed():
        return call(reader)

    async def run() -> T:
        return call(reader)

    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(run(), found.loop))


async def challenge(vin: str) -> bytes | None:
    """The car's fresh nonce; None when no car with this VIN is within reach."""
    return await _on_car_loop(vin, lambda reader: reader.challenge())


async def present(vin: str, certificate: str, nonce: bytes, response: str) -> str | None:
    """What the car answered (``"ok"`` when it opened); None when it is not within reach."""
    return await _on_car_loop(vin, lambda reader: str(reader.present(certificate, nonce, response)))
