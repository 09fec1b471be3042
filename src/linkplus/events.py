"""Typed domain events. Publishing one queues a job per subscriber in the same transaction, so
reactions happen only after the change commits and survive a restart."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.jobs.queue import enqueue


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: ClassVar[str]


_SUBSCRIBERS: dict[str, list[str]] = defaultdict(list)


def subscribe(event_type: type[DomainEvent], job_name: str) -> None:
    """Run job ``job_name`` with the event's fields as payload whenever the event is published."""
    if job_name not in _SUBSCRIBERS[event_type.name]:
        _SUBSCRIBERS[event_type.name].append(job_name)


async def publish(session: AsyncSession, event: DomainEvent, *, now: datetime) -> None:
    payload = event.model_dump(mode="json")
    for job_name in _SUBSCRIBERS.get(event.name, []):
        await enqueue(session, job_name, payload, now=now)
