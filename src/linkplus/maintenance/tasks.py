"""The maintenance feature's jobs: taking in the car's health reports (a subscriber of the
vehicle link's ``HealthReported``) and the daily service reminders. Both are idempotent: the
health job compares the twin with what is open, the reminders record each notice once."""

from __future__ import annotations

from linkplus.events import Subscription
from linkplus.jobs import JobContext, Schedule, ScheduledRun, task
from linkplus.maintenance import service
from linkplus.vehicle_link.events import HealthReported


@task("maintenance.check_health")
async def check_health(ctx: JobContext, job: HealthReported) -> None:
    await service.take_health(ctx.session, ctx.runtime, vin=job.vin)


@task("maintenance.service_reminders")
async def service_reminders(ctx: JobContext, run: ScheduledRun) -> None:
    await service.send_service_reminders(ctx.session, ctx.runtime)


TASKS = [check_health]
SCHEDULES = [Schedule("maintenance.daily_service_reminders", service_reminders, daily_at="08:00")]
SUBSCRIPTIONS = [Subscription(HealthReported, check_health)]
