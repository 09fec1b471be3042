"""What the wallet API takes and returns. Nothing here can carry a card number or a security
code: the owner types those into the provider's page, never into the platform."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import pycountry
from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints, field_validator

from linkplus.kit.parsing import display_text
from linkplus.models.payments import PaymentCard
from linkplus.payments import card_rules
from linkplus.payments.wire import ReturnUrl


def _line(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


# The lines of an address are printed on invoices that staff read: no hidden characters.
_Name = Annotated[str, _line(200), display_text()]
_Postcode = Annotated[str, _line(20), display_text()]
_City = Annotated[str, _line(100), display_text()]

# Stated in the OpenAPI, so a country the schema offers is one the validator takes.
_COUNTRY_CODES: list[JsonValue] = [
    country.alpha_2 for country in sorted(pycountry.countries, key=lambda c: c.alpha_2)
]


class BillingAddress(BaseModel):
    """The card holder's billing address; every field is required."""

    model_config = ConfigDict(extra="forbid")

    name: _Name
    street: _Name
    postcode: _Postcode
    city: _City
    country: str = Field(
        description="ISO 3166-1 alpha-2 code, e.g. DE",
        json_schema_extra={"enum": _COUNTRY_CODES},
    )

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        code = value.strip().upper()
        if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
            raise ValueError("use the two-letter ISO country code, e.g. DE")
        return code


class CardSessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    return_url: ReturnUrl | None = Field(
        default=None,
        description="Where the provider's page sends the browser back with the token; an "
        "address on this platform. Default: the web app's wallet page.",
    )


class CardSessionOut(BaseModel):
    session_id: str
    url: str = Field(description="The payment provider's page where the card is entered.")
    expires_at: datetime
    return_url: str


class AddCardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=128, description="From the provider's page.")
    billing_address: BillingAddress


class CardOut(BaseModel):
    id: uuid.UUID
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    is_primary: bool
    expired: bool
    expires_soon: bool = Field(description="Expires within 30 days: add a new card in time.")
    billing_address: BillingAddress
    added_at: datetime

    @classmethod
    def of(cls, card: PaymentCard, now: datetime) -> CardOut:
        return cls(
            id=card.id,
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
            is_primary=card.is_primary,
            expired=card_rules.is_expired(card.exp_month, card.exp_year, now),
            expires_soon=card_rules.expires_soon(card.exp_month, card.exp_year, now),
            # As stored (checked when it was entered): an address kept from before a rule
            # was tightened is still shown, not refused.
            billing_address=BillingAddress.model_construct(
                name=card.billing_name,
                street=card.billing_street,
                postcode=card.billing_postcode,
                city=card.billing_city,
                country=card.billing_country,
            ),
            added_at=card.added_at,
        )
