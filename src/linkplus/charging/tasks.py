"""The charging domain's task: end the commands that waited too long for their charger.

The process that holds a charger expires its commands as it polls; this schedule covers the
chargers no process holds (switched off, out of network)."""

from __future__ import annotations

from datetime import timedelta

from linkplus.charging import service
from linkplus.jobs import JobContext, Schedule, ScheduledRun, task


@task("charging.expire_commands")
async def expire_commands(ctx: JobContext, run: ScheduledRun) -> None:
    await service.expire_commands(
        ctx.session, now=ctx.now, after_seconds=ctx.runtime.settings.ocpp_command_seconds
    )


TASKS = [expire_commands]
SCHEDULES = [Schedule("charging.expire_commands", expire_commands, every=timedelta(minutes=1))]
