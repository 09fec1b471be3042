"""A demo car's past month of trips, so the trips pages have content on a newcomer's first visit.

The month is driven by the simulator's driving model (``sim.history.past_trips``) and every
upload goes the way a real one goes: into the vehicle link's trip inbox (which queues the trips
job, as the gateway does) and through ``service.ingest_upload``, the job's own function, right
away, so the pages are filled before the server starts. The job that was queued finds the trip
taken in and does nothing.

Given once per car: a car that has any trip history (saved or not) gets nothing more, so running
the demo again, on any later day, adds nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.runtime import Runtime
from linkplus.sim.history import past_trips
from linkplus.sim.roads import GeoPoint
from linkplus.trips import service as trips
from linkplus.vehicle_link import service as vehicle_link
from linkplus.vehicles.catalogue import VehicleModel

HISTORY_DAYS = 30
DEFAULT_SEED = 2024  # the demo fleet's city, so the past routes run on the streets it drives


async def give_demo_history(
    session: AsyncSession,
    runtime: Runtime,
    *,
    vin: str,
    model: VehicleModel,
    now: datetime,
    seed: int = DEFAULT_SEED,
    home: GeoPoint | None = None,
) -> int:
    """Upload the car's last ``HISTORY_DAYS`` full days of trips; returns how many were saved.

    The car must already be in its owner's garage as primary with its standard services active,
    or every trip is counted as not saved (services not active), as a real one would be.
    """
    if await trips.has_history(session, vin=vin):
        return 0
    today = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
    uploads = past_trips(
        model,
        seed=seed,
        start=today - timedelta(days=HISTORY_DAYS),
        days=HISTORY_DAYS,
        vin=vin,
        home=home,
    )
    saved = 0
    for upload in uploads:
        await vehicle_link.take_in_upload(session, runtime, vin=vin, upload=upload, now=now)
        outcome = await trips.ingest_upload(session, runtime, msg_id=upload.msg_id)
        if outcome is not None and outcome.saved:
            saved += 1
    return saved
