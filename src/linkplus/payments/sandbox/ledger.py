"""The sandbox provider's rules: card sessions, tokens, 3-D Secure, charges and refunds.

It behaves like a card processor as far as the platform can tell: one charge per idempotency key
(a repeated key answers with the first charge, a reused key with another amount is refused),
refunds only against a succeeded charge and never more than is left of it, and off-session
charges only for cards that passed 3-D Secure.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.errors import Conflict, InvalidInput, NotFound
from linkplus.models.payments import (
    SandboxCard,
    SandboxCardSession,
    SandboxChallenge,
    SandboxCharge,
    SandboxFault,
    SandboxRefund,
)
from linkplus.payments import wire
from linkplus.payments.sandbox import repository
from linkplus.payments.sandbox.cards import (
    CHALLENGE_CODE,
    NEEDS_CHALLENGE,
    Behaviour,
    ValidCard,
    expired,
    fingerprint,
)

SESSION_LIFETIME = timedelta(minutes=30)


class ThreeDS(StrEnum):
    pending = "pending"
    authenticated = "authenticated"
    failed = "failed"


class Fault(StrEnum):
    error = "error"  # answer 500 without doing anything
    timeout = "timeout"  # do it, then answer too late


class UnknownAtProvider(NotFound):
    code = "not_found"
    title = "Unknown to the payment provider"


class KeyReused(Conflict):
    code = "idempotency_key_reused"
    title = "This idempotency key was used for another request"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used with different parameters. Use a new key for "
            "a new payment, or repeat the first request exactly."
        )


class RefundRefused(Conflict):
    code = "refund_not_possible"
    title = "This refund is not possible"


class PageExpired(InvalidInput):
    """The tokenisation or challenge page cannot be used (any more)."""

    code = "page_expired"
    title = "This page has expired"


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(18)}"


# --- tokenisation and 3-D Secure -------------------------------------------------------------


async def open_session(
    s: AsyncSession, *, now: datetime, request: wire.CardSessionRequest
) -> SandboxCardSession:
    row = SandboxCardSession(
        id=_id("cs"),
        reference=request.reference,
        return_url=request.return_url,
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
        token=None,
    )
    await repository.add(s, row)
    return row


async def usable_session(s: AsyncSession, *, now: datetime, session_id: str) -> SandboxCardSession:
    row = await repository.card_session(s, session_id)
    if row is None or row.expires_at <= now:
        raise PageExpired("This card page has expired. Go back to the app and start again.")
    if row.token is not None:
        raise PageExpired("A card was already entered on this page. Go back to the app.")
    return row


@dataclass(frozen=True)
class Tokenised:
    card: SandboxCard
    challenge: SandboxChallenge | None
    return_url: str


async def tokenise(
    s: AsyncSession, *, now: datetime, session_id: str, typed: ValidCard, secret: str
) -> Tokenised:
    """Keep the card's public details (never the number or the code) and run 3-D Secure:
    frictionless for most cards, a challenge page for the challenge test cards."""
    page = await usable_session(s, now=now, session_id=session_id)
    card = SandboxCard(
        token=_id("tok"),
        session_id=page.id,
        reference=page.reference,
        brand=typed.brand,
        last4=typed.last4,
        exp_month=typed.exp_month,
        exp_year=typed.exp_year,
        fingerprint=fingerprint(secret, typed.number),
        holder=typed.holder,
        behaviour=typed.behaviour.value,
        three_ds=(
            ThreeDS.pending if typed.behaviour in NEEDS_CHALLENGE else ThreeDS.authenticated
        ).value,
        created_at=now,
    )
    await repository.add(s, card)
    page.token = card.token
    challenge = None
    if card.three_ds == ThreeDS.pending:
        challenge = await _new_challenge(s, now=now, card=card, return_url=page.return_url)
    return Tokenised(card=card, challenge=challenge, return_url=page.return_url)


async def _new_challenge(
    s: AsyncSession, *, now: datetime, card: SandboxCard, return_url: str
) -> SandboxChallenge:
    row = SandboxChallenge(
        id=_id("3ds"), token=card.token, return_url=return_url, created_at=now, completed_at=None
    )
    await repository.add(s, row)
    return row


async def open_challenge(s: AsyncSession, *, now: datetime, challenge_id: str) -> SandboxCard:
    row = await repository.challenge(s, challenge_id)
    if row is None or row.completed_at is not None or row.created_at + SESSION_LIFETIME <= now:
        raise PageExpired("This check has expired or was already answered. Go back to the app.")
    card = await repository.card(s, row.token)
    assert card is not None  # foreign key
    return card


async def answer_challenge(
    s: AsyncSession, *, now: datetime, challenge_id: str, code: str | None
) -> tuple[SandboxCard, str]:
    """One answer per card: the right code passes, a wrong one or a cancel fails the check."""
    card = await open_challenge(s, now=now, challenge_id=challenge_id)
    row = await repository.challenge(s, challenge_id)
    assert row is not None
    row.completed_at = now
    passed = (
        code is not None
        and secrets.compare_digest(code.strip(), CHALLENGE_CODE)
        and card.behaviour != Behaviour.challenge_fails
    )
    card.three_ds = (ThreeDS.authenticated if passed else ThreeDS.failed).value
    await s.flush()
    return card, row.return_url


async def card_for_platform(s: AsyncSession, token: str) -> SandboxCard:
    card = await repository.card(s, token)
    if card is None:
        raise UnknownAtProvider("No card with this token.")
    return card


FORGOTTEN = "forgotten"


async def forget(s: AsyncSession, card: SandboxCard) -> None:
    """The card's holder and details go, and the reference of the session it was typed in (the
    platform's account); the token stays only as the key of the provider's own record of past
    charges (which a provider keeps for its own legal duties), and is unknown to every call
    from now on."""
    typed_in = await repository.card_session(s, card.session_id)
    if typed_in is not None:
        typed_in.reference = ""
    card.holder = ""
    card.fingerprint = ""
    card.last4 = ""
    card.reference = ""
    card.behaviour = FORGOTTEN


async def three_ds(
    s: AsyncSession, *, now: datetime, token: str, return_url: str
) -> tuple[ThreeDS, SandboxChallenge | None]:
    """The card's 3-D Secure outcome; a new challenge if the owner never answered one."""
    card = await card_for_platform(s, token)
    if card.three_ds != ThreeDS.pending:
        return ThreeDS(card.three_ds), None
    challenge = await _new_challenge(s, now=now, card=card, return_url=return_url)
    return ThreeDS.pending, challenge


# --- charges and refunds ---------------------------------------------------------------------


def decide(card: SandboxCard, now: datetime) -> tuple[str, str | None]:
    """The issuer's answer to an off-session charge on ``card``."""
    if card.three_ds != ThreeDS.authenticated:
        return "requires_action", "authentication_required"
    if expired(card.exp_month, card.exp_year, now.date()):
        return "expired_card", "expired_card"
    behaviour = Behaviour(card.behaviour)
    if behaviour is Behaviour.decline:
        return "declined", "do_not_honor"
    if behaviour is Behaviour.insufficient_funds:
        return "insufficient_funds", "insufficient_funds"
    if behaviour is Behaviour.expired_card:
        return "expired_card", "expired_card"
    if behaviour is Behaviour.requires_action:
        return "requires_action", "authentication_required"
    return "succeeded", None


@dataclass(frozen=True)
class ChargeOutcome:
    charge: SandboxCharge | None
    fault: Fault | None = None


def _same_charge(row: SandboxCharge, request: wire.ChargeRequest) -> SandboxCharge:
    if (row.token, row.amount_minor, row.currency) != (
        request.token,
        request.amount_minor,
        request.currency,
    ):
        raise KeyReused()
    return row


async def charge(
    s: AsyncSession, *, now: datetime, key: str, request: wire.ChargeRequest
) -> ChargeOutcome:
    existing, card = await repository.charge_and_card(s, key=key, token=request.token)
    if existing is not None:
        return ChargeOutcome(_same_charge(existing, request))
    if card is None:
        raise UnknownAtProvider("No card with this token.")
    fault = await _flaky_once(s, now=now, key=key, card=card)
    if fault is Fault.error:
        return ChargeOutcome(None, fault)
    status, reason = decide(card, now)
    row = SandboxCharge(
        id=_id("ch"),
        idempotency_key=key,
        token=card.token,
        amount_minor=request.amount_minor,
        currency=request.currency,
        description=request.description,
        status=status,
        decline_reason=reason,
        refunded_minor=0,
        created_at=now,
    )
    if not await repository.insert_charge_once(s, row):
        winner = await repository.charge_by_key(s, key)
        assert winner is not None
        return ChargeOutcome(_same_charge(winner, request))
    return ChargeOutcome(row, fault)


async def _flaky_once(
    s: AsyncSession, *, now: datetime, key: str, card: SandboxCard
) -> Fault | None:
    """The flaky test cards fail the first request of each idempotency key, once."""
    kinds = {Behaviour.flaky_error: Fault.error, Behaviour.flaky_timeout: Fault.timeout}
    kind = kinds.get(Behaviour(card.behaviour))
    if kind is None or await repository.fault_served(s, key):
        return None
    served = SandboxFault(idempotency_key=key, kind=kind.value, served_at=now)
    return kind if await repository.add_once(s, served) else None


def _same_refund(row: SandboxRefund, charge_id: str, request: wire.RefundRequest) -> SandboxRefund:
    if (row.charge_id, row.amount_minor, row.currency) != (
        charge_id,
        request.amount_minor,
        request.currency,
    ):
        raise KeyReused()
    return row


async def refund(
    s: AsyncSession, *, now: datetime, key: str, charge_id: str, request: wire.RefundRequest
) -> tuple[SandboxRefund, SandboxCharge]:
    """Refund to the charge's own card. The charge row is locked, so two refunds of one charge
    are decided one after the other and together never exceed it."""
    original = await repository.charge(s, charge_id, for_update=True)
    if original is None:
        raise UnknownAtProvider("No charge with this id.")
    existing = await repository.refund_by_key(s, key)
    if existing is not None:
        return _same_refund(existing, charge_id, request), original
    if original.status != "succeeded":
        raise RefundRefused("Only a succeeded charge can be refunded.")
    if request.currency != original.currency:
        raise RefundRefused(f"Refund in {original.currency}, the currency of the charge.")
    left = original.amount_minor - original.refunded_minor
    if request.amount_minor > left:
        raise RefundRefused(
            f"Only {left} minor units of this charge are left to refund.", left_minor=left
        )
    row = SandboxRefund(
        id=_id("re"),
        idempotency_key=key,
        charge_id=original.id,
        amount_minor=request.amount_minor,
        currency=request.currency,
        created_at=now,
    )
    if not await repository.add_once(s, row):
        winner = await repository.refund_by_key(s, key)
        assert winner is not None
        return _same_refund(winner, charge_id, request), original
    original.refunded_minor += request.amount_minor
    await s.flush()
    return row, original


def charge_out(row: SandboxCharge) -> wire.ChargeResponse:
    return wire.ChargeResponse(
        id=row.id,
        idempotency_key=row.idempotency_key,
        token=row.token,
        status=row.status,
        decline_reason=row.decline_reason,
        amount_minor=row.amount_minor,
        refunded_minor=row.refunded_minor,
        currency=row.currency,
        created_at=row.created_at,
    )


def refund_out(row: SandboxRefund) -> wire.RefundResponse:
    return wire.RefundResponse(
        id=row.id,
        idempotency_key=row.idempotency_key,
        charge_id=row.charge_id,
        amount_minor=row.amount_minor,
        currency=row.currency,
        created_at=row.created_at,
    )
