"""Simulated time. Every vehicle timestamp comes from here, never from the wall clock.

``ScaledClock`` runs ``speed`` times faster than real time from a start instant (``--speed 60``:
an hour a minute), but never ahead of the platform's own time: a car cannot report a moment that
has not come yet. Started in the past, it replays the time since then fast and, once it has
caught up with the platform, goes on at real time. ``ManualClock`` stands still until it is
moved, for tests: a unit waiting for its next trip wakes as soon as the clock is moved past it,
so nine idle days take no time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

# How far back a fleet started now begins, when it runs faster than real time: it replays this
# last stretch fast, then, caught up with the platform, drives on at real time.
REPLAY = timedelta(hours=1)


def replay_start(platform_now: datetime, speed: float) -> datetime:
    """Where a fleet starting at ``platform_now`` begins its simulated time: :data:`REPLAY`
    earlier when it runs faster than real time (so the speed shows), else now."""
    return platform_now - REPLAY if speed > 1 else platform_now


class SimClock(Protocol):
    def now(self) -> datetime: ...

    def platform_now(self) -> datetime:
        """The platform's time at this moment. A command's expiry is the platform's time, so a
        unit running faster than real time judges it by this, not by its own clock (which is
        ahead of the platform's after a few real seconds)."""
        ...

    async def sleep_until(self, moment: datetime) -> None: ...


class ScaledClock:
    """Simulated time from ``start``, ``speed`` times real time, capped at the platform's time.

    ``platform_start`` is the platform's time at this moment (``start`` unless the simulation
    starts in the past). The simulated time is the earlier of the fast time and the platform's,
    so a car's report is never stamped later than the platform's clock when it is sent.
    """

    def __init__(
        self,
        start: datetime,
        speed: float,
        *,
        platform_start: datetime | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("the simulated clock needs a timezone-aware start")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start = start
        self.speed = speed
        self.platform_start = platform_start if platform_start is not None else start
        if self.platform_start.tzinfo is None:
            raise ValueError("the platform's time must be timezone-aware")
        self._monotonic = monotonic
        self._origin = monotonic()

    def _elapsed(self) -> float:
        return self._monotonic() - self._origin

    def now(self) -> datetime:
        elapsed = self._elapsed()
        fast = self.start + timedelta(seconds=elapsed * self.speed)
        return min(fast, self.platform_start + timedelta(seconds=elapsed))

    def platform_now(self) -> datetime:
        return self.platform_start + timedelta(seconds=self._elapsed())

    def _real_seconds_until(self, moment: datetime) -> float:
        """Real seconds from the origin until the simulated time reaches ``moment``: the fast
        time must have reached it, and so must the platform's."""
        fast = (moment - self.start).total_seconds() / self.speed
        platform = (moment - self.platform_start).total_seconds()
        return max(fast, platform)

    async def sleep_until(self, moment: datetime) -> None:
        wait = self._real_seconds_until(moment) - self._elapsed()
        if wait > 0 and moment > self.now():
            await asyncio.sleep(wait)


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
