"""The selling entity that issues invoices in each market, from ``data/sellers.json``.

Every market the price catalogue sells in must have one: the file is checked at import, so a
market without a seller stops the program at start-up instead of failing at the first charge.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pycountry
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from linkplus.billing.catalogue import price_catalogue

DATA_FILE = Path(__file__).parent / "data" / "sellers.json"


class SellerCatalogueError(ValueError):
    """``sellers.json`` is wrong; the message names the entry."""


class Seller(BaseModel):
    """What an invoice prints about who sells; copied into every document at issue."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    legal_name: str = Field(min_length=1, max_length=200)
    street: str = Field(min_length=1, max_length=200)
    postcode: str = Field(min_length=1, max_length=20)
    city: str = Field(min_length=1, max_length=100)
    country: str = Field(default="", max_length=2)  # filled from the file's key
    vat_id: str = Field(min_length=1, max_length=32)
    registration: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320)

    def snapshot(self) -> dict[str, Any]:
        return self.model_dump()


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    comment: str = Field(default="", alias="_comment")
    sellers: dict[str, Seller]


def load_sellers(path: Path, markets: set[str]) -> dict[str, Seller]:
    try:
        parsed = _File.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError) as exc:
        raise SellerCatalogueError(f"seller file {path} cannot be loaded: {exc}") from exc
    sellers: dict[str, Seller] = {}
    for country, seller in parsed.sellers.items():
        if country != country.upper() or pycountry.countries.get(alpha_2=country) is None:
            raise SellerCatalogueError(f"{path}: {country} is not an ISO 3166 country code")
        sellers[country] = seller.model_copy(update={"country": country})
    missing = sorted(markets - sellers.keys())
    if missing:
        raise SellerCatalogueError(f"{path}: no seller for the markets {', '.join(missing)}")
    return sellers


_SELLERS = load_sellers(DATA_FILE, set(price_catalogue().markets))


def seller_for(country: str) -> Seller | None:
    """The entity selling in ``country``'s market, or None where the platform does not sell."""
    return _SELLERS.get(country)
