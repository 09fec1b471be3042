"""Tasks (named, typed job handlers) and schedules, and the one registry the worker reads.

A task is declared in its domain's ``tasks.py``: a handler that takes a ``JobContext`` and a
typed payload (a Pydantic model, ``extra="forbid"``). A payload that a service queues is a
``JobPayload`` and names its task (``task = "domain.verb"``), so queueing it needs no string and
cannot send a payload to the wrong handler; a task run for a domain event takes the event itself.
The payload is checked when the job is queued (the model is built) and when it runs (the stored
JSON is validated again; a payload that no longer fits is a dead job, not a retry).

Nothing registers itself on import. ``register`` takes the explicit lists that
``linkplus.bootstrap`` gathers from every domain's ``tasks.py``; the worker runs what is there.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
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


class JobPayload(BaseModel):
    """What a queued job carries: ids and small values, never whole objects.

    Subclasses name their task (``task``) and may raise ``max_attempts`` (default 8)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    task: ClassVar[str]
    max_attempts: ClassVar[int] = 8


class ScheduledRun(BaseModel):
    """The payload of a job queued by a schedule: the due time it stands for. A scheduled task
    is declared with its own name (``@task("domain.verb")``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    scheduled_for: datetime


P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True)
class Task(Generic[P]):
    name: str
    payload: type[P]
    handler: Callable[[JobContext, P], Awaitable[None]]
    max_attempts: int


def _check_name(name: str) -> None:
    if not NAME.match(name):
        raise ValueError(f"job names are 'domain.verb', got {name!r}")


def _payload_type(handler: Callable[..., Awaitable[None]]) -> type[BaseModel]:
    hints = typing.get_type_hints(handler)
    hints.pop("return", None)
    kinds = [hint for name, hint in hints.items() if name != "ctx"]
    if len(kinds) != 1 or not (isinstance(kinds[0], type) and issubclass(kinds[0], BaseModel)):
        raise TypeError(f"{handler.__qualname__} must take (ctx: JobContext, payload: <a model>)")
    return kinds[0]


def task(
    name: str | None = None, *, max_attempts: int | None = None
) -> Callable[[Callable[[JobContext, P], Awaitable[None]]], Task[P]]:
    """Declare a task; its payload type is the handler's second parameter. For a ``JobPayload``
    the name and attempts come from the payload; for any other model (a domain event) give
    ``name`` (and ``max_attempts``, default 8)."""

    def declare(handler: Callable[[JobContext, P], Awaitable[None]]) -> Task[P]:
        payload = typing.cast(type[P], _payload_type(handler))
        if issubclass(payload, JobPayload):
            if name is not None and name != payload.task:
                raise ValueError(f"{payload.__name__} names task {payload.task!r}, not {name!r}")
            declared, attempts = payload.task, max_attempts or payload.max_attempts
        else:
            if name is None:
                raise ValueError(f"{handler.__qualname__}: name the task of a {payload.__name__}")
            declared, attempts = name, max_attempts or 8
        _check_name(declared)
        return Task(declared, payload, handler, attempts)

    return declare


@dataclass(frozen=True)
class Schedule:
    """Run ``task`` every interval or daily at ``HH:MM`` UTC, through the job table."""

    name: str
    task: Task[ScheduledRun]
    every: timedelta | None = None
    daily_at: str | None = None

    def __post_init__(self) -> None:
        if (self.every is None) == (self.daily_at is None):
            raise ValueError("give exactly one of every= or daily_at=")
        if self.daily_at is not None and not re.fullmatch(
            r"([01]\d|2[0-3]):[0-5]\d", self.daily_at
        ):
            raise ValueError(f"daily_at must be HH:MM, got {self.daily_at!r}")


HANDLERS: dict[str, Task[Any]] = {}
SCHEDULES: dict[str, Schedule] = {}


def register(tasks: Iterable[Task[Any]], schedules: Iterable[Schedule] = ()) -> None:
    """Make ``tasks`` and ``schedules`` known to ``enqueue`` and the worker. Registering the same
    task again is harmless; another task under a name already taken is a bug."""
    for spec in tasks:
        known = HANDLERS.get(spec.name)
        if known is not None and known != spec:
            raise ValueError(f"job {spec.name!r} is registered twice")
        HANDLERS[spec.name] = spec
    for plan in schedules:
        register([plan.task])
        SCHEDULES[plan.name] = plan


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
