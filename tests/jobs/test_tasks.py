"""Every domain's tasks are listed once for the worker, and each payload is checked when a job
is queued and again when it runs."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from sqlalchemy import select

import linkplus
from linkplus import bootstrap
from linkplus.jobs import JobPayload, ScheduledRun, enqueue_task
from linkplus.jobs.registry import HANDLERS
from linkplus.jobs.worker import Worker
from linkplus.models.jobs import Job, JobState
from linkplus.notifications.schemas import DeliverEmailJob
from linkplus.notifications.tasks import deliver_email
from linkplus.runtime import Runtime

SRC = Path(linkplus.__file__).parent


def _import_everything() -> None:
    for module in pkgutil.walk_packages([str(SRC)], prefix="linkplus."):
        if ".migrations." not in module.name and not module.name.endswith("__main__"):
            importlib.import_module(module.name)


def test_every_domains_tasks_module_is_listed_for_the_worker() -> None:
    found = {f"linkplus.{path.parent.name}.tasks" for path in SRC.glob("*/tasks.py")}
    listed = {module.__name__ for module in bootstrap.DOMAIN_TASKS}
    assert found == listed, "add the domain's tasks module to linkplus.bootstrap.DOMAIN_TASKS"


def test_every_payload_a_service_can_queue_has_its_task_registered() -> None:
    _import_everything()
    bootstrap.register_tasks()

    def payloads(cls: type[JobPayload]) -> list[type[JobPayload]]:
        return [sub for child in cls.__subclasses__() for sub in [child, *payloads(child)]]

    ours = [p for p in payloads(JobPayload) if p.__module__.startswith("linkplus.")]
    assert len(ours) >= 9
    for payload in ours:
        assert payload.task in HANDLERS, f"{payload.__name__} names {payload.task}, not listed"
        assert HANDLERS[payload.task].payload is payload


async def test_a_payload_of_the_wrong_type_is_refused_when_queued(runtime: Runtime) -> None:
    with pytest.raises(TypeError, match="DeliverEmailJob"):
        async with runtime.db.transaction() as session:
            await enqueue_task(
                session,
                deliver_email,
                ScheduledRun(scheduled_for=runtime.clock.now()),
                now=runtime.clock.now(),
            )


async def test_a_stored_payload_that_no_longer_fits_is_dead_at_once(
    runtime: Runtime, worker: Worker
) -> None:
    now = runtime.clock.now()
    async with runtime.db.transaction() as session:
        session.add(
            Job(
                name=DeliverEmailJob.task,
                payload={"email_id": "not-a-uuid"},
                state=JobState.queued,
                run_at=now,
                attempts=0,
                max_attempts=DeliverEmailJob.max_attempts,
                created_at=now,
            )
        )
    await worker.run_due()
    async with runtime.db.transaction() as session:
        [job] = (await session.scalars(select(Job))).all()
    assert job.state == JobState.dead
    assert job.attempts == 1
    assert "payload does not fit DeliverEmailJob" in (job.last_error or "")
