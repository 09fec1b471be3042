"""Which connected services a car can have, and in which state each one is. Pure.

A service is available when the car has been delivered, has a telematics unit, is sold in its
market, has every capability the service needs in that market, and has a powertrain and multimedia
generation the service is made for. The checks run in that order and the first one that fails is
the reason given, so the owner reads the most basic cause.

Complimentary periods run from the car's first delivery, not from activation: a second owner gets
what is left of them (seed 004). They end on the anniversary of the first delivery at 00:00 UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum

import pycountry

from linkplus.connected_services.catalogue import Package, PackageKind, Service, ServiceCatalogue
from linkplus.vehicles.catalogue import (
    MULTIMEDIA_LABELS,
    POWERTRAIN_LABELS,
    VehicleModel,
    market_capabilities,
)


class Reason(StrEnum):
    not_delivered = "not_delivered"
    no_telematics_unit = "no_telematics_unit"
    market_not_supported = "market_not_supported"
    model_not_capable = "model_not_capable"
    market_restricted = "market_restricted"
    powertrain_not_supported = "powertrain_not_supported"
    multimedia_not_supported = "multimedia_not_supported"


class ServiceState(StrEnum):
    not_available = "not_available"
    inactive = "inactive"
    active = "active"
    expired = "expired"  # the complimentary period is over
    paid_package = "paid_package"  # comes with a paid subscription


@dataclass(frozen=True)
class VehicleFacts:
    """What availability depends on, taken from the registry and the model catalogue."""

    model: VehicleModel
    market: str
    multimedia: str | None
    first_delivery_date: date | None  # None: ordered, not delivered yet
    telematics_unit: bool


@dataclass(frozen=True)
class Availability:
    service: Service
    package: Package
    available: bool
    reason: Reason | None
    message: str | None
    complimentary_until: date | None  # complimentary packages of delivered cars


def add_years(day: date, years: int) -> date:
    """The anniversary ``years`` later; 29 February falls back to 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def complimentary_until(package: Package, facts: VehicleFacts) -> date | None:
    """The day the complimentary period ends (exclusive), or None if there is none (yet)."""
    years = package.complimentary_years_for(facts.multimedia)
    if years is None or facts.first_delivery_date is None:
        return None
    return add_years(facts.first_delivery_date, years)


def end_of_period(day: date) -> datetime:
    """The instant a period ending on ``day`` is over: 00:00 UTC that day."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def _country(market: str) -> str:
    country = pycountry.countries.get(alpha_2=market)
    return str(country.name) if country is not None else market


def _refusal(service: Service, facts: VehicleFacts, today: date) -> tuple[Reason, str] | None:
    model = facts.model
    if facts.first_delivery_date is None or facts.first_delivery_date > today:
        return Reason.not_delivered, (
            "This car has not been delivered yet. Connected services become available from its "
            "first delivery."
        )
    if not facts.telematics_unit:
        return Reason.no_telematics_unit, (
            "This car has no telematics unit, so it cannot use connected services."
        )
    if facts.market not in model.markets:
        return Reason.market_not_supported, (
            f"Connected services for the {model.name} are not offered in "
            f"{_country(facts.market)}, where this car is registered."
        )
    if not service.capabilities <= model.capabilities:
        return Reason.model_not_capable, (
            f"The {model.name} does not have the equipment for {service.name.lower()}."
        )
    if not service.capabilities <= market_capabilities(model, facts.market):
        return Reason.market_restricted, (
            f"{service.name} starts the engine, which the law in {_country(facts.market)} does "
            "not allow for petrol, diesel and hybrid cars. Plug-in hybrid and electric cars "
            "have it there."
        )
    if service.powertrains and model.powertrain not in service.powertrains:
        kinds = ", ".join(POWERTRAIN_LABELS[p] for p in sorted(service.powertrains))
        return Reason.powertrain_not_supported, (f"{service.name} is for these cars only: {kinds}.")
    if service.multimedia and facts.multimedia not in {m.value for m in service.multimedia}:
        systems = " or ".join(MULTIMEDIA_LABELS[m] for m in sorted(service.multimedia))
        return Reason.multimedia_not_supported, (
            f"{service.name} needs the {systems} multimedia system."
        )
    return None


def availability(
    service: Service, facts: VehicleFacts, *, today: date, services: ServiceCatalogue
) -> Availability:
    package = services.packages[service.package]
    refusal = _refusal(service, facts, today)
    return Availability(
        service=service,
        package=package,
        available=refusal is None,
        reason=refusal[0] if refusal else None,
        message=refusal[1] if refusal else None,
        complimentary_until=complimentary_until(package, facts),
    )


def availability_for(
    facts: VehicleFacts, *, today: date, services: ServiceCatalogue
) -> list[Availability]:
    """Every service of the catalogue for this car, in catalogue order."""
    return [availability(s, facts, today=today, services=services) for s in services.services]


def package_available(
    package: str, facts: VehicleFacts, *, today: date, services: ServiceCatalogue
) -> bool:
    """A package can be activated for a car when at least one of its services is available."""
    return any(
        availability(s, facts, today=today, services=services).available
        for s in services.services_of(package)
    )


def state_of(found: Availability, *, activation_active: bool, today: date) -> ServiceState:
    """The state the Connected Services Centre shows for one service."""
    if not found.available:
        return ServiceState.not_available
    if found.package.kind is PackageKind.always_on:
        return ServiceState.active
    if found.package.kind is PackageKind.paid:
        return ServiceState.paid_package
    if found.complimentary_until is not None and found.complimentary_until <= today:
        return ServiceState.expired
    return ServiceState.active if activation_active else ServiceState.inactive
