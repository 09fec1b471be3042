"""What the subscriptions API takes and answers. Amounts are minor units with their currency
and a ``display`` text formatted for the car's market."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from linkplus.billing.anchors import Plan
from linkplus.jobs import JobPayload
from linkplus.kit.money import Money, format_money
from linkplus.kit.parsing import display_text
from linkplus.payments.schemas import BillingAddress


class AmountOut(BaseModel):
    minor: int
    currency: str
    display: str

    @classmethod
    def of(cls, amount: Money, locale: str) -> AmountOut:
        return cls(
            minor=amount.minor, currency=amount.currency, display=format_money(amount, locale)
        )


class PlanPriceOut(BaseModel):
    plan: Plan
    price: AmountOut = Field(description="Charged per period, VAT included.")
    net: AmountOut
    vat: AmountOut


class OfferOut(BaseModel):
    package: str
    name: str
    purchasable: bool
    reason: str | None = Field(description="Why it cannot be bought now (stable code).")
    message: str | None
    available_from: date | None = Field(
        description="When buying becomes possible: the end of the complimentary period or trial."
    )
    plans: list[PlanPriceOut]
    tax_name: str | None
    vat_rate: str | None
    trial: bool = Field(description="Buying now starts with the one-month free trial.")
    first_payment_on: date | None = Field(description="With the trial: one month from today.")
    complimentary_until: date | None


class OffersOut(BaseModel):
    vin: str
    market: str
    currency: str | None
    offers: list[OfferOut]


class SubscribeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    package: str = Field(min_length=1, max_length=32)
    plan: Plan
    billing_address: BillingAddress
    card_id: uuid.UUID | None = Field(
        default=None,
        description="A card of your wallet; it becomes your primary card, which pays every "
        "subscription. Default: the primary card.",
    )
    refer_dealer_id: str | None = Field(
        default=None,
        max_length=32,
        description="Optional: the dealer to refer the purchase to (see GET /api/v1/dealers).",
    )
    payment_reminders: bool = Field(
        default=False, description="A reminder 14 days before each yearly or 4-year payment."
    )


class SubscriptionOut(BaseModel):
    id: uuid.UUID
    vin: str
    package: str
    name: str
    kind: str
    plan: Plan | None
    status: str
    auto_renew: bool
    payment_reminders: bool
    activated_on: date
    price: AmountOut | None
    trial_ends_on: date | None
    next_payment_on: date | None
    service_ends_on: date | None
    end_reason: str | None


class SubscribeOut(BaseModel):
    subscription: SubscriptionOut
    charged: AmountOut | None = Field(description="Charged now (no trial).")
    invoice_id: uuid.UUID | None
    first_payment_on: date | None
    message: str


class StatusLineOut(BaseModel):
    package: str
    name: str
    state: str = Field(
        description="active, cancelled (runs until ends_on), not_activated (complimentary, "
        "switched on in the Connected Services Centre), trial_available, available, expired"
    )
    status: str | None
    subscription_id: uuid.UUID | None
    plan: Plan | None
    ends_on: date | None = Field(description="When the service stops (if it does).")
    next_payment_on: date | None
    next_payment: AmountOut | None
    complimentary_until: date | None


class StatusOut(BaseModel):
    vin: str
    packages: list[StatusLineOut]


class SubscriptionUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    auto_renew: bool | None = None
    payment_reminders: bool | None = None
    plan: Plan | None = Field(
        default=None, description="Not changeable: cancel first (answered with 409)."
    )


class CancelOut(BaseModel):
    subscription: SubscriptionOut
    rule: str = Field(description="The refund rule applied (stable code).")
    explanation: str
    service_ends_on: date = Field(description="The first day without the service.")
    ends_immediately: bool
    refund: AmountOut
    months_used: int | None
    months_refunded: int | None


class StaffCancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, display_text(multiline=True)] = Field(min_length=3, max_length=500)


class ChargeOut(BaseModel):
    period: int
    attempt: int
    amount: AmountOut
    due_on: date
    state: str
    decline_reason: str | None
    provider_charge_id: str | None
    invoice_id: uuid.UUID | None
    settled_on: date | None


class RefundOut(BaseModel):
    period: int
    amount: AmountOut
    rule: str
    state: str
    provider_refund_id: str | None
    credit_note_id: uuid.UUID | None
    settled_on: date | None


class StaffSubscriptionOut(SubscriptionOut):
    charges: list[ChargeOut]
    refunds: list[RefundOut]


class StaffSubscriptionsOut(BaseModel):
    account_id: uuid.UUID
    subscriptions: list[StaffSubscriptionOut]


# --- job payloads (the tasks are in ``tasks.py``) --------------------------------------------


class SettleJob(JobPayload):
    """Pay out a refund (or settle a charge) that a request recorded."""

    task: ClassVar[str] = "subscriptions.settle"
    max_attempts: ClassVar[int] = 20
    subscription_id: uuid.UUID
