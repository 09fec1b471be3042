"""The car page as a dashboard: what the car last reported, tile by tile, each with its age.

Everything here reads through the domain services the API uses (vehicle status, parked position,
last trip, connected services, safety status); a tile whose service is not active says why and
links to the Connected Services Centre instead of failing the page. Ages are measured against the
injectable clock (``runtime.clock``), so tests move time instead of waiting.

The same parked position and garage switcher serve the Map section (``web.map_pages``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.connected_services import service as connected_services
from linkplus.connected_services.availability import ServiceState
from linkplus.errors import ProblemError
from linkplus.garage.deps import CallerVehicle
from linkplus.garage.schemas import GarageVehicleOut
from linkplus.runtime import Runtime
from linkplus.safety import service as safety
from linkplus.safety.schemas import SafetyStatusOut
from linkplus.trips import service as trips
from linkplus.trips.schemas import LastTripOut
from linkplus.vehicle_link import service as vehicle_link
from linkplus.vehicle_link.errors import LocationNotShared, LocationUnknown
from linkplus.vehicle_link.schemas import LocationOut, VehicleStatusOut
from linkplus.web.cars import car_name
from linkplus.web.i18n import N_
from linkplus.web.rendering import gettext, ngettext

# --- ages ------------------------------------------------------------------------------------


def _count(unit: str, count: int) -> str:
    """``count`` units ago with the reader's plural forms (each form spelled out for the
    catalogue)."""
    if unit == "day":
        return ngettext("%(num)s day ago", "%(num)s days ago", count) % {"num": count}
    if unit == "hour":
        return ngettext("%(num)s hour ago", "%(num)s hours ago", count) % {"num": count}
    if unit == "minute":
        return ngettext("%(num)s minute ago", "%(num)s minutes ago", count) % {"num": count}
    return ngettext("%(num)s second ago", "%(num)s seconds ago", count) % {"num": count}


_UNITS = ((86_400, "day"), (3_600, "hour"), (60, "minute"))


def age_words(moment: datetime | None, now: datetime) -> str:
    """How long ago ``moment`` was, in words with the right plural: "1 minute ago",
    "3 minutes ago", "2 days ago"; "just now" under a second, and for a moment in the future
    (a car whose clock runs ahead). Empty when there is no moment. In the language of the page
    being rendered (``rendering.reading``), English outside one."""
    if moment is None:
        return ""
    seconds = int((now - moment).total_seconds())
    if seconds < 1:
        return gettext("just now")
    for size, unit in _UNITS:
        if seconds >= size:
            return _count(unit, seconds // size)
    return _count("second", seconds)


# --- the picture -----------------------------------------------------------------------------

# Body type by model line (the catalogue has no body type): the picture at the top of the page.
_BODIES = {
    "NX": "suv",
    "RX": "suv",
    "RZ": "suv",
    "UX": "crossover",
    "LBX": "crossover",
    "CT": "hatchback",
    "ES": "saloon",
    "IS": "saloon",
    "LS": "saloon",
    "LC": "coupe",
    "RC": "coupe",
}
BODY_NAMES = {
    "suv": N_("SUV"),
    "crossover": N_("compact crossover"),
    "hatchback": N_("hatchback"),
    "saloon": N_("saloon"),
    "coupe": N_("coupé"),
}


def body_type(model_name: str) -> str:
    """``suv``, ``crossover``, ``hatchback``, ``saloon`` or ``coupe`` (the picture's file name);
    a model line the table does not know is drawn as a saloon."""
    words = model_name.split()
    line = words[1] if len(words) > 1 and words[0] == "Lexus" else (words[0] if words else "")
    return _BODIES.get(line.upper(), "saloon")


# --- the parked position ---------------------------------------------------------------------


async def parked_position(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> tuple[LocationOut | None, str | None]:
    """The parked position, or the sentence saying why there is none to show."""
    try:
        return await vehicle_link.parked_location(session, runtime, caller), None
    except LocationNotShared:
        return None, N_("Privacy mode is on: the car does not share where it is.")
    except LocationUnknown:
        return None, N_("The car has not reported where it is parked yet.")
    except ProblemError as exc:
        return None, exc.detail


def marker_json(location: LocationOut | None, label: str, parked_words: str) -> str:
    """The car's marker for map.js (a data attribute), or ``null``."""
    if location is None:
        return "null"
    return json.dumps(
        {
            "lat": round(location.latitude, 6),
            "lon": round(location.longitude, 6),
            "label": label,
            "parked": parked_words,
        }
    )


# --- the garage switcher ---------------------------------------------------------------------


@dataclass(frozen=True)
class SwitcherCar:
    vin: str
    name: str
    body: str
    primary: bool


def switcher(cars: list[GarageVehicleOut]) -> list[SwitcherCar]:
    """The account's cars as the switcher at the top of the car page and the map lists them."""
    return [
        SwitcherCar(
            vin=car.vin,
            name=car_name(car.model_name, car.nickname),
            body=body_type(car.model_name),
            primary=car.role == "primary",
        )
        for car in cars
    ]


# --- the tiles -------------------------------------------------------------------------------


@dataclass
class ServicesTile:
    active: list[str] = field(default_factory=list)
    to_activate: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class Dashboard:
    now: datetime
    body: str
    report: VehicleStatusOut | None = None
    status_note: str | None = None
    location: LocationOut | None = None
    location_note: str | None = None
    last_trip: LastTripOut | None = None
    trip_note: str | None = None
    services: ServicesTile = field(default_factory=ServicesTile)
    safety: SafetyStatusOut | None = None

    def age(self, moment: datetime | None) -> str:
        return age_words(moment, self.now)

    @property
    def energy_reported_at(self) -> datetime | None:
        report = self.report
        if report is None:
            return None
        parts: list[Any] = [report.battery, report.fuel]
        return next((part.reported_at for part in parts if part and part.reported_at), None)


_SHOWN_STATES = (ServiceState.active,)
_TO_ACTIVATE = (ServiceState.inactive, ServiceState.expired)


async def _services(session: AsyncSession, runtime: Runtime, caller: CallerVehicle) -> ServicesTile:
    tile = ServicesTile()
    for service in await connected_services.services_for(session, runtime, caller):
        if service.state in _SHOWN_STATES:
            tile.active.append(service.name)
        elif service.state in _TO_ACTIVATE and service.switchable:
            tile.to_activate.append(service.name)
    return tile


async def car_dashboard(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> Dashboard:
    """Every tile of the primary account's car page; a tile whose service refuses says why."""
    board = Dashboard(now=runtime.clock.now(), body=body_type(caller.model.name))
    try:
        board.report = await vehicle_link.vehicle_status(session, runtime, caller)
    except ProblemError as exc:
        board.status_note = exc.detail
    board.location, board.location_note = await parked_position(session, runtime, caller)
    try:
        board.last_trip = await trips.last_trip(session, runtime, caller)
    except ProblemError as exc:
        board.trip_note = exc.detail
    board.services = await _services(session, runtime, caller)
    board.safety = await safety.safety_status(session, runtime, caller)
    return board
