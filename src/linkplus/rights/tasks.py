"""The rights package's tasks: making an owner's data export, and deleting expired ones."""

from __future__ import annotations

from datetime import timedelta

from linkplus.jobs import JobContext, Schedule, ScheduledRun, task
from linkplus.rights import export
from linkplus.rights.schemas import BuildExportJob

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


TASKS = [build_export]
# Hourly, so a file is gone within the hour its link ran out (the download refuses it already).
SCHEDULES = [Schedule("rights.purge_exports", purge_exports, every=timedelta(hours=1))]
