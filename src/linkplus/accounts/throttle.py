"""When a failed sign-in makes the next attempt wait. Pure: state and time in, state out.

The numbers:

* The first 5 consecutive failures cost nothing: people mistype.
* From the 6th consecutive failure on, each failure blocks the account for 1 s, then 2 s, 4 s,
  8 s ... doubling up to 15 minutes. While blocked, every attempt is refused without checking the
  password, even a correct one, so guessing gains nothing from parallel requests.
* A success resets the consecutive count (not the hourly count).
* Hard cap: at most 100 failures in any rolling hour. Time is cut into consecutive one-hour
  windows; a failure is accepted only while this window's and the previous window's failures
  together stay under 100. Any hour-long interval overlaps at most two adjacent windows, so no
  rolling hour can hold more than 100 failures. After two hours without a failure the count
  starts again from nothing.

The state is kept per e-mail key (for unknown addresses too), so an attacker learns nothing from
how the throttle behaves, and spreading attempts over many IP addresses does not help.
Resetting the password clears the state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

FREE_FAILURES = 5
FIRST_DELAY = timedelta(seconds=1)
MAX_DELAY = timedelta(minutes=15)
WINDOW = timedelta(hours=1)
MAX_FAILURES_PER_HOUR = 100


@dataclass(frozen=True)
class ThrottleState:
    window_started_at: datetime
    consecutive_failures: int = 0
    failures_in_window: int = 0
    previous_window_failures: int = 0
    blocked_until: datetime | None = None

    @classmethod
    def fresh(cls, now: datetime) -> ThrottleState:
        return cls(window_started_at=now)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_at: datetime | None = None

    def retry_after_seconds(self, now: datetime) -> int:
        """Whole seconds to wait (at least 1), for the ``Retry-After`` header."""
        if self.retry_at is None:
            return 0
        return max(1, math.ceil((self.retry_at - now).total_seconds()))


def backoff_delay(consecutive_failures: int) -> timedelta:
    """The block that follows the ``consecutive_failures``-th failure in a row."""
    if consecutive_failures <= FREE_FAILURES:
        return timedelta(0)
    exponent = consecutive_failures - FREE_FAILURES - 1
    if exponent >= 20:  # 2**20 s is far beyond the cap; avoid huge numbers
        return MAX_DELAY
    delay: timedelta = FIRST_DELAY * (2**exponent)
    return min(delay, MAX_DELAY)


def _rolled(state: ThrottleState, now: datetime) -> ThrottleState:
    """Move the hourly windows forward to the one that contains ``now``."""
    if now < state.window_started_at + WINDOW:
        return state
    if now < state.window_started_at + 2 * WINDOW:
        return replace(
            state,
            window_started_at=state.window_started_at + WINDOW,
            previous_window_failures=state.failures_in_window,
            failures_in_window=0,
        )
    return replace(state, window_started_at=now, previous_window_failures=0, failures_in_window=0)


def _cap_lifts_at(state: ThrottleState) -> datetime | None:
    if state.previous_window_failures + state.failures_in_window < MAX_FAILURES_PER_HOUR:
        return None
    if state.failures_in_window < MAX_FAILURES_PER_HOUR:
        return state.window_started_at + WINDOW
    return state.window_started_at + 2 * WINDOW


def check(state: ThrottleState | None, now: datetime) -> Decision:
    """May a sign-in be attempted now? When not, from when on."""
    if state is None:
        return Decision(allowed=True)
    current = _rolled(state, now)
    waits = [
        moment
        for moment in (current.blocked_until, _cap_lifts_at(current))
        if moment is not None and moment > now
    ]
    if not waits:
        return Decision(allowed=True)
    return Decision(allowed=False, retry_at=max(waits))


def record_failure(state: ThrottleState | None, now: datetime) -> ThrottleState:
    """The state after a wrong password (or unknown address) that ``check`` had allowed."""
    current = _rolled(state or ThrottleState.fresh(now), now)
    consecutive = current.consecutive_failures + 1
    delay = backoff_delay(consecutive)
    return replace(
        current,
        consecutive_failures=consecutive,
        failures_in_window=current.failures_in_window + 1,
        blocked_until=now + delay if delay else None,
    )


def record_success(state: ThrottleState, now: datetime) -> ThrottleState:
    """A correct password ends the run of failures; the hourly count stays."""
    return replace(_rolled(state, now), consecutive_failures=0, blocked_until=None)
