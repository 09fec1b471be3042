"""Trips, driving scores, coaching, the monthly overview and the insurance figures of one car.

Primary account only (``PrimaryVehicle``): another account's VIN is the same 404 as an unknown
one, a secondary account gets 403. While the car's coaching service is not active: 409.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import problem_responses
from linkplus.garage.deps import PrimaryVehicle
from linkplus.trips import service
from linkplus.trips.schemas import (
    InsuranceMonthOut,
    LastTripOut,
    MissingTripsOut,
    MonthlyOut,
    TripDetailOut,
    TripListOut,
    TripMonth,
)

# A service the car has not activated (409).
router = APIRouter(tags=["trips"], responses=problem_responses(409))

Month = Annotated[TripMonth | None, Query(description="YYYY-MM (UTC); default: this month")]


@router.get("/vehicles/{vin}/trips")
async def list_trips(
    car: PrimaryVehicle,
    session: SessionDep,
    runtime: RuntimeDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> TripListOut:
    """All trips, newest first, grouped by month; pass ``next_cursor`` back for the next page."""
    return await service.list_trips(session, runtime, car, cursor=cursor, limit=limit)


@router.get("/vehicles/{vin}/trips/last")
async def last_trip(car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep) -> LastTripOut:
    """The last trip, for the home screen; ``trip`` is null (with a message) before the first."""
    return await service.last_trip(session, runtime, car)


@router.get("/vehicles/{vin}/trips/missing")
async def missing_trips(
    car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep, month: Month = None
) -> MissingTripsOut:
    """Trips that were not saved, counted per month and reason, with what each reason means."""
    return await service.missing_trips(session, runtime, car, month=month)


@router.get("/vehicles/{vin}/trips/monthly")
async def monthly(
    car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep, month: Month = None
) -> MonthlyOut:
    """The month's performance score, its breakdown, totals and one value per day."""
    return await service.monthly(session, runtime, car, month=month)


@router.get("/vehicles/{vin}/trips/insurance")
async def insurance(
    car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep, month: Month = None
) -> InsuranceMonthOut:
    """Usage-based insurance score of the month and the hybrid and plug-in programme figures."""
    return await service.insurance_month(session, runtime, car, month=month)


@router.get("/vehicles/{vin}/trips/export", response_class=Response)
async def export_trips(
    car: PrimaryVehicle,
    session: SessionDep,
    runtime: RuntimeDep,
    format: Annotated[service.ExportFormat, Query()] = "gpx",
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    """Every trip's route with all samples, as GPX or GeoJSON; ``from``/``to`` (dates, both
    included) narrow it down."""
    found = await service.export_trips(session, runtime, car, format=format, start=start, end=end)
    return Response(
        found.body,
        media_type=found.media_type,
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )


@router.get("/vehicles/{vin}/trips/{trip_id}")
async def trip_detail(
    trip_id: uuid.UUID, car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> TripDetailOut:
    """Summary, route (GeoJSON, rebuilt stretches marked), scores with their breakdown,
    insurance criteria, coaching figures and a tip."""
    return await service.trip_detail(session, runtime, car, trip_id=trip_id)
