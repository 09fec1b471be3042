"""The rights domain's jobs, schedules and reactions."""

from __future__ import annotations

from datetime import timedelta

from linkplus.events import Reaction
from linkplus.garage.events import VehicleRemovedFromAccount
from linkplus.jobs import JobContext, Schedule, ScheduledRun, enqueue, task
from linkplus.rights import erasure, erasure_job
from linkplus.rights import erasure_repository as repository
from linkplus.rights.erasure_car import erase_car_data
from linkplus.rights.schemas import EraseAccountJob, RemindErasureJob

# --- erasure ---------------------------------------------------------------------------------


@task()
async def erase_account(ctx: JobContext, job: EraseAccountJob) -> None:
    """Erase the account once its grace period is over (``rights.erasure_job``). It opens its
    own transactions, so none is open while the payment provider is called."""
    await erasure_job.erase_account(ctx.runtime, job.request_id)


@task()
async def remind_erasure(ctx: JobContext, job: RemindErasureJob) -> None:
    await erasure.remind(ctx.session, ctx.runtime, job.request_id)


@task("rights.erasure_sweep")
async def erasure_sweep(ctx: JobContext, run: ScheduledRun) -> None:
    """Every hour: queue the erasure of every request whose grace period is over (the job
    queued at the request is the usual way; this one catches a request whose job was lost)."""
    for row in await repository.due(ctx.session, ctx.now):
        await enqueue(
            ctx.session,
            EraseAccountJob(request_id=row.id),
            now=ctx.now,
            dedupe_key=f"erasure-sweep:{row.id}",
        )


TASKS = [erase_account, remind_erasure, erasure_sweep]
SCHEDULES = [Schedule("rights.erasure_sweep", erasure_sweep, every=timedelta(hours=1))]
REACTIONS = [Reaction(VehicleRemovedFromAccount, erase_car_data)]
