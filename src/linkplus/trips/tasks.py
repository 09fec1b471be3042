"""The trips feature's task: take in each trip the vehicle link received.

Subscribed to ``TripUploaded``, so the job is queued in the gateway's transaction and runs only
once the upload is stored. Idempotent: the trip id decides whether a trip was taken in already.
"""

from __future__ import annotations

from linkplus.events import Subscription
from linkplus.jobs import JobContext, task
from linkplus.trips import service
from linkplus.vehicle_link.events import TripUploaded


@task("trips.ingest_upload")
async def ingest_upload(ctx: JobContext, event: TripUploaded) -> None:
    await service.ingest_upload(ctx.session, ctx.runtime, msg_id=event.msg_id)


SUBSCRIPTIONS = [Subscription(TripUploaded, ingest_upload)]
