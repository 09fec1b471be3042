"""The trips domain's part of the owner's data export: the account's trips in its tenure, each
trip's recorded samples as a GPX file of its own (the same GPX as the trips export), and the
trips the car recorded but could not save.

The ``samples`` column is stored packed (numpy's npz); the export gives each trip's positions as
GPX instead, and the row names that file (``{"file": "trips/gpx/<id>.gpx"}``); a trip whose
route the location retention deleted has ``null`` there and no GPX."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.kit.spans import Span
from linkplus.models.exported import DomainExport, FileReference, table_of
from linkplus.trips import export as gpx
from linkplus.trips import packing, repository


def gpx_path(trip_id: uuid.UUID) -> str:
    return f"trips/gpx/{trip_id}.gpx"


async def export(
    session: AsyncSession,
    account_id: uuid.UUID,
    cars: Mapping[str, Sequence[Span]],
    *,
    now: datetime,
) -> DomainExport:
    trips, not_saved = await repository.export_rows(session, account_id, cars)
    files: dict[str, bytes] = {}
    routes: list[FileReference | None] = []
    for trip in trips:
        if trip.samples == packing.ROUTE_DELETED:
            routes.append(None)  # the location retention deleted the route; the summary stays
            continue
        routes.append(FileReference(gpx_path(trip.id)))
        stored = packing.unpack(trip.samples)
        route = gpx.RouteTrip(
            id=trip.id,
            started_at=trip.started_at,
            ended_at=trip.ended_at,
            distance_m=trip.distance_m,
            score=trip.score_trip,
            t=stored.samples.t,
            lat=stored.samples.lat,
            lon=stored.samples.lon,
            rebuilt=stored.rebuilt_mask,
        )
        files[gpx_path(trip.id)] = gpx.trips_gpx([route], created_at=now).encode()
    return DomainExport(
        "trips",
        [
            table_of(
                "trips",
                trips,
                replaced={"samples": routes},
            ),
            table_of("trips_not_saved", not_saved),
        ],
        files,
    )
