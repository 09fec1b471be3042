"""Domain events: jobs for subscribers, and reactions inside the publisher's transaction."""

from __future__ import annotations

from typing import ClassVar

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.audit import service as audit
from linkplus.events import DomainEvent, Reaction, Subscription, publish, register
from linkplus.jobs import JobContext, task
from linkplus.jobs.worker import Worker
from linkplus.models.jobs import Job
from linkplus.runtime import Runtime

SEEN: list[tuple[str, str]] = []


class Pinged(DomainEvent):
    name: ClassVar[str] = "testevents.pinged"
    what: str


class Inline(DomainEvent):
    name: ClassVar[str] = "testevents.inline"
    what: str


@task("testevents.on_ping")
async def _on_ping(ctx: JobContext, event: Pinged) -> None:
    SEEN.append(("job", event.what))


async def _inline(session: AsyncSession, runtime: Runtime, event: Inline) -> None:
    SEEN.append(("inline", event.what))
    # Writes in the publisher's transaction: they commit or roll back with it.
    await audit.record(
        session,
        now=runtime.clock.now(),
        actor_type="system",
        actor_id="test",
        action="testevents.inline",
        subject_type="test",
        subject_id=event.what,
        details={},
    )


register([Subscription(Pinged, _on_ping)], [Reaction(Inline, _inline)])


@pytest.fixture(autouse=True)
def _reset() -> None:
    SEEN.clear()


async def test_a_subscriber_job_runs_only_after_the_publishers_commit(
    runtime: Runtime, worker: Worker
) -> None:
    async with runtime.db.transaction() as session:
        await publish(session, Pinged(what="a"), now=runtime.clock.now())
        assert SEEN == []
    await worker.run_due()
    assert SEEN == [("job", "a")]


async def test_an_in_transaction_reaction_runs_at_once_and_commits_with_the_publisher(
    runtime: Runtime,
) -> None:
    async with runtime.db.transaction() as session:
        await publish(session, Inline(what="kept"), now=runtime.clock.now(), runtime=runtime)
        assert SEEN == [("inline", "kept")]
        queued = (await session.scalars(select(Job))).all()
        assert queued == []  # no job in between
    with pytest.raises(RuntimeError):
        async with runtime.db.transaction() as session:
            await publish(session, Inline(what="lost"), now=runtime.clock.now(), runtime=runtime)
            raise RuntimeError("the publisher fails after publishing")
    async with runtime.db.transaction() as session:
        kept = await audit.entries_for(session, subject_type="test", subject_id="kept")
        lost = await audit.entries_for(session, subject_type="test", subject_id="lost")
    assert [entry.action for entry in kept] == ["testevents.inline"]
    assert lost == []


async def test_publishing_an_event_with_in_transaction_reactions_needs_the_runtime(
    runtime: Runtime,
) -> None:
    async with runtime.db.transaction() as session:
        with pytest.raises(TypeError, match="runtime"):
            await publish(session, Inline(what="x"), now=runtime.clock.now())
    assert SEEN == []
