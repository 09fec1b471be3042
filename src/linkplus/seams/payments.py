"""The seam between the platform and a payment provider.

Everything the platform needs from a provider, in the platform's words, so another provider can be
plugged in behind the same Protocol. The card number and security code never appear here: the
owner types them into the provider's own page (``create_card_session``) and the platform only ever
sees the token and the card's public details.

Every call may raise ``errors.ProviderUnavailable`` (timeout, no connection, 5xx): it is safe to
repeat, because charges and refunds carry an idempotency key and the provider answers a repeated
key with the first outcome, and ``get_charge``/``get_refund`` find it again after a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from linkplus.kit.money import Money


@dataclass(frozen=True)
class CardSession:
    """A tokenisation page opened at the provider: send the owner's browser to ``url``."""

    id: str
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class CardDetails:
    """What the provider tells about a tokenised card: enough to show it, never enough to use it.

    ``reference`` is what the platform gave when it opened the session, so a token can be tied to
    the account that typed the card in.
    """

    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    fingerprint: str
    reference: str


class ThreeDSStatus(StrEnum):
    authenticated = "authenticated"
    failed = "failed"
    challenge_required = "challenge_required"


@dataclass(frozen=True)
class ThreeDSResult:
    status: ThreeDSStatus
    challenge_url: str | None = None


class ChargeStatus(StrEnum):
    succeeded = "succeeded"
    declined = "declined"
    insufficient_funds = "insufficient_funds"
    expired_card = "expired_card"
    requires_action = "requires_action"


@dataclass(frozen=True)
class ChargeResult:
    """The provider's record of one charge attempt. Only ``succeeded`` moved money; every other
    status is a failed payment the owner has to act on (another card, funds, authentication)."""

    id: str
    status: ChargeStatus
    amount: Money
    refunded: Money
    idempotency_key: str
    created_at: datetime
    decline_reason: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status is ChargeStatus.succeeded


@dataclass(frozen=True)
class RefundResult:
    """Money sent back to the card of ``charge_id`` (the only place a refund may go)."""

    id: str
    charge_id: str
    amount: Money
    idempotency_key: str
    created_at: datetime


class PaymentProvider(Protocol):
    """A card payment provider. ``name`` is stored with each card (which provider's token it is)."""

    name: str

    async def create_card_session(self, *, reference: str, return_url: str) -> CardSession:
        """Open the provider's page where the owner enters the card; it runs 3-D Secure and sends
        the browser to ``return_url`` with ``token=...`` (or ``error=...``)."""
        ...

    async def card_details(self, token: str) -> CardDetails:
        """The public details of a tokenised card. ``ProviderNotFound`` for an unknown token."""
        ...

    async def forget_card(self, token: str) -> None:
        """Delete the card at the provider (the owner's erasure): the token can no longer be
        charged or read. An unknown token counts as already forgotten."""
        ...

    async def three_ds_verify(self, token: str, *, return_url: str) -> ThreeDSResult:
        """The card's 3-D Secure outcome, asked server to server (never trusted from the browser);
        ``challenge_required`` with a page to send the owner to if no check was done yet."""
        ...

    async def charge(
        self, token: str, amount: Money, *, idempotency_key: str, description: str
    ) -> ChargeResult:
        """Charge the card once per ``idempotency_key``: the same key answers with the first
        result; the same key with another amount or card raises ``IdempotencyKeyReused``."""
        ...

    async def refund(self, charge_id: str, amount: Money, *, idempotency_key: str) -> RefundResult:
        """Refund to the card of the original charge. Never more than is left of the charge
        (``RefundNotPossible``); the same key answers with the first refund."""
        ...

    async def get_charge(self, idempotency_key: str) -> ChargeResult | None:
        """The charge made with ``idempotency_key``, if any: how a run that crashed between the
        charge and recording it finds out what happened."""
        ...

    async def get_refund(self, idempotency_key: str) -> RefundResult | None:
        """The refund made with ``idempotency_key``, if any."""
        ...
