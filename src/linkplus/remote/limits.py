"""Sliding-window rate limits for remote commands.

A car takes at most ``per_vehicle`` commands and an account sends at most ``per_account`` in any
``window`` (defaults 10 and 30 per 60 s; ``LINKPLUS_COMMAND_RATE_*``). The window slides: the
answer to "when may I try again" is the moment the oldest command in the window leaves it, so a
client that honours ``Retry-After`` is never refused twice in a row by the same limit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Limit:
    scope: str  # "vehicle" or "account"
    count: int
    window: timedelta


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    scope: str | None = None
    retry_after: int = 0  # whole seconds, at least 1 when refused


def window_start(limit: Limit, now: datetime) -> datetime:
    return now - limit.window


def judge(limit: Limit, recent: Sequence[datetime], *, now: datetime) -> Verdict:
    """``recent``: when the scope's earlier commands were accepted (any order, any age)."""
    start = window_start(limit, now)
    inside = sorted(at for at in recent if start < at <= now)
    if len(inside) < limit.count:
        return Verdict(allowed=True)
    # The command that must leave the window before one more fits.
    leaving = inside[len(inside) - limit.count]
    wait = (leaving + limit.window - now).total_seconds()
    return Verdict(allowed=False, scope=limit.scope, retry_after=max(1, math.ceil(wait)))


def judge_all(checks: Sequence[tuple[Limit, Sequence[datetime]]], *, now: datetime) -> Verdict:
    """The strictest refusal over several limits (the longest wait), else allowed."""
    refusals = [
        v for v in (judge(limit, recent, now=now) for limit, recent in checks) if not v.allowed
    ]
    if not refusals:
        return Verdict(allowed=True)
    return max(refusals, key=lambda v: v.retry_after)
