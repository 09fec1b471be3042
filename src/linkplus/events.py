"""Typed domain events.

A domain reacts to another's event in one of two ways:

* ``subscribe``: a job per subscriber is queued in the publisher's transaction, so the reaction
  runs after the change commits, retried and surviving a restart. The default.
* ``react_in_transaction``: the reaction runs inside the publisher's transaction, before it
  commits; it succeeds or fails with the change itself. Only for reactions that must not wait
  for the worker (a car's answer to a remote command moves the command in the same transaction
  that stores the answer) and that are cheap and cannot fail for reasons outside the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.jobs.queue import enqueue

if TYPE_CHECKING:
    from linkplus.runtime import Runtime


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: ClassVar[str]


InTransaction = Callable[[AsyncSession, "Runtime", Any], Awaitable[None]]
"""A reaction run inside the publisher's transaction: ``(session, runtime, event)``."""

_SUBSCRIBERS: dict[str, list[str]] = defaultdict(list)
_IN_TRANSACTION: dict[str, list[InTransaction]] = defaultdict(list)


def subscribe(event_type: type[DomainEvent], job_name: str) -> None:
    """Run job ``job_name`` with the event's fields as payload whenever the event is published."""
    if job_name not in _SUBSCRIBERS[event_type.name]:
        _SUBSCRIBERS[event_type.name].append(job_name)


def react_in_transaction(event_type: type[DomainEvent], reaction: InTransaction) -> None:
    """Call ``reaction`` inside the publisher's transaction whenever the event is published."""
    if reaction not in _IN_TRANSACTION[event_type.name]:
        _IN_TRANSACTION[event_type.name].append(reaction)


async def publish(
    session: AsyncSession, event: DomainEvent, *, now: datetime, runtime: Runtime | None = None
) -> None:
    """Queue the event's jobs and run its in-transaction reactions (which need ``runtime``)."""
    reactions = _IN_TRANSACTION.get(event.name, [])
    if reactions:
        if runtime is None:
            raise TypeError(f"{event.name} has in-transaction reactions: publish it with runtime")
        for reaction in reactions:
            await reaction(session, runtime, event)
    subscribers = _SUBSCRIBERS.get(event.name, [])
    if subscribers:
        payload = event.model_dump(mode="json")
        for job_name in subscribers:
            await enqueue(session, job_name, payload, now=now)
