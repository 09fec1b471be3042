"""What each car may buy, at which price: ``data/prices.json`` on top of the services catalogue.

The packages are the Connected Services Centre's own (``linkplus.connected_services``): this
module adds prices per market and plan (VAT included, in the market's currency), the VAT rate of
each country, and the free periods the services catalogue does not hold. Whether a car can have a
package at all (delivered, telematics unit, model capabilities, market law, multimedia
generation) is answered by ``linkplus.connected_services.availability``, not repeated here. Pure;
the file is loaded and checked once, at import, so a wrong price stops the program at start-up.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path

import pycountry
from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from linkplus.billing.anchors import Plan
from linkplus.billing.vat import VatSplit, split_gross
from linkplus.connected_services.availability import VehicleFacts, add_years, availability
from linkplus.connected_services.catalogue import PackageKind, ServiceCatalogue, service_catalogue
from linkplus.kit.money import Money, MoneyError, currency_exponent
from linkplus.vehicles.catalogue import Multimedia

DATA_FILE = Path(__file__).parent / "data" / "prices.json"


class PriceCatalogueError(ValueError):
    """``prices.json`` is wrong; the message names the entry."""


@dataclass(frozen=True)
class ComplimentaryRule:
    years: int
    years_by_multimedia: dict[str, int]

    def years_for(self, multimedia: str | None) -> int:
        if multimedia is not None and multimedia in self.years_by_multimedia:
            return self.years_by_multimedia[multimedia]
        return self.years


@dataclass(frozen=True)
class MarketPackage:
    package: str
    prices: dict[Plan, Money]  # VAT included; only the plans offered
    on_sale_from: date | None  # no purchase before this day in this market
    delivered_from: date | None  # cars first delivered before this day cannot have it here


@dataclass(frozen=True)
class Market:
    country: str  # ISO 3166 alpha-2
    currency: str  # ISO 4217
    vat_rate: Decimal
    tax_name: str  # as printed on invoices: "MwSt.", "TVA", "GST"
    locale: str  # for formatting amounts
    packages: dict[str, MarketPackage]


@dataclass(frozen=True)
class PriceCatalogue:
    markets: dict[str, Market]
    complimentary: dict[str, ComplimentaryRule]  # those services.json does not hold
    trial_months: dict[str, int]
    head_unit_packages: frozenset[str]

    def market(self, country: str) -> Market | None:
        return self.markets.get(country)

    def price(self, country: str, package: str, plan: Plan) -> Money | None:
        market = self.markets.get(country)
        entry = market.packages.get(package) if market else None
        return entry.prices.get(plan) if entry else None


class _MarketPackageEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    prices: dict[Plan, str] = Field(min_length=1)
    on_sale_from: date | None = None
    delivered_from: date | None = None


class _MarketEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: str
    vat_rate: str
    tax_name: str = Field(min_length=1)
    locale: str
    packages: dict[str, _MarketPackageEntry] = Field(min_length=1)


class _ComplimentaryEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    years: int = Field(ge=1, le=20)
    years_by_multimedia: dict[Multimedia, int]


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    comment: str = Field(default="", alias="_comment")
    complimentary: dict[str, _ComplimentaryEntry]
    trial_months: dict[str, int]
    head_unit_packages: list[str]
    markets: dict[str, _MarketEntry] = Field(min_length=1)


def _vat_rate(path: Path, country: str, text: str) -> Decimal:
    try:
        rate = Decimal(text)
    except InvalidOperation as exc:
        raise PriceCatalogueError(f"{path}: {country}: vat_rate {text!r} is not a number") from exc
    if not rate.is_finite() or rate < 0 or rate >= 1:
        raise PriceCatalogueError(f"{path}: {country}: vat_rate {text} is not between 0 and 1")
    return rate


def _market(path: Path, country: str, entry: _MarketEntry, services: ServiceCatalogue) -> Market:
    if country != country.upper() or pycountry.countries.get(alpha_2=country) is None:
        raise PriceCatalogueError(f"{path}: {country} is not an ISO 3166 country code")
    try:
        currency_exponent(entry.currency)
        Locale.parse(entry.locale)
    except (MoneyError, UnknownLocaleError, ValueError) as exc:
        raise PriceCatalogueError(f"{path}: {country}: {exc}") from exc
    packages: dict[str, MarketPackage] = {}
    for code, item in entry.packages.items():
        package = services.package(code)
        if package is None or package.kind is PackageKind.always_on:
            raise PriceCatalogueError(f"{path}: {country}: {code} is not a package that is sold")
        prices: dict[Plan, Money] = {}
        for plan, text in item.prices.items():
            try:
                price = Money.of(text, entry.currency)
            except MoneyError as exc:
                raise PriceCatalogueError(f"{path}: {country}/{code}/{plan}: {exc}") from exc
            if not price.is_positive:
                raise PriceCatalogueError(f"{path}: {country}/{code}/{plan}: price must be > 0")
            prices[plan] = price
        packages[code] = MarketPackage(code, prices, item.on_sale_from, item.delivered_from)
    return Market(
        country=country,
        currency=entry.currency,
        vat_rate=_vat_rate(path, country, entry.vat_rate),
        tax_name=entry.tax_name,
        locale=entry.locale,
        packages=packages,
    )


def load_prices(path: Path, services: ServiceCatalogue) -> PriceCatalogue:
    try:
        parsed = _File.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError) as exc:
        raise PriceCatalogueError(f"price catalogue {path} cannot be loaded: {exc}") from exc
    complimentary: dict[str, ComplimentaryRule] = {}
    for code, rule in parsed.complimentary.items():
        package = services.package(code)
        if package is None or package.complimentary_years is not None:
            raise PriceCatalogueError(
                f"{path}: complimentary {code}: only packages without a complimentary period in "
                "services.json get one here (one place per fact)"
            )
        years_by = {m.value: y for m, y in rule.years_by_multimedia.items()}
        complimentary[code] = ComplimentaryRule(rule.years, years_by)
    for code, months in parsed.trial_months.items():
        package = services.package(code)
        if package is None or package.kind is not PackageKind.paid or code in complimentary:
            raise PriceCatalogueError(
                f"{path}: trial_months {code}: trials are for paid packages without a "
                "complimentary period"
            )
        if months != 1:
            raise PriceCatalogueError(f"{path}: trial_months {code}: the trial is one month")
    unknown = [code for code in parsed.head_unit_packages if services.package(code) is None]
    if unknown:
        raise PriceCatalogueError(f"{path}: head_unit_packages: unknown {', '.join(unknown)}")
    markets = {
        country: _market(path, country, entry, services)
        for country, entry in parsed.markets.items()
    }
    return PriceCatalogue(
        markets=markets,
        complimentary=complimentary,
        trial_months=dict(parsed.trial_months),
        head_unit_packages=frozenset(parsed.head_unit_packages),
    )


_PRICES = load_prices(DATA_FILE, service_catalogue())


def price_catalogue() -> PriceCatalogue:
    return _PRICES


def vat_rate(country: str) -> Decimal | None:
    market = _PRICES.market(country)
    return market.vat_rate if market else None


def complimentary_years(package: str, multimedia: str | None) -> int | None:
    """Years free from first delivery: the services catalogue's, else the price catalogue's."""
    found = service_catalogue().package(package)
    if found is not None and found.complimentary_years is not None:
        return found.complimentary_years_for(multimedia)
    rule = _PRICES.complimentary.get(package)
    return rule.years_for(multimedia) if rule else None


def complimentary_until(
    package: str, *, first_delivery: date | None, multimedia: str | None
) -> date | None:
    """The first day the complimentary period no longer covers (the vehicle anniversary).

    Counted from the car's first delivery (warranty start), whoever owns it now: a second owner
    gets what is left (seed 004). None when the package has no such period or the car has not
    been delivered.
    """
    years = complimentary_years(package, multimedia)
    if years is None or first_delivery is None:
        return None
    return add_years(first_delivery, years)


def trial_months(package: str) -> int:
    """1 for packages that start with a one-month trial from activation, else 0."""
    return _PRICES.trial_months.get(package, 0)


def shows_on_head_unit(package: str) -> bool:
    """Multimedia packages whose end is also announced on the car's screen (30 days before)."""
    return package in _PRICES.head_unit_packages


def trial_available(
    package: str, *, customer_trial_packages: Collection[str], car_trial_packages: Collection[str]
) -> bool:
    """Whether starting ``package`` now comes with the one-month trial.

    Once per package, per customer AND per car: no trial if this customer ever had a trial of
    the package on any car, nor if this car ever had one by any customer (docs/billing.md).
    """
    if trial_months(package) == 0:
        return False
    return package not in customer_trial_packages and package not in car_trial_packages


class OfferRefusal(StrEnum):
    package_not_sold = "package_not_sold"
    market_not_served = "market_not_served"
    package_not_available = "package_not_available"
    not_offered_in_market = "not_offered_in_market"
    not_on_sale_yet = "not_on_sale_yet"
    vehicle_too_old = "vehicle_too_old"
    complimentary_period_running = "complimentary_period_running"


@dataclass(frozen=True)
class PlanOffer:
    plan: Plan
    price: VatSplit  # gross is the price charged, VAT included


@dataclass(frozen=True)
class Offer:
    package: str
    country: str
    purchasable: bool
    refusal: OfferRefusal | None
    message: str | None
    plans: tuple[PlanOffer, ...]  # in plan order; empty when the market does not sell it
    tax_name: str | None
    complimentary_until: date | None
    trial_months: int  # 1 when this purchase starts with the one-month trial


def _refused(package: str, country: str, refusal: OfferRefusal, message: str) -> Offer:
    return Offer(package, country, False, refusal, message, (), None, None, 0)


def offer(
    package: str,
    facts: VehicleFacts,
    *,
    today: date,
    customer_trial_packages: Collection[str] = (),
    car_trial_packages: Collection[str] = (),
) -> Offer:
    """What buying ``package`` for this car today would be: prices, trial, or why not.

    Whether a subscription of the package is already running on the car (plan change only by
    cancelling first) is the lifecycle's question: ``lifecycle.purchase_refusal``.
    """
    services = service_catalogue()
    country = facts.market
    found = services.package(package)
    if found is None or found.kind is PackageKind.always_on:
        return _refused(
            package, country, OfferRefusal.package_not_sold, "This package is not sold."
        )
    market = _PRICES.market(country)
    if market is None:
        return _refused(
            package,
            country,
            OfferRefusal.market_not_served,
            "Subscriptions cannot be bought in the app for cars registered in this country. "
            "Please contact your local customer centre.",
        )
    checks = [
        availability(s, facts, today=today, services=services)
        for s in services.services_of(package)
    ]
    if not any(check.available for check in checks):
        first = checks[0]
        return _refused(
            package, country, OfferRefusal.package_not_available, first.message or "Unavailable."
        )
    entry = market.packages.get(package)
    if entry is None:
        return _refused(
            package,
            country,
            OfferRefusal.not_offered_in_market,
            f"{found.name} is not sold in this country.",
        )
    if entry.on_sale_from is not None and today < entry.on_sale_from:
        return _refused(
            package,
            country,
            OfferRefusal.not_on_sale_yet,
            f"{found.name} goes on sale here on {entry.on_sale_from.isoformat()}.",
        )
    delivered = facts.first_delivery_date
    delivered_from = entry.delivered_from
    if delivered_from is not None and delivered is not None and delivered < delivered_from:
        return _refused(
            package,
            country,
            OfferRefusal.vehicle_too_old,
            f"{found.name} is for cars first delivered on or after {delivered_from.isoformat()}.",
        )
    free_until = complimentary_until(package, first_delivery=delivered, multimedia=facts.multimedia)
    plans = tuple(
        PlanOffer(plan, split_gross(entry.prices[plan], market.vat_rate))
        for plan in Plan
        if plan in entry.prices
    )
    if free_until is not None and today < free_until:
        return Offer(
            package=package,
            country=country,
            purchasable=False,
            refusal=OfferRefusal.complimentary_period_running,
            message=(
                f"{found.name} is complimentary for this car until {free_until.isoformat()}. "
                "You can subscribe once the complimentary period has ended."
            ),
            plans=plans,
            tax_name=market.tax_name,
            complimentary_until=free_until,
            trial_months=0,
        )
    with_trial = trial_available(
        package,
        customer_trial_packages=customer_trial_packages,
        car_trial_packages=car_trial_packages,
    )
    return Offer(
        package=package,
        country=country,
        purchasable=True,
        refusal=None,
        message=None,
        plans=plans,
        tax_name=market.tax_name,
        complimentary_until=free_until,
        trial_months=trial_months(package) if with_trial else 0,
    )


def offers(
    facts: VehicleFacts,
    *,
    today: date,
    customer_trial_packages: Collection[str] = (),
    car_trial_packages: Collection[str] = (),
) -> list[Offer]:
    """An offer for every package that is sold, in the services catalogue's order."""
    return [
        offer(
            code,
            facts,
            today=today,
            customer_trial_packages=customer_trial_packages,
            car_trial_packages=car_trial_packages,
        )
        for code, package in service_catalogue().packages.items()
        if package.kind is not PackageKind.always_on
    ]
