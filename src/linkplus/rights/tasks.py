"""The rights domain's jobs, schedules and reactions: making an owner's data export and deleting
expired ones; erasing an account after its grace period, and a car's data when it is removed."""

from __future__ import annotations

from datetime import timedelta

from linkplus.events import Reaction
from linkplus.garage.events import VehicleRemovedFromAccount
from linkplus.jobs import JobContext, Schedule, ScheduledRun, enqueue, task
from linkplus.rights import erasure, erasure_job, export
from linkplus.rights import erasure_repository as repository
from linkplus.rights.erasure_car import erase_car_data
from linkplus.rights.schemas import BuildExportJob, EraseAccountJob, RemindErasureJob

# --- export ----------------------------------------------------------------------------------


@task()
async def build_export(ctx: JobContext, job: BuildExportJob) -> None:
    """Write the zip (no transaction open meanwhile), then mark it ready and tell the owner in
    the job's transaction. Run again, it finds the export no longer queued and does nothing."""
    built = await export.build_file(ctx.runtime, job.export_id)
    if built is not None:
        await export.mark_ready(ctx.session, ctx.runtime, built)


@task("rights.purge_exports")
async def purge_exports(ctx: JobContext, _run: ScheduledRun) -> None:
    await export.purge_expired(ctx.session, ctx.runtime)


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


TASKS = [build_export, erase_account, remind_erasure, erasure_sweep]
SCHEDULES = [
    # Hourly, so a file is gone within the hour its link ran out (the download refuses it already).
    Schedule("rights.purge_exports", purge_exports, every=timedelta(hours=1)),
    Schedule("rights.erasure_sweep", erasure_sweep, every=timedelta(hours=1)),
]
REACTIONS = [Reaction(VehicleRemovedFromAccount, erase_car_data)]
