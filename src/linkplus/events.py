"""Typed domain events.

A domain reacts to another's event in one of two ways:

* ``Subscription``: a job per subscriber is queued in the publisher's transaction, so the reaction
  runs after the change commits, retried and surviving a restart. The default.
* ``Reaction``: the reaction runs inside the publisher's transaction, before it
  commits; it succeeds or fails with the change itself. Only for reactions that must not wait
  for the worker (a car's answer to a remote command moves the command in the same transaction
  that stores the answer) and that are cheap and cannot fail for reasons outside the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.jobs.queue import enqueue_task
from linkplus.jobs.registry import Task
from linkplus.jobs.registry import register as register_tasks

if TYPE_CHECKING:
    from linkplus.runtime import Runtime


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: ClassVar[str]


InTransaction = Callable[[AsyncSession, "Runtime", Any], Awaitable[None]]
"""A reaction run inside the publisher's transaction: ``(session, runtime, event)``."""


@dataclass(frozen=True)
class Subscription:
    """Run ``task`` with the event as its payload whenever ``event`` is published."""

    event: type[DomainEvent]
    task: Task[Any]


@dataclass(frozen=True)
class Reaction:
    """Call ``reaction`` inside the publisher's transaction whenever ``event`` is published."""

    event: type[DomainEvent]
    reaction: InTransaction


_SUBSCRIBERS: dict[str, list[Task[Any]]] = defaultdict(list)
_IN_TRANSACTION: dict[str, list[InTransaction]] = defaultdict(list)


def register(
    subscriptions: Iterable[Subscription] = (), reactions: Iterable[Reaction] = ()
) -> None:
    """Wire the domains' reactions to events (the lists ``linkplus.bootstrap`` gathers from every
    domain's ``tasks.py``). Registering the same one again is harmless."""
    for subscription in subscriptions:
        if not issubclass(subscription.event, subscription.task.payload):
            raise TypeError(f"{subscription.task.name} does not take {subscription.event.__name__}")
        register_tasks([subscription.task])
        known = _SUBSCRIBERS[subscription.event.name]
        if subscription.task not in known:
            known.append(subscription.task)
    for reaction in reactions:
        known_reactions = _IN_TRANSACTION[reaction.event.name]
        if reaction.reaction not in known_reactions:
            known_reactions.append(reaction.reaction)


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
    for subscriber in _SUBSCRIBERS.get(event.name, []):
        await enqueue_task(session, subscriber, event, now=now)
