"""The provider's HTTP protocol: the JSON bodies the sandbox serves and the platform's client
reads. Kept in one place so the two sides cannot drift apart.

Amounts travel as integer minor units with their currency. Charges and refunds are created with an
``Idempotency-Key`` header; listing them by that key is how a caller reconciles after a crash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from linkplus.kit.parsing import INT64_MAX, MAX_URL_LENGTH, StrictInt, web_address

IDEMPOTENCY_HEADER = "Idempotency-Key"
# Where the provider sends the browser back: the one web-address rule of ``kit.parsing``, the same
# the wallet checks before it asks the provider, so the two sides cannot read an address apart.
ReturnUrl = Annotated[str, Field(min_length=1, max_length=MAX_URL_LENGTH), web_address()]
# Minor units, at most what either database stores (an unbounded integer overflowed the driver).
Amount = Annotated[int, StrictInt(1, INT64_MAX)]
FAULT_HEADER = (
    "Sandbox-Fault"  # sandbox only: "error" (500, nothing done) or "timeout" (done, late)
)


class CardSessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: str = Field(min_length=1, max_length=200)
    return_url: ReturnUrl


class CardSessionResponse(BaseModel):
    id: str
    url: str
    expires_at: datetime


class CardResponse(BaseModel):
    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    fingerprint: str
    reference: str
    three_ds: str


class CardForgotten(BaseModel):
    """The answer to deleting a card: the provider no longer knows the token."""

    token: str
    forgotten: bool


class ThreeDSRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    return_url: ReturnUrl


class ThreeDSResponse(BaseModel):
    status: str
    challenge_url: str | None = None


class ChargeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=64)
    amount_minor: Amount
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    description: str = Field(default="", max_length=500)


class ChargeResponse(BaseModel):
    id: str
    idempotency_key: str
    token: str
    status: str
    decline_reason: str | None
    amount_minor: int
    refunded_minor: int
    currency: str
    created_at: datetime


class ChargeList(BaseModel):
    data: list[ChargeResponse]


class RefundRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_minor: Amount
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class RefundResponse(BaseModel):
    id: str
    idempotency_key: str
    charge_id: str
    amount_minor: int
    currency: str
    created_at: datetime


class RefundList(BaseModel):
    data: list[RefundResponse]
