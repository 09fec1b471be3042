"""The owner's wallet: adding cards through the provider, the primary card, removal, notices.

Adding a card is two steps because the card number must never reach the platform: the platform
opens a session at the provider (``start_adding_card``) and the owner types the card into the
provider's page, which runs the one-time 3-D Secure check and sends the browser back with a
token; ``add_card`` then asks the provider, server to server, what the token is and whether 3-D
Secure passed, and keeps only the token and the card's public details.

Whether an account has an active paid subscription is known to the subscriptions domain, which
builds on this one; it tells the wallet through ``register_active_paid_subscription_check`` (the
default, with nothing registered, is "no"), so this module never imports it.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.config import Settings
from linkplus.kit.parsing import parse_web_address
from linkplus.models.accounts import Account
from linkplus.models.notifications import Category
from linkplus.models.payments import PaymentCard
from linkplus.notifications import service as notifications
from linkplus.payments import card_rules, repository
from linkplus.payments.client import HttpPaymentProvider
from linkplus.payments.errors import (
    CardBrandNotAccepted,
    CardExpired,
    CardNeededForSubscription,
    CardNotFound,
    CardTokenInvalid,
    DuplicateCard,
    ProviderNotFound,
    ReturnUrlNotAllowed,
    ThreeDSecureFailed,
    ThreeDSecureRequired,
)
from linkplus.payments.schemas import AddCardIn, CardOut, CardSessionIn, CardSessionOut
from linkplus.runtime import Runtime
from linkplus.seams.payments import CardDetails, PaymentProvider, ThreeDSStatus

# --- the subscriptions hook ------------------------------------------------------------------

ActivePaidSubscriptionCheck = Callable[[AsyncSession, uuid.UUID], Awaitable[bool]]
_paid_subscription_checks: list[ActivePaidSubscriptionCheck] = []


def register_active_paid_subscription_check(
    check: ActivePaidSubscriptionCheck,
) -> Callable[[], None]:
    """Tell the wallet how to know whether an account has an active paid subscription.

    The subscriptions module calls this once at import time. Returns a function that takes the
    check away again (for tests).
    """
    _paid_subscription_checks.append(check)

    def unregister() -> None:
        if check in _paid_subscription_checks:
            _paid_subscription_checks.remove(check)

    return unregister


async def has_active_paid_subscription(session: AsyncSession, account_id: uuid.UUID) -> bool:
    """True when any registered check says so; False when none is registered."""
    for check in list(_paid_subscription_checks):
        if await check(session, account_id):
            return True
    return False


# --- the provider ----------------------------------------------------------------------------


def provider(runtime: Runtime) -> PaymentProvider:
    """The provider for this process: the one the runtime was given, or the HTTP adapter for
    the configured provider (by default the sandbox in this app)."""
    if runtime.payments is not None:
        return runtime.payments
    return HttpPaymentProvider.from_settings(runtime.settings)


def card_reference(account_id: uuid.UUID) -> str:
    """What the provider keeps with a card session, so a token can only join this wallet."""
    return f"account:{account_id}"


def default_return_url(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + "/wallet/cards/added"


def _return_url(settings: Settings, requested: str | None) -> str:
    """The provider sends the browser (and the token) here, so only our own addresses.

    Both addresses are read by ``kit.parsing.parse_web_address``, the rule the provider's
    protocol (``wire.ReturnUrl``) applies too; origins are compared as browsers do (scheme, host,
    port with the default filled in)."""
    if requested is None:
        return default_return_url(settings)
    ours = parse_web_address(settings.public_url, field="public_url")
    try:
        theirs = parse_web_address(requested, field="return_url")
    except ValueError as refused:
        raise ReturnUrlNotAllowed(ours.origin_text) from refused
    if theirs.origin != ours.origin:
        raise ReturnUrlNotAllowed(ours.origin_text)
    return theirs.url


# --- the wallet ------------------------------------------------------------------------------


async def list_cards(session: AsyncSession, runtime: Runtime, account: Account) -> list[CardOut]:
    now = runtime.clock.now()
    cards = await repository.active_cards(session, account_id=account.id)
    return [CardOut.of(card, now) for card in cards]


async def primary_card(session: AsyncSession, *, account_id: uuid.UUID) -> PaymentCard | None:
    """The card every subscription payment of the account is charged to (None: no cards)."""
    return await repository.primary_card(session, account_id=account_id)


async def primary_cards(
    session: AsyncSession, *, account_ids: list[uuid.UUID]
) -> dict[uuid.UUID, PaymentCard]:
    """``primary_card`` for many accounts at once (the billing run's chunk): one statement.
    Accounts with no card are not in the answer."""
    return await repository.primary_cards(session, account_ids=sorted(set(account_ids)))


async def start_adding_card(
    runtime: Runtime, account: Account, data: CardSessionIn
) -> CardSessionOut:
    return_url = _return_url(runtime.settings, data.return_url)
    opened = await provider(runtime).create_card_session(
        reference=card_reference(account.id), return_url=return_url
    )
    return CardSessionOut(
        session_id=opened.id, url=opened.url, expires_at=opened.expires_at, return_url=return_url
    )


async def add_card(
    session: AsyncSession, runtime: Runtime, account: Account, data: AddCardIn
) -> CardOut:
    """Keep a card the owner tokenised at the provider, once 3-D Secure has passed.

    The first card is the primary one. Sending the same token again returns the card already
    added (a retried request); the same physical card twice is refused.
    """
    now = runtime.clock.now()
    payments = provider(runtime)
    already = await repository.card_by_token(session, data.token)
    if already is not None:
        if already.account_id != account.id or already.removed_at is not None:
            raise CardTokenInvalid()
        return CardOut.of(already, now)
    details = await _details(payments, data.token, account.id)
    if not card_rules.is_accepted_brand(details.brand):
        raise CardBrandNotAccepted(details.brand)
    if card_rules.is_expired(details.exp_month, details.exp_year, now):
        raise CardExpired(details.exp_month, details.exp_year)
    wallet = await repository.active_cards(session, account_id=account.id, lock=True)
    if any(card.fingerprint == details.fingerprint for card in wallet):
        raise DuplicateCard(details.brand.title(), details.last4)
    check = await payments.three_ds_verify(
        data.token, return_url=default_return_url(runtime.settings)
    )
    if check.status is ThreeDSStatus.challenge_required:
        raise ThreeDSecureRequired(check.challenge_url or "")
    if check.status is not ThreeDSStatus.authenticated:
        raise ThreeDSecureFailed()
    card = _new_card(payments.name, details, data, account.id, now, primary=not wallet)
    if not await repository.insert_card(session, card):
        # A concurrent request for the same wallet won a unique index: the same card, or the
        # first card (which took the primary flag).
        wallet = await repository.active_cards(session, account_id=account.id, lock=True)
        if any(existing.fingerprint == details.fingerprint for existing in wallet):
            raise DuplicateCard(details.brand.title(), details.last4)
        card = _new_card(payments.name, details, data, account.id, now, primary=False)
        if not await repository.insert_card(session, card):
            raise DuplicateCard(details.brand.title(), details.last4)
    return CardOut.of(card, now)


async def _details(payments: PaymentProvider, token: str, account_id: uuid.UUID) -> CardDetails:
    try:
        details = await payments.card_details(token)
    except ProviderNotFound:
        raise CardTokenInvalid() from None
    if details.reference != card_reference(account_id):
        raise CardTokenInvalid()  # typed in for another account: as if unknown
    return details


def _new_card(
    provider_name: str,
    details: CardDetails,
    data: AddCardIn,
    account_id: uuid.UUID,
    now: datetime,
    *,
    primary: bool,
) -> PaymentCard:
    address = data.billing_address
    return PaymentCard(
        account_id=account_id,
        provider=provider_name,
        provider_token=details.token,
        brand=details.brand,
        last4=details.last4,
        exp_month=details.exp_month,
        exp_year=details.exp_year,
        fingerprint=details.fingerprint,
        billing_name=address.name,
        billing_street=address.street,
        billing_postcode=address.postcode,
        billing_city=address.city,
        billing_country=address.country,
        is_primary=primary,
        three_ds_verified_at=now,
        added_at=now,
        removed_at=None,
        expiry_notice_sent_at=None,
    )


async def set_primary(
    session: AsyncSession, runtime: Runtime, account: Account, card_id: uuid.UUID
) -> CardOut:
    """Make this card the one every subscription payment is charged to, from now on."""
    wallet = await repository.active_cards(session, account_id=account.id, lock=True)
    card = _find(wallet, card_id)
    if not card.is_primary:
        await repository.clear_primary(session, account_id=account.id)
        card.is_primary = True
        await session.flush()
    return CardOut.of(card, runtime.clock.now())


async def remove_card(
    session: AsyncSession, runtime: Runtime, account: Account, card_id: uuid.UUID
) -> None:
    """Remove a card; when it was the primary one, the most recently added other card becomes
    primary. The last card stays while a paid subscription is active."""
    wallet = await repository.active_cards(session, account_id=account.id, lock=True)
    card = _find(wallet, card_id)
    if not card_rules.can_remove(
        cards_in_wallet=len(wallet),
        has_active_paid_subscription=await has_active_paid_subscription(session, account.id),
    ):
        raise CardNeededForSubscription()
    was_primary = card.is_primary
    card.removed_at = runtime.clock.now()
    card.is_primary = False
    await session.flush()
    remaining = [other for other in wallet if other.id != card.id]
    if was_primary and remaining:
        remaining[-1].is_primary = True
        await session.flush()


def _find(wallet: list[PaymentCard], card_id: uuid.UUID) -> PaymentCard:
    for card in wallet:
        if card.id == card_id:
            return card
    raise CardNotFound()


# --- notices ---------------------------------------------------------------------------------


async def notify_expiring_cards(session: AsyncSession, runtime: Runtime, *, now: datetime) -> int:
    """Tell owners, once per card, that their primary card stops working within 30 days (or
    has stopped): seed 003, "the app will notify you when your current card expires". Meant for
    the daily billing run; safe to run any number of times."""
    horizon = now + timedelta(days=card_rules.EXPIRY_NOTICE_DAYS)
    # Cards valid until at most ``horizon``: last valid month before the horizon's month.
    month_index = horizon.year * 12 + horizon.month - 1
    told = 0
    while batch := await repository.primary_cards_ending_by(session, month_index=month_index):
        for card in batch:
            await _tell_card_expires(session, runtime, card, now=now)
        told += len(batch)
    return told


async def _tell_card_expires(
    session: AsyncSession, runtime: Runtime, card: PaymentCard, *, now: datetime
) -> None:
    gone = card_rules.is_expired(card.exp_month, card.exp_year, now)
    await notifications.notify(
        session,
        now=now,
        account_id=card.account_id,
        category=Category.billing,
        kind="card_expiring",
        title=f"Your card ending in {card.last4} {'has expired' if gone else 'expires soon'}",
        body=(
            f"Your {card.brand.title()} card ending in {card.last4} is valid until the end of "
            f"{card.exp_month:02d}/{card.exp_year}. Add a new card and make it your primary "
            "card, so your subscription payments do not fail."
        ),
        link=runtime.settings.public_url.rstrip("/") + "/wallet",
    )
    card.expiry_notice_sent_at = now
    await session.flush()
