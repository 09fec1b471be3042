"""The model catalogue: which models exist, where they are sold and what each can do.

The data lives in ``data/models.json`` (shipped with the package) and is loaded and checked once,
when this module is imported: a mistake in it stops the program at start-up rather than showing up
as a wrong answer to an owner later. Everything here is pure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal

import pycountry
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Powertrain(StrEnum):
    petrol = "petrol"
    diesel = "diesel"
    hev = "hev"  # full hybrid
    phev = "phev"  # plug-in hybrid
    bev = "bev"  # battery electric


class Multimedia(StrEnum):
    mm21 = "mm21"  # "MM21 Smart Connect"
    mm18 = "mm18"  # the older "Lexus Link" generation


class Capability(StrEnum):
    remote_lock_unlock = "remote_lock_unlock"
    hazard_lights = "hazard_lights"
    engine_start = "engine_start"
    remote_climate_basic = "remote_climate_basic"
    remote_climate_advanced = "remote_climate_advanced"
    vehicle_status = "vehicle_status"
    tyre_pressure = "tyre_pressure"
    charging = "charging"
    digital_key = "digital_key"
    send_to_car = "send_to_car"
    sos = "sos"
    collision_notification = "collision_notification"
    stolen_vehicle_tracking = "stolen_vehicle_tracking"
    post_trip_alerts = "post_trip_alerts"


POWERTRAIN_LABELS: dict[Powertrain, str] = {
    Powertrain.petrol: "Petrol",
    Powertrain.diesel: "Diesel",
    Powertrain.hev: "Hybrid (HEV)",
    Powertrain.phev: "Plug-in hybrid (PHEV)",
    Powertrain.bev: "Battery electric (BEV)",
}

MULTIMEDIA_LABELS: dict[Multimedia, str] = {
    Multimedia.mm21: "MM21 Smart Connect",
    Multimedia.mm18: "Lexus Link multimedia (before MM21)",
}

# Newest generation first: a car whose generation the factory feed leaves out gets the newest
# one its model is built with.
MULTIMEDIA_NEWEST_FIRST: tuple[Multimedia, ...] = (Multimedia.mm21, Multimedia.mm18)

CAPABILITY_LABELS: dict[Capability, str] = {
    Capability.remote_lock_unlock: "Remote lock and unlock",
    Capability.hazard_lights: "Hazard lights",
    Capability.engine_start: "Remote engine start and stop",
    Capability.remote_climate_basic: "Remote climate",
    Capability.remote_climate_advanced: (
        "Advanced remote climate (seats, steering wheel, defrost, schedules)"
    ),
    Capability.vehicle_status: ("Vehicle status (doors, windows, boot, bonnet, sunroof, lights)"),
    Capability.tyre_pressure: "Tyre pressure",
    Capability.charging: "Charging",
    Capability.digital_key: "Digital key",
    Capability.send_to_car: "Send to car",
    Capability.sos: "SOS emergency call",
    Capability.collision_notification: "Automatic collision notification",
    Capability.stolen_vehicle_tracking: "Stolen vehicle tracking",
    Capability.post_trip_alerts: "Post-trip alerts",
}

# Climate runs 10 minutes on the older generation and 20 on MM21, each renewable.
CLIMATE_MINUTES: dict[Multimedia, int] = {Multimedia.mm18: 10, Multimedia.mm21: 20}

# Basic remote climate idles a combustion engine; the law in these markets forbids that. Cars
# that heat or cool from the traction battery (PHEV, BEV) are not affected.
NO_IDLING_MARKETS = frozenset({"AT", "DE"})
ENGINE_CLIMATE_POWERTRAINS = frozenset({Powertrain.petrol, Powertrain.diesel, Powertrain.hev})

PLUG_IN = frozenset({Powertrain.phev, Powertrain.bev})

DATA_FILE = Path(__file__).parent / "data" / "models.json"


class CatalogueError(ValueError):
    """The catalogue file is wrong. The message names the file and the entry."""


@dataclass(frozen=True)
class VehicleModel:
    code: str
    name: str
    brand: str
    powertrain: Powertrain
    multimedia: frozenset[Multimedia]
    markets: frozenset[str]
    capabilities: frozenset[Capability]
    climate_minutes: int
    climate_renewals: int
    climate_min_battery_pct: int | None

    @property
    def newest_multimedia(self) -> Multimedia:
        return next(m for m in MULTIMEDIA_NEWEST_FIRST if m in self.multimedia)


@dataclass(frozen=True)
class Catalogue:
    models: dict[str, VehicleModel]

    def get(self, code: str) -> VehicleModel | None:
        return self.models.get(code)


def market_capabilities(model: VehicleModel, market: str) -> frozenset[Capability]:
    """What ``model`` can do in ``market``: its capabilities less what the market's law forbids."""
    if market in NO_IDLING_MARKETS and model.powertrain in ENGINE_CLIMATE_POWERTRAINS:
        return model.capabilities - {Capability.remote_climate_basic}
    return model.capabilities


class _ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[A-Z0-9]{2,16}$")
    name: str = Field(min_length=1, max_length=100)
    brand: str = Field(min_length=1, max_length=50)
    powertrain: Powertrain
    multimedia: list[Multimedia] = Field(min_length=1)
    markets: list[str] = Field(min_length=1)
    capabilities: list[Capability]
    climate_minutes: Literal[10, 20]
    climate_renewals: int = Field(ge=0, le=5)
    climate_min_battery_pct: Literal[20, 30] | None


class _CatalogueFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    comment: str = Field(default="", alias="_comment")
    models: list[_ModelEntry] = Field(min_length=1)


def _problems(entry: _ModelEntry) -> list[str]:
    problems = [
        f"unknown market {market!r} (use ISO 3166 alpha-2 codes such as 'DE')"
        for market in entry.markets
        if market != market.upper() or pycountry.countries.get(alpha_2=market) is None
    ]
    minutes = {CLIMATE_MINUTES[m] for m in entry.multimedia}
    if len(minutes) > 1:
        problems.append("list the model once per multimedia generation (climate minutes differ)")
    elif entry.climate_minutes not in minutes:
        problems.append(f"climate_minutes must be {minutes.pop()} for {entry.multimedia[0]}")
    plug_in = entry.powertrain in PLUG_IN
    if plug_in and entry.climate_min_battery_pct is None:
        problems.append("a plug-in model needs climate_min_battery_pct (20 or 30)")
    if not plug_in and entry.climate_min_battery_pct is not None:
        problems.append("climate_min_battery_pct is only for plug-in (PHEV, BEV) models")
    if Capability.charging in entry.capabilities and not plug_in:
        problems.append("only plug-in models have the charging capability")
    return problems


def load_catalogue(path: Path) -> Catalogue:
    """Read and check the catalogue file; raise CatalogueError saying what is wrong and where."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        parsed = _CatalogueFile.model_validate(raw)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError) as exc:
        raise CatalogueError(f"vehicle catalogue {path} cannot be loaded: {exc}") from exc
    models: dict[str, VehicleModel] = {}
    for entry in parsed.models:
        if entry.code in models:
            raise CatalogueError(f"vehicle catalogue {path}: model {entry.code} is listed twice")
        problems = _problems(entry)
        if problems:
            raise CatalogueError(
                f"vehicle catalogue {path}: model {entry.code}: " + "; ".join(problems)
            )
        models[entry.code] = VehicleModel(
            code=entry.code,
            name=entry.name,
            brand=entry.brand,
            powertrain=entry.powertrain,
            multimedia=frozenset(entry.multimedia),
            markets=frozenset(entry.markets),
            capabilities=frozenset(entry.capabilities),
            climate_minutes=entry.climate_minutes,
            climate_renewals=entry.climate_renewals,
            climate_min_battery_pct=entry.climate_min_battery_pct,
        )
    return Catalogue(models=models)


_CATALOGUE = load_catalogue(DATA_FILE)


def catalogue() -> Catalogue:
    """The shipped catalogue, loaded once when the module was imported."""
    return _CATALOGUE
