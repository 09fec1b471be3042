"""The dealer directory: data shipped in ``data/dealers.json``, loaded and checked at import.

Pure: searching and distances take values and return values.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pycountry
from pydantic import BaseModel, ConfigDict, Field, ValidationError

DATA_FILE = Path(__file__).parent / "data" / "dealers.json"
EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)


class DirectoryError(ValueError):
    """The directory file is wrong. The message names the file and the entry."""


@dataclass(frozen=True)
class Dealer:
    id: str
    name: str
    address: str
    city: str
    country: str
    lat: float
    lon: float
    phone: str
    email: str


@dataclass(frozen=True)
class DealerHit:
    """A search result; ``distance_km`` is set when the search was by position."""

    dealer: Dealer
    distance_km: float | None


class _DealerEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9-]{3,32}$")
    name: str = Field(min_length=1, max_length=120)
    address: str = Field(min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    phone: str = Field(pattern=r"^\+[0-9 ]{6,20}$")
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]+$")


class _DirectoryFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    comment: str = Field(default="", alias="_comment")
    dealers: list[_DealerEntry] = Field(min_length=1)


def load_directory(path: Path) -> dict[str, Dealer]:
    """Read and check the directory file; raise DirectoryError saying what is wrong and where."""
    try:
        parsed = _DirectoryFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError) as exc:
        raise DirectoryError(f"dealer directory {path} cannot be loaded: {exc}") from exc
    dealers: dict[str, Dealer] = {}
    for entry in parsed.dealers:
        if entry.id in dealers:
            raise DirectoryError(f"dealer directory {path}: dealer {entry.id} is listed twice")
        if pycountry.countries.get(alpha_2=entry.country) is None:
            raise DirectoryError(
                f"dealer directory {path}: dealer {entry.id}: unknown country {entry.country!r}"
            )
        dealers[entry.id] = Dealer(**entry.model_dump())
    return dealers


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points in degrees, in km."""
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def search(
    dealers: list[Dealer],
    *,
    name: str | None = None,
    near: tuple[float, float] | None = None,
    country: str | None = None,
    limit: int = 20,
) -> list[DealerHit]:
    """Filter by name or city (case-insensitive part of it) and country; nearest first when a
    position is given, otherwise by name."""
    wanted = name.strip().casefold() if name else ""
    country_code = country.strip().upper() if country else ""
    found = [
        dealer
        for dealer in dealers
        if (not wanted or wanted in dealer.name.casefold() or wanted in dealer.city.casefold())
        and (not country_code or dealer.country == country_code)
    ]
    if near is None:
        found.sort(key=lambda dealer: (dealer.name.casefold(), dealer.id))
        return [DealerHit(dealer, None) for dealer in found[:limit]]
    hits = [DealerHit(dealer, haversine_km(near, (dealer.lat, dealer.lon))) for dealer in found]
    hits.sort(key=lambda hit: (hit.distance_km, hit.dealer.id))
    return hits[:limit]


_DIRECTORY = load_directory(DATA_FILE)


def directory() -> dict[str, Dealer]:
    """The shipped directory by dealer id, loaded once when the module was imported."""
    return _DIRECTORY
