"""The Map section: find my car (its parked position, and from the phone's own position its
distance and direction, worked out in the browser by ``static/map.js``), and the car's recent
trips drawn on the map.

The base map is an XYZ tile source when ``LINKPLUS_MAP_TILES_URL`` is set (the security policy
then allows images from that one host, ``linkplus.security_headers``). Without it the platform
serves its own: the roads in ``Settings.base_map_path``, which ``linkplus demo`` fills with the
simulated city the demo cars drive in, so the map works with no internet. With neither, the map
draws the car and the trips on a plain background.

The map's data comes from two routes of this site (the page's policy allows no other): the
roads, and the trips of one car, which like every page of a car answers 404 for a car or a trip
that is not the caller's.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import NotFound, ProblemError
from linkplus.garage import service as garage
from linkplus.garage.deps import CallerVehicle
from linkplus.trips import service as trips
from linkplus.trips.errors import TripNotFound
from linkplus.trips.schemas import TripSummaryOut
from linkplus.web.cars import car_name, primary_car, visitor_car
from linkplus.web.dashboard import age_words, marker_json, parked_position, switcher
from linkplus.web.i18n import Reader
from linkplus.web.rendering import gettext, reading
from linkplus.web.sessions import OwnerDep, owner_account, render

router = APIRouter(include_in_schema=False)

GEOJSON = "application/geo+json"
RECENT_TRIPS = 5  # drawn on the map and listed under it


class NoBaseMap(NotFound):
    code = "base_map_not_served"

    def __init__(self) -> None:
        super().__init__(
            "This platform serves no base map of its own. Set LINKPLUS_MAP_TILES_URL to an XYZ "
            "tile source, or run the demo, which serves its city's roads."
        )


def map_path(vin: str) -> str:
    return f"/map?car={vin}"


def trips_data_path(vin: str) -> str:
    return f"/vehicle/{vin}/map/trips.geojson"


@router.get("/map")
async def map_page(
    request: Request, visitor: OwnerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    account = owner_account(visitor)
    cars = await garage.list_vehicles(session, runtime, account)
    context: dict[str, Any] = {
        "garage_cars": switcher(cars),
        "switch_to": map_path,
        "car": None,
        "name": None,
        "location": None,
        "location_note": None,
        "marker": "null",
        "recent": [],
        "trip_note": None,
        "map_tiles": runtime.settings.map_tiles_url,
        "roads_url": "/map/roads.geojson",
        "trips_url": None,
    }
    chosen = request.query_params.get("car")
    if chosen is None:
        chosen = next((car.vin for car in cars if car.role == "primary"), None)
        chosen = chosen or (cars[0].vin if cars else None)
    if chosen is not None:
        caller = await visitor_car(session, account, chosen)
        context.update(await _car_context(session, runtime, caller, visitor.reader(request)))
    return render(request, visitor, "map.html", section="map", **context)


async def _car_context(
    session: SessionDep, runtime: RuntimeDep, caller: CallerVehicle, who: Reader
) -> dict[str, Any]:
    summary = await garage.vehicle_summary(session, caller)
    name = car_name(summary.model_name, summary.nickname)
    context: dict[str, Any] = {"car": summary, "name": name}
    if not caller.is_primary:
        return context
    now = runtime.clock.now()
    location, note = await parked_position(session, runtime, caller)
    parked = ""
    if location:
        with reading(who):  # the marker's words, in the owner's language
            parked = gettext("Parked %(age)s") % {"age": age_words(location.parked_at, now)}
    context.update(
        location=location,
        location_note=note,
        parked_at=location.parked_at if location else None,
        age=lambda moment: age_words(moment, now),
        marker=marker_json(location, name, parked),
    )
    try:
        listed = await trips.list_trips(session, runtime, caller, limit=RECENT_TRIPS)
    except ProblemError as exc:
        context["trip_note"] = exc.detail
        return context
    recent = [trip for month in listed.months for trip in month.trips]
    context.update(
        recent=recent,
        trip_age=lambda trip: age_words(trip.ended_at, now),
        trips_url=trips_data_path(caller.vehicle.vin) if recent else None,
    )
    return context


@router.get("/map/roads.geojson")
async def roads(_visitor: OwnerDep, runtime: RuntimeDep) -> Response:
    """The platform's own base map: the roads of the demo area, when it has them."""
    path = runtime.settings.base_map_path
    if not path.is_file():
        raise NoBaseMap()
    return FileResponse(path, media_type=GEOJSON, headers={"Cache-Control": "private, max-age=300"})


def _trip_features(trip: TripSummaryOut, route: dict[str, Any] | None, vin: str) -> list[Any]:
    if route is None:
        return []
    about = {
        "trip": str(trip.id),
        "started_at": trip.started_at.isoformat(),
        "distance_km": round(trip.distance_km, 1),
        "score": round(trip.score),
        "href": f"/vehicle/{vin}/trips/{trip.id}",
    }
    return [
        {**feature, "properties": {**feature["properties"], **about}}
        for feature in route["features"]
    ]


@router.get("/vehicle/{vin}/map/trips.geojson")
async def trip_routes(
    vin: str, request: Request, visitor: OwnerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The routes of the car's recent trips (or of ``?trip=<id>`` alone) as one GeoJSON
    FeatureCollection; each feature names its trip. The car's primary account only."""
    caller = await primary_car(session, owner_account(visitor), vin, otherwise=None)
    wanted = request.query_params.get("trip")
    if wanted is not None:
        try:
            trip_id = uuid.UUID(wanted)
        except ValueError:
            raise TripNotFound() from None
        chosen = [trip_id]
    else:
        listed = await trips.list_trips(session, runtime, caller, limit=RECENT_TRIPS)
        chosen = [trip.id for month in listed.months for trip in month.trips]
    features: list[Any] = []
    for trip_id in chosen:
        detail = await trips.trip_detail(session, runtime, caller, trip_id=trip_id)
        features.extend(_trip_features(detail, detail.route, caller.vehicle.vin))
    return JSONResponse(
        {"type": "FeatureCollection", "features": features},
        media_type=GEOJSON,
        headers={"Cache-Control": "private, no-cache"},
    )
