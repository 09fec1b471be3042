"""Job handlers and schedules, registered by name (``domain.verb``) at import time."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.runtime import Runtime

NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


@dataclass
class JobContext:
    session: AsyncSession
    runtime: Runtime
    job_id: int
    attempt: int

    @property
    def now(self) -> datetime:
        return self.runtime.clock.now()


class RetryLater(Exception):
    """Raised by a handler that cannot finish yet (e.g. an outside service is down)."""

    def __init__(self, reason: str, *, delay: timedelta | None = None) -> None:
        super().__init__(reason)
        self.delay = delay


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    handler: Handler
    max_attempts: int


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    job_name: str
    every: timedelta | None
    daily_at: str | None


HANDLERS: dict[str, JobSpec] = {}
SCHEDULES: dict[str, ScheduleSpec] = {}


def job(name: str, *, max_attempts: int = 8) -> Callable[[Handler], Handler]:
    """Register an idempotent handler. It receives ids in its payload, never whole objects."""
    if not NAME.match(name):
        raise ValueError(f"job names are 'domain.verb', got {name!r}")

    def register(handler: Handler) -> Handler:
        if name in HANDLERS and HANDLERS[name].handler is not handler:
            raise ValueError(f"job {name!r} is registered twice")
        HANDLERS[name] = JobSpec(name, handler, max_attempts)
        return handler

    return register


def schedule(
    name: str, job_name: str, *, every: timedelta | None = None, daily_at: str | None = None
) -> None:
    """Run ``job_name`` every interval or daily at ``HH:MM`` UTC, through the job table."""
    if (every is None) == (daily_at is None):
        raise ValueError("give exactly one of every= or daily_at=")
    if daily_at is not None and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", daily_at):
        raise ValueError(f"daily_at must be HH:MM, got {daily_at!r}")
    SCHEDULES[name] = ScheduleSpec(name, job_name, every, daily_at)


def next_occurrence(spec_every: int | None, daily_at: str | None, after: datetime) -> datetime:
    """The first run time strictly after ``after``."""
    if spec_every is not None:
        return after + timedelta(seconds=spec_every)
    assert daily_at is not None
    hour, minute = (int(part) for part in daily_at.split(":"))
    candidate = after.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate <= after:
        candidate += timedelta(days=1)
    return candidate


def backoff(attempt: int) -> timedelta:
    """10 s, 20 s, 40 s ... capped at one hour."""
    return timedelta(seconds=min(10 * 2 ** max(attempt - 1, 0), 3600))
