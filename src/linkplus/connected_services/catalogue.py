"""Connected services and their packages, shipped as ``data/services.json``.

Loaded and checked once at import, like the vehicle catalogue: a service that names an unknown
capability or package stops the program at start-up. Pure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from linkplus.vehicles.catalogue import Capability, Multimedia, Powertrain

DATA_FILE = Path(__file__).parent / "data" / "services.json"


class PackageKind(StrEnum):
    complimentary = "complimentary"  # free from first delivery for some years; owner activates
    always_on = "always_on"  # safety: on wherever the car is capable, not the owner's switch
    paid = "paid"  # sold as subscriptions (issue 7)


class ServiceCatalogueError(ValueError):
    """``services.json`` is wrong; the message names the entry."""


@dataclass(frozen=True)
class Package:
    code: str
    name: str
    kind: PackageKind
    description: str
    complimentary_years: int | None
    complimentary_years_by_multimedia: dict[Multimedia, int]

    @property
    def owner_can_activate(self) -> bool:
        """Only complimentary packages are switched on in the Connected Services Centre."""
        return self.kind is PackageKind.complimentary

    def complimentary_years_for(self, multimedia: str | None) -> int | None:
        if self.complimentary_years is None:
            return None
        if multimedia is not None:
            for generation, years in self.complimentary_years_by_multimedia.items():
                if generation.value == multimedia:
                    return years
        return self.complimentary_years


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    package: str
    capabilities: frozenset[Capability]
    powertrains: frozenset[Powertrain]  # empty: any powertrain
    multimedia: frozenset[Multimedia]  # empty: any generation, or none


@dataclass(frozen=True)
class ServiceCatalogue:
    packages: dict[str, Package]
    services: tuple[Service, ...]  # in the order the Connected Services Centre lists them

    def service(self, code: str) -> Service | None:
        return next((s for s in self.services if s.code == code), None)

    def package(self, code: str) -> Package | None:
        return self.packages.get(code)

    def services_of(self, package: str) -> tuple[Service, ...]:
        return tuple(s for s in self.services if s.package == package)


class _PackageEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z][a-z_]{1,31}$")
    name: str = Field(min_length=1)
    kind: PackageKind
    description: str
    complimentary_years: int | None = Field(ge=1, le=20)
    complimentary_years_by_multimedia: dict[Multimedia, int]


class _ServiceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z][a-z_]{1,39}$")
    name: str = Field(min_length=1)
    package: str
    capabilities: list[Capability]
    powertrains: list[Powertrain]
    multimedia: list[Multimedia]


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    comment: str = Field(default="", alias="_comment")
    packages: list[_PackageEntry] = Field(min_length=1)
    services: list[_ServiceEntry] = Field(min_length=1)


def load_services(path: Path) -> ServiceCatalogue:
    try:
        parsed = _File.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError) as exc:
        raise ServiceCatalogueError(f"service catalogue {path} cannot be loaded: {exc}") from exc
    packages: dict[str, Package] = {}
    for p in parsed.packages:
        if p.code in packages:
            raise ServiceCatalogueError(f"{path}: package {p.code} is listed twice")
        if (p.kind is PackageKind.complimentary) != (p.complimentary_years is not None):
            raise ServiceCatalogueError(
                f"{path}: package {p.code}: complimentary packages, and only they, "
                "need complimentary_years"
            )
        packages[p.code] = Package(
            code=p.code,
            name=p.name,
            kind=p.kind,
            description=p.description,
            complimentary_years=p.complimentary_years,
            complimentary_years_by_multimedia=dict(p.complimentary_years_by_multimedia),
        )
    services: list[Service] = []
    for s in parsed.services:
        if s.package not in packages:
            raise ServiceCatalogueError(f"{path}: service {s.code}: unknown package {s.package}")
        if any(known.code == s.code for known in services):
            raise ServiceCatalogueError(f"{path}: service {s.code} is listed twice")
        services.append(
            Service(
                code=s.code,
                name=s.name,
                package=s.package,
                capabilities=frozenset(s.capabilities),
                powertrains=frozenset(s.powertrains),
                multimedia=frozenset(s.multimedia),
            )
        )
    empty = [code for code in packages if not any(s.package == code for s in services)]
    if empty:
        raise ServiceCatalogueError(f"{path}: packages without services: {', '.join(empty)}")
    return ServiceCatalogue(packages=packages, services=tuple(services))


_CATALOGUE = load_services(DATA_FILE)


def service_catalogue() -> ServiceCatalogue:
    return _CATALOGUE
