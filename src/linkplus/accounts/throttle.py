"""When a failed sign-in, or another registration from the same client, makes the next attempt
wait. Pure: state and time in, state out.

The numbers for signing in:

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

The numbers for registering (``check_registration``, ``record_registration``):

* At most 10 registrations from one client in any rolling hour, counted in the same two
  one-hour windows as the sign-in cap (``HourlyCount``). A household or an office behind one
  address registers a few accounts at most; a script that sends "register" for other people's
  addresses to fill their mailboxes is stopped after 10.
* Every registration counts, for a new address and for one that already has an account alike,
  and the refusal comes before the address is looked at, so the throttle answers the same for
  both and tells nothing about which addresses are registered.
* The client is its IP address as the app sees it; an IPv6 client is its /64 network, because a
  single subscriber usually gets a whole /64 and could otherwise change address at will.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

FREE_FAILURES = 5
FIRST_DELAY = timedelta(seconds=1)
MAX_DELAY = timedelta(minutes=15)
WINDOW = timedelta(hours=1)
MAX_FAILURES_PER_HOUR = 100
MAX_REGISTRATIONS_PER_HOUR = 10


@dataclass(frozen=True)
class HourlyCount:
    """Events in the current one-hour window and in the window before it (the rolling-hour cap).

    Any hour-long interval overlaps at most two adjacent windows, so keeping the sum of both under
    the cap keeps every rolling hour under it.
    """

    window_started_at: datetime
    in_window: int = 0
    previous_window: int = 0

    def rolled(self, now: datetime) -> HourlyCount:
        """The count moved forward to the window that contains ``now``."""
        if now < self.window_started_at + WINDOW:
            return self
        if now < self.window_started_at + 2 * WINDOW:
            return HourlyCount(self.window_started_at + WINDOW, 0, self.in_window)
        return HourlyCount(now)

    def cap_lifts_at(self, cap: int) -> datetime | None:
        """None while one more event keeps every rolling hour within ``cap``; else from when on."""
        if self.previous_window + self.in_window < cap:
            return None
        if self.in_window < cap:
            return self.window_started_at + WINDOW
        return self.window_started_at + 2 * WINDOW

    def counted(self, now: datetime) -> HourlyCount:
        current = self.rolled(now)
        return replace(current, in_window=current.in_window + 1)


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


def _hourly(state: ThrottleState) -> HourlyCount:
    return HourlyCount(
        state.window_started_at, state.failures_in_window, state.previous_window_failures
    )


def _rolled(state: ThrottleState, now: datetime) -> ThrottleState:
    """Move the hourly windows forward to the one that contains ``now``."""
    hourly = _hourly(state).rolled(now)
    return replace(
        state,
        window_started_at=hourly.window_started_at,
        failures_in_window=hourly.in_window,
        previous_window_failures=hourly.previous_window,
    )


def _cap_lifts_at(state: ThrottleState) -> datetime | None:
    return _hourly(state).cap_lifts_at(MAX_FAILURES_PER_HOUR)


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


# --- registrations per client ---------------------------------------------------------------------


def check_registration(count: HourlyCount | None, now: datetime) -> Decision:
    """May this client register now? When not, from when on."""
    if count is None:
        return Decision(allowed=True)
    lifts_at = count.rolled(now).cap_lifts_at(MAX_REGISTRATIONS_PER_HOUR)
    if lifts_at is None or lifts_at <= now:
        return Decision(allowed=True)
    return Decision(allowed=False, retry_at=lifts_at)


def record_registration(count: HourlyCount | None, now: datetime) -> HourlyCount:
    """The count after a registration that ``check_registration`` allowed."""
    return (count or HourlyCount(now)).counted(now)


def client_key(host: str | None) -> str:
    """What a registration throttle is keyed by: the IP address, an IPv6 client by its /64."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host.strip().lower()[:100]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
