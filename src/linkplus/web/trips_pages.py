"""A car's trips: the list by month, one trip with its route and scores, and the monthly page.

The route is drawn here, by the server, as inline SVG: nothing is fetched from the internet (no
map tiles), so the page works on a platform with no way out. Positions are projected onto the
drawing with an equirectangular projection scaled by the cosine of the middle latitude, which is
exact enough at the size of one trip; rebuilt stretches are dashed. The monthly graph is SVG bars
(one per day, its height the day's score).

Only the car's primary account sees trips; another account that has the car is sent to the car's
page, which offers to make it the active one. While the coaching service is not active the pages
say so and link to the Connected Services Centre.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from babel.dates import format_date
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from linkplus.deps import RuntimeDep, SessionDep
from linkplus.garage import service as garage
from linkplus.garage.deps import CallerVehicle
from linkplus.trips import service as trips
from linkplus.trips.errors import InvalidCursor, ServiceNotActive, TripNotFound
from linkplus.trips.schemas import DayOut, TripDetailOut, TripMonth
from linkplus.trips.views import month_key
from linkplus.web.cars import car_name, car_path, primary_car
from linkplus.web.i18n import N_
from linkplus.web.rendering import reader, see_other
from linkplus.web.sessions import OwnerDep, Visitor, owner_account, render

router = APIRouter(include_in_schema=False)

ROUTE_WIDTH, ROUTE_HEIGHT, ROUTE_PAD = 360.0, 240.0, 14.0
GRAPH_WIDTH, GRAPH_HEIGHT, GRAPH_BOTTOM = 360.0, 160.0, 18.0
PAGE_SIZE = 20
_PARTS = {
    "acceleration": N_("Acceleration"),
    "braking": N_("Braking"),
    "constant_speed": N_("Constant speed"),
}


@dataclass(frozen=True)
class RouteDrawing:
    paths: list[tuple[str, bool]]  # (SVG path data, rebuilt)
    start: tuple[float, float]
    end: tuple[float, float]


def draw_route(route: dict[str, Any] | None) -> RouteDrawing | None:
    """The route's LineStrings as SVG paths inside a ``ROUTE_WIDTH`` x ``ROUTE_HEIGHT`` box."""
    if route is None:
        return None
    lines = [
        (feature["geometry"]["coordinates"], bool(feature["properties"].get("rebuilt")))
        for feature in route["features"]
        if feature["geometry"]["type"] == "LineString"
    ]
    points = [point for coordinates, _ in lines for point in coordinates]
    if not points:
        return None
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    squeeze = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = max((max(lons) - min(lons)) * squeeze, 1e-9)
    span_y = max(max(lats) - min(lats), 1e-9)
    scale = min((ROUTE_WIDTH - 2 * ROUTE_PAD) / span_x, (ROUTE_HEIGHT - 2 * ROUTE_PAD) / span_y)
    left = (ROUTE_WIDTH - span_x * scale) / 2
    top = (ROUTE_HEIGHT - span_y * scale) / 2

    def at(point: list[float]) -> tuple[float, float]:
        x = left + (point[0] - min(lons)) * squeeze * scale
        y = top + (max(lats) - point[1]) * scale
        return round(x, 1), round(y, 1)

    paths = []
    for coordinates, rebuilt in lines:
        xy = [at(point) for point in coordinates]
        data = "M" + " L".join(f"{x} {y}" for x, y in xy)
        paths.append((data, rebuilt))
    return RouteDrawing(paths, at(lines[0][0][0]), at(lines[-1][0][-1]))


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    day: int


def daily_bars(days: list[DayOut]) -> list[Bar]:
    """One bar per day with trips; its height is the day's score (0..100)."""
    slot = GRAPH_WIDTH / max(len(days), 1)
    usable = GRAPH_HEIGHT - GRAPH_BOTTOM
    bars = []
    for number, day in enumerate(days):
        if day.score is None:
            continue
        height = max(usable * day.score / 100.0, 1.0)
        bars.append(
            Bar(
                x=round(number * slot + slot * 0.15, 1),
                y=round(usable - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                label=f"{day.date.strftime('%d %b')}: score {day.score:.0f}, "
                f"{day.trips} trip{'s' if day.trips != 1 else ''}, {day.distance_km:.1f} km",
                day=day.date.day,
            )
        )
    return bars


def _neighbour_months(month: str) -> tuple[str, str]:
    year, number = (int(part) for part in month.split("-"))
    before = date(year - 1, 12, 1) if number == 1 else date(year, number - 1, 1)
    after = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    return before.strftime("%Y-%m"), after.strftime("%Y-%m")


def month_title(month: str) -> str:
    """``2027-01`` as the page's reader names the month: "January 2027", "Januar 2027"."""
    year, number = (int(part) for part in month.split("-"))
    return str(format_date(date(year, number, 1), "LLLL y", locale=reader().locale))


def _inactive(
    request: Request, visitor: Visitor, caller: CallerVehicle, exc: ServiceNotActive
) -> Response:
    return render(
        request,
        visitor,
        "trips/inactive.html",
        section="vehicle",
        status=409,
        car=caller.vehicle,
        name=car_name(caller.model.name, None),
        error=exc.detail,
    )


@router.get("/vehicle/{vin}/trips")
async def trips_page(
    vin: str,
    request: Request,
    visitor: OwnerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    cursor: str | None = Query(default=None, max_length=200),
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise="")
    try:
        listing = await trips.list_trips(session, runtime, caller, cursor=cursor, limit=PAGE_SIZE)
        missing = await trips.missing_trips(session, runtime, caller)
    except ServiceNotActive as exc:
        return _inactive(request, visitor, caller, exc)
    except InvalidCursor:
        return see_other(car_path(caller.vehicle.vin, "trips"))
    summary = await garage.vehicle_summary(session, caller)
    return render(
        request,
        visitor,
        "trips/list.html",
        section="vehicle",
        car=caller.vehicle,
        name=car_name(summary.model_name, summary.nickname),
        listing=listing,
        missing=missing,
        month_title=month_title,
        this_month=month_key(runtime.clock.now()),
        first_page=cursor is None,
    )


@router.get("/vehicle/{vin}/trips/monthly")
async def monthly_page(
    vin: str,
    request: Request,
    visitor: OwnerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    month: Annotated[TripMonth | None, Query()] = None,
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise="")
    try:
        overview = await trips.monthly(session, runtime, caller, month=month)
    except ServiceNotActive as exc:
        return _inactive(request, visitor, caller, exc)
    before, after = _neighbour_months(overview.month)
    summary = await garage.vehicle_summary(session, caller)
    return render(
        request,
        visitor,
        "trips/monthly.html",
        section="vehicle",
        car=caller.vehicle,
        name=car_name(summary.model_name, summary.nickname),
        overview=overview,
        title=month_title,
        month=overview.month,
        before=before,
        after=after if after <= month_key(runtime.clock.now()) else None,
        bars=daily_bars(overview.days),
        graph={"width": GRAPH_WIDTH, "height": GRAPH_HEIGHT, "base": GRAPH_HEIGHT - GRAPH_BOTTOM},
        ticks=[
            (round((d - 0.5) * GRAPH_WIDTH / len(overview.days), 1), d)
            for d in (1, 8, 15, 22, 29)
            if d <= len(overview.days)
        ],
    )


@router.get("/vehicle/{vin}/trips/{trip_id}")
async def trip_page(
    vin: str,
    trip_id: str,
    request: Request,
    visitor: OwnerDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise="")
    try:
        wanted = uuid.UUID(trip_id)
    except ValueError:
        raise TripNotFound() from None
    try:
        detail: TripDetailOut = await trips.trip_detail(session, runtime, caller, trip_id=wanted)
    except ServiceNotActive as exc:
        return _inactive(request, visitor, caller, exc)
    summary = await garage.vehicle_summary(session, caller)
    parts = [
        (label, getattr(detail.scores, key))
        for key, label in _PARTS.items()
        if getattr(detail.scores, key) is not None
    ]
    return render(
        request,
        visitor,
        "trips/detail.html",
        section="vehicle",
        car=caller.vehicle,
        name=car_name(summary.model_name, summary.nickname),
        trip=detail,
        parts=parts,
        drawing=draw_route(detail.route),
        box={"width": ROUTE_WIDTH, "height": ROUTE_HEIGHT},
    )
