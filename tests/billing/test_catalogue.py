"""Prices per market and plan, free periods, trials and what a car may buy (pure)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from linkplus.billing.anchors import Plan
from linkplus.billing.catalogue import (
    DATA_FILE,
    OfferRefusal,
    PriceCatalogueError,
    complimentary_until,
    complimentary_years,
    load_prices,
    offer,
    offers,
    price_catalogue,
    shows_on_head_unit,
    trial_available,
    trial_months,
    vat_rate,
)
from linkplus.connected_services.availability import VehicleFacts
from linkplus.connected_services.catalogue import PackageKind, service_catalogue
from linkplus.kit.money import Money
from linkplus.vehicles.catalogue import catalogue

TODAY = date(2026, 11, 21)
SOLD = ["standard", "svt", "remote", "smart", "map_care", "service_pack"]


def car(
    code: str = "NX350H",
    *,
    market: str = "DE",
    multimedia: str | None = "mm21",
    delivered: date | None = date(2024, 3, 1),
) -> VehicleFacts:
    model = catalogue().get(code)
    assert model is not None
    return VehicleFacts(
        model=model,
        market=market,
        multimedia=multimedia,
        first_delivery_date=delivered,
        telematics_unit=True,
    )


@pytest.mark.parametrize(
    ("country", "currency", "rate"),
    [
        ("DE", "EUR", "0.19"),
        ("AT", "EUR", "0.20"),
        ("FR", "EUR", "0.20"),
        ("NL", "EUR", "0.21"),
        ("CY", "EUR", "0.19"),
        ("GB", "GBP", "0.20"),
        ("AU", "AUD", "0.10"),
    ],
)
def test_required_markets_with_their_currency_and_vat(
    country: str, currency: str, rate: str
) -> None:
    market = price_catalogue().market(country)
    assert market is not None
    assert market.currency == currency
    assert market.vat_rate == Decimal(rate)
    assert vat_rate(country) == Decimal(rate)
    for package in market.packages.values():
        assert set(package.prices) == set(Plan)
        for price in package.prices.values():
            assert price.currency == currency
            assert price.is_positive


def test_every_market_of_the_model_catalogue_has_prices() -> None:
    sold_in = {m for model in catalogue().models.values() for m in model.markets}
    assert sold_in <= set(price_catalogue().markets)
    assert vat_rate("US") is None


def test_packages_are_the_services_catalogues_and_safety_is_never_sold() -> None:
    services = service_catalogue()
    for market in price_catalogue().markets.values():
        assert set(market.packages) <= set(services.packages)
        assert "safety" not in market.packages
    assert services.packages["safety"].kind is PackageKind.always_on


def test_service_pack_is_sold_as_one_month_one_year_or_four_years() -> None:
    prices = price_catalogue()
    for country in prices.markets:
        monthly = prices.price(country, "service_pack", Plan.monthly)
        yearly = prices.price(country, "service_pack", Plan.yearly)
        four = prices.price(country, "service_pack", Plan.four_yearly)
        assert monthly is not None
        assert yearly is not None
        assert four is not None
        assert monthly < yearly < four  # a longer plan costs more in total…
        assert four < yearly * 4
        assert yearly < monthly * 12
    assert prices.price("DE", "remote", Plan.yearly) == Money.of("59.00", "EUR")
    assert prices.price("US", "remote", Plan.yearly) is None


@pytest.mark.parametrize(
    ("package", "multimedia", "years"),
    [
        ("standard", "mm18", 10),
        ("standard", None, 10),
        ("standard", "mm21", 4),  # Smart Connect
        ("svt", "mm21", 3),
        ("map_care", "mm18", 4),
        ("service_pack", "mm21", 4),
        ("remote", "mm21", None),  # trial only
        ("smart", "mm21", None),
        ("safety", None, None),
    ],
)
def test_complimentary_years(package: str, multimedia: str | None, years: int | None) -> None:
    assert complimentary_years(package, multimedia) == years


def test_complimentary_period_runs_from_first_delivery() -> None:
    assert complimentary_until("svt", first_delivery=date(2023, 5, 1), multimedia="mm18") == (
        date(2026, 5, 1)
    )
    assert complimentary_until(
        "standard", first_delivery=date(2024, 2, 29), multimedia="mm21"
    ) == date(2028, 2, 29)
    leap_to_common = complimentary_until("svt", first_delivery=date(2024, 2, 29), multimedia=None)
    assert leap_to_common == date(2027, 2, 28)
    assert complimentary_until("svt", first_delivery=None, multimedia=None) is None
    assert complimentary_until("remote", first_delivery=date(2024, 1, 1), multimedia=None) is None


def test_trials_and_head_unit_packages() -> None:
    assert trial_months("remote") == 1
    assert trial_months("smart") == 1
    assert trial_months("standard") == 0
    assert trial_months("map_care") == 0
    assert shows_on_head_unit("map_care")
    assert shows_on_head_unit("service_pack")
    assert shows_on_head_unit("smart")
    assert not shows_on_head_unit("remote")


def test_trial_once_per_customer_and_once_per_car() -> None:
    assert trial_available("remote", customer_trial_packages=(), car_trial_packages=())
    # this customer had a remote trial on another car
    assert not trial_available("remote", customer_trial_packages={"remote"}, car_trial_packages=())
    # this car had a remote trial with a previous owner
    assert not trial_available("remote", customer_trial_packages=(), car_trial_packages={"remote"})
    # a trial of another package does not count
    assert trial_available("remote", customer_trial_packages={"smart"}, car_trial_packages=())
    # packages with a complimentary period have no one-month trial
    assert not trial_available("svt", customer_trial_packages=(), car_trial_packages=())


def test_offer_for_a_package_with_trial() -> None:
    found = offer("remote", car(), today=TODAY)
    assert found.purchasable
    assert found.refusal is None
    assert found.trial_months == 1
    assert found.tax_name == "MwSt."
    yearly = next(p for p in found.plans if p.plan is Plan.yearly)
    assert yearly.price.gross == Money.of("59.00", "EUR")
    assert yearly.price.vat == Money.of("9.42", "EUR")  # 59.00 × 19 / 119 = 9.420…
    assert yearly.price.net == Money.of("49.58", "EUR")
    used = offer("remote", car(), today=TODAY, customer_trial_packages={"remote"})
    assert used.purchasable
    assert used.trial_months == 0


def test_purchase_only_after_the_complimentary_period() -> None:
    during = offer("standard", car(), today=TODAY)
    assert not during.purchasable
    assert during.refusal is OfferRefusal.complimentary_period_running
    assert during.complimentary_until == date(2028, 3, 1)  # 4 years: MM21 Smart Connect
    assert "2028-03-01" in (during.message or "")
    assert during.plans  # the prices that will apply are shown
    after = offer("standard", car(), today=date(2028, 3, 1))
    assert after.purchasable
    assert after.trial_months == 0
    svt = offer("svt", car(delivered=date(2022, 6, 1)), today=TODAY)
    assert svt.purchasable  # three years are over


def test_availability_comes_from_the_services_catalogue() -> None:
    old_multimedia = offer("smart", car("UX250H", multimedia="mm18"), today=TODAY)
    assert old_multimedia.refusal is OfferRefusal.package_not_available
    assert "MM21" in (old_multimedia.message or "")
    ordered = offer("remote", car(delivered=None), today=TODAY)
    assert ordered.refusal is OfferRefusal.package_not_available
    assert "delivered" in (ordered.message or "")
    no_remote = offer("remote", car("CT200H", multimedia="mm18"), today=TODAY)
    assert no_remote.refusal is OfferRefusal.package_not_available


def test_market_and_purchase_date_rules() -> None:
    assert offer("remote", car(market="CH"), today=TODAY).refusal is (
        OfferRefusal.market_not_served
    )
    early = offer("smart", car(market="CY"), today=date(2024, 12, 31))
    assert early.refusal is OfferRefusal.not_on_sale_yet
    assert offer("smart", car(market="CY"), today=date(2025, 1, 1)).purchasable
    old_car = offer("smart", car(market="AU", delivered=date(2022, 12, 31)), today=TODAY)
    assert old_car.refusal is OfferRefusal.vehicle_too_old
    assert offer("smart", car(market="AU", delivered=date(2023, 1, 1)), today=TODAY).purchasable
    assert offer("safety", car(), today=TODAY).refusal is OfferRefusal.package_not_sold
    assert offer("nonsense", car(), today=TODAY).refusal is OfferRefusal.package_not_sold


def test_offers_lists_every_sold_package_in_catalogue_order() -> None:
    listed = offers(car(), today=TODAY, car_trial_packages={"smart"})
    assert [o.package for o in listed] == SOLD
    by_code = {o.package: o for o in listed}
    assert by_code["smart"].purchasable
    assert by_code["smart"].trial_months == 0
    assert by_code["remote"].trial_months == 1


# ---- the file is checked at start-up -----------------------------------------------------------


def _write(tmp_path: Path, change: Any) -> Path:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _price(data: dict[str, Any], value: str) -> None:
    data["markets"]["DE"]["packages"]["remote"]["prices"]["monthly"] = value


BROKEN = {
    "safety is sold": lambda d: d["markets"]["DE"]["packages"].update(
        {"safety": {"prices": {"monthly": "1.00"}}}
    ),
    "unknown package": lambda d: d["markets"]["DE"]["packages"].update(
        {"teleport": {"prices": {"monthly": "1.00"}}}
    ),
    "three decimals": lambda d: _price(d, "5.999"),
    "zero price": lambda d: _price(d, "0.00"),
    "float-looking nonsense": lambda d: _price(d, "five"),
    "unknown currency": lambda d: d["markets"]["DE"].update({"currency": "EUX"}),
    "vat of 100 %": lambda d: d["markets"]["DE"].update({"vat_rate": "1"}),
    "vat not a number": lambda d: d["markets"]["DE"].update({"vat_rate": "x"}),
    "bad country": lambda d: d["markets"].update({"XX": d["markets"]["DE"]}),
    "bad locale": lambda d: d["markets"]["DE"].update({"locale": "zz_QQ"}),
    "second complimentary rule": lambda d: d["complimentary"].update(
        {"standard": {"years": 5, "years_by_multimedia": {}}}
    ),
    "trial for a complimentary package": lambda d: d["trial_months"].update({"map_care": 1}),
    "two-month trial": lambda d: d["trial_months"].update({"remote": 2}),
    "unknown head-unit package": lambda d: d["head_unit_packages"].append("teleport"),
    "unknown field": lambda d: d.update({"discounts": {}}),
    "no plans": lambda d: d["markets"]["DE"]["packages"]["remote"].update({"prices": {}}),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_wrong_price_file_stops_the_start(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, BROKEN[name])
    with pytest.raises(PriceCatalogueError):
        load_prices(path, service_catalogue())


def test_the_shipped_file_loads_and_a_changed_copy_is_read(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda d: _price(d, "6.49"))
    loaded = load_prices(path, service_catalogue())
    assert loaded.price("DE", "remote", Plan.monthly) == Money.of("6.49", "EUR")
    assert dataclasses.asdict(load_prices(DATA_FILE, service_catalogue())) == dataclasses.asdict(
        price_catalogue()
    )
