"""Simulated time. Every vehicle timestamp comes from here, never from the wall clock.

``ScaledClock`` runs ``speed`` times faster than real time from a start instant (``--speed 60``:
an hour a minute). ``ManualClock`` stands still until it is moved, for tests: a unit waiting for
its next trip wakes as soon as the clock is moved past it, so nine idle days take no time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol


class SimClock(Protocol):
    def now(self) -> datetime: ...

    def platform_now(self) -> datetime:
        """The platform's time at this moment. A command's expiry is the platform's time, so a
        unit running faster than real time judges it by this, not by its own clock (which is
        ahead of the platform's after a few real seconds)."""
        ...

    async def sleep_until(self, moment: datetime) -> None: ...


class ScaledClock:
    def __init__(
        self,
        start: datetime,
        speed: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("the simulated clock needs a timezone-aware start")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start = start
        self.speed = speed
        self._monotonic = monotonic
        self._origin = monotonic()

    def now(self) -> datetime:
        elapsed = (self._monotonic() - self._origin) * self.speed
        return self.start + timedelta(seconds=elapsed)

    def platform_now(self) -> datetime:
        return self.start + timedelta(seconds=self._monotonic() - self._origin)

    async def sleep_until(self, moment: datetime) -> None:
        ahead = (moment - self.now()).total_seconds()
        if ahead > 0:
            await asyncio.sleep(ahead / self.speed)


class ManualClock:
    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the simulated clock needs a timezone-aware start")
        self._now = start
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        return self._now

    def platform_now(self) -> datetime:
        return self._now

    async def sleep_until(self, moment: datetime) -> None:
        if moment <= self._now:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (moment, next(self._order), future))
        await future

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self.set(self._now + (delta if delta is not None else timedelta(**kwargs)))
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = max(self._now, moment)
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)
