"""The remote-control tasks (send, expire, run climate schedules, purge old history) and the
reaction to the car's answers, which runs inside the gateway's transaction that stores them (no
job in between: the answer moves the command as soon as it is stored).

The tasks are all idempotent: each acts only on a command in the state it expects (a second run
finds it moved on), and a schedule run only for the occurrence its schedule still names.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.events import Reaction
from linkplus.jobs import JobContext, RetryLater, Schedule, ScheduledRun, run_again, task
from linkplus.remote import climate_schedules, service
from linkplus.remote.schemas import ExpireCommandJob, RunClimateScheduleJob, SendCommandJob
from linkplus.runtime import Runtime
from linkplus.seams.commands import PublishFailed
from linkplus.vehicle_link.events import CommandResultReceived, CommandResultsReceived


@task()
async def send_command(ctx: JobContext, job: SendCommandJob) -> None:
    """Retried every second while the broker is away; the expiry check inside ``send`` ends the
    retries once the command can no longer be delivered."""
    try:
        await service.send(ctx.session, ctx.runtime, command_id=job.command_id)
    except service.NoBroker as exc:
        raise RetryLater("no connection to the MQTT broker", delay=timedelta(seconds=1)) from exc
    except PublishFailed as exc:
        raise RetryLater(f"the MQTT broker is away: {exc}", delay=timedelta(seconds=1)) from exc


@task()
async def expire_command(ctx: JobContext, job: ExpireCommandJob) -> None:
    await service.expire(ctx.session, ctx.runtime, command_id=job.command_id)


async def on_answer(session: AsyncSession, runtime: Runtime, event: CommandResultReceived) -> None:
    await service.apply_answer(
        session,
        runtime,
        vin=event.vin,
        command_id=event.command_id,
        status=event.status,
        reason=event.reason,
    )


async def on_answers(
    session: AsyncSession, runtime: Runtime, event: CommandResultsReceived
) -> None:
    """A gateway batch's answers, moved together (``service.apply_answers``)."""
    await service.apply_answers(
        session,
        runtime,
        [
            service.CarAnswer(
                vin=one.vin, command_id=one.command_id, status=one.status, reason=one.reason
            )
            for one in event.results
        ],
    )


@task("remote.command_result")
async def command_result(ctx: JobContext, event: CommandResultReceived) -> None:
    """Answers queued as jobs by an earlier release; new answers go through ``on_answer``."""
    await on_answer(ctx.session, ctx.runtime, event)


@task()
async def run_climate_schedule(ctx: JobContext, job: RunClimateScheduleJob) -> None:
    await climate_schedules.run_schedule(
        ctx.session, ctx.runtime, schedule_id=job.schedule_id, run_at=job.run_at
    )


@task("remote.purge_history")
async def purge_history(ctx: JobContext, run: ScheduledRun) -> None:
    purged = await service.purge_history(ctx.session, ctx.runtime)
    if purged.more:
        await run_again(ctx, purge_history)


TASKS = [send_command, expire_command, command_result, run_climate_schedule]
SCHEDULES = [Schedule("remote.daily_purge", purge_history, daily_at="03:30")]
REACTIONS = [
    Reaction(CommandResultReceived, on_answer),
    Reaction(CommandResultsReceived, on_answers),
]
