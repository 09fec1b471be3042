"""The vehicle link's tasks: sending a command, the post-trip check, the daily retention purge.

Each is idempotent: a command carries its id (the car ignores one it has seen), the post-trip
check records that it ran, and the purge deletes by age.
"""

from __future__ import annotations

from datetime import timedelta

import structlog

from linkplus.jobs import JobContext, RetryLater, Schedule, ScheduledRun, run_again, task
from linkplus.seams.commands import PublishFailed
from linkplus.vehicle_link import service
from linkplus.vehicle_link.schemas import PostTripCheckJob, SendCommandJob

log = structlog.get_logger("linkplus.vehicle_link.jobs")


@task()
async def send_command(ctx: JobContext, job: SendCommandJob) -> None:
    """Publish a command to the car; one that expired while waiting is not sent at all."""
    if ctx.now >= job.expires_at:
        log.info("command_expired_unsent", vin=job.vin, command_id=str(job.command_id))
        return
    publisher = ctx.runtime.vehicle_link
    if publisher is None:
        raise RetryLater("this process has no connection to the MQTT broker")
    message = service.command(
        command_id=job.command_id, type=job.type, now=ctx.now, expires_at=job.expires_at
    )
    try:
        await publisher.publish_command(job.vin, message)
    except PublishFailed as exc:
        raise RetryLater(
            f"the MQTT broker refused or is away: {exc}", delay=timedelta(seconds=5)
        ) from exc


@task()
async def post_trip_check(ctx: JobContext, job: PostTripCheckJob) -> None:
    await service.post_trip_check(
        ctx.session, ctx.runtime, vin=job.vin, trip_ended_at=job.trip_ended_at
    )


@task("vehicle_link.purge")
async def purge(ctx: JobContext, run: ScheduledRun) -> None:
    report = await service.purge(ctx.session, ctx.runtime)
    if report.more:
        await run_again(ctx, purge)


TASKS = [send_command, post_trip_check]
SCHEDULES = [Schedule("vehicle_link.daily_purge", purge, daily_at="03:20")]
