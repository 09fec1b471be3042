"""The trips feature's job: take in each trip the vehicle link received.

Subscribed to ``TripUploaded``, so the job is queued in the gateway's transaction and runs only
once the upload is stored. Idempotent: the trip id decides whether a trip was taken in already.
"""

from __future__ import annotations

import uuid
from typing import Any

from linkplus.events import subscribe
from linkplus.jobs import JobContext, job
from linkplus.trips import service
from linkplus.vehicle_link.events import TripUploaded

INGEST_UPLOAD = "trips.ingest_upload"


@job(INGEST_UPLOAD)
async def ingest_upload(ctx: JobContext, payload: dict[str, Any]) -> None:
    await service.ingest_upload(ctx.session, ctx.runtime, msg_id=uuid.UUID(payload["msg_id"]))


subscribe(TripUploaded, INGEST_UPLOAD)
