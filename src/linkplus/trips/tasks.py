"""The trips feature's tasks: take in each trip the vehicle link received, and the daily purge
of routes older than the location retention.

Ingestion is subscribed to ``TripUploaded``, so the job is queued in the gateway's transaction and
runs only once the upload is stored. Idempotent: the trip id decides whether a trip was taken in
already; the purge empties only routes still there.
"""

from __future__ import annotations

from linkplus.events import Subscription
from linkplus.jobs import JobContext, Schedule, ScheduledRun, run_again, task
from linkplus.trips import service
from linkplus.vehicle_link.events import TripUploaded


@task("trips.ingest_upload")
async def ingest_upload(ctx: JobContext, event: TripUploaded) -> None:
    await service.ingest_upload(ctx.session, ctx.runtime, msg_id=event.msg_id)


@task("trips.purge_routes")
async def purge_routes(ctx: JobContext, run: ScheduledRun) -> None:
    purged = await service.purge_routes(ctx.session, ctx.runtime)
    if purged.more:
        await run_again(ctx, purge_routes)


SCHEDULES = [Schedule("trips.daily_purge", purge_routes, daily_at="03:25")]
SUBSCRIPTIONS = [Subscription(TripUploaded, ingest_upload)]
