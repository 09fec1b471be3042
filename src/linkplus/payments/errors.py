"""Refusals of the wallet, and what can go wrong talking to the payment provider.

Provider errors carry ``retryable``: a timeout, a dropped connection or a 5xx may have happened
before or after the provider acted, so the caller repeats the request with the same idempotency
key (never a new one) and gets the first outcome back instead of a second charge.
"""

from __future__ import annotations

from typing import Any

from linkplus.errors import Conflict, InvalidInput, NotFound, ProblemError


class PaymentProviderError(ProblemError):
    """The provider refused a request the platform made: a bug or a configuration error."""

    status = 502
    code = "payment_provider_error"
    title = "The payment provider refused the request"
    retryable = False

    def __init__(self, detail: str, *, provider_code: str = "unknown", **extra: Any) -> None:
        super().__init__(detail, provider_code=provider_code, **extra)
        self.provider_code = provider_code


class ProviderUnavailable(PaymentProviderError):
    """No answer in time, no connection, or a 5xx: repeat with the same idempotency key."""

    status = 503
    code = "payment_provider_unavailable"
    title = "The payment provider cannot be reached"
    retryable = True

    def __init__(self, detail: str = "", *, provider_code: str = "unavailable") -> None:
        super().__init__(
            detail
            or "The payment provider did not answer. Nothing was saved; try again in a "
            "few minutes.",
            provider_code=provider_code,
        )


class ProviderNotFound(PaymentProviderError):
    """The provider does not know the token, charge or refund named."""

    status = 404
    code = "payment_provider_not_found"


class IdempotencyKeyReused(PaymentProviderError):
    """The key was used before for a different request: a bug in the caller's key scheme."""

    status = 409
    code = "idempotency_key_reused"


class RefundNotPossible(PaymentProviderError):
    """More than is left of the charge, another currency, or a charge that did not succeed."""

    status = 409
    code = "refund_not_possible"


# --- wallet --------------------------------------------------------------------------------


class CardNotFound(NotFound):
    code = "card_not_found"
    title = "No such card"

    def __init__(self) -> None:
        super().__init__(
            "There is no card with this id in your wallet. List them with GET /api/v1/wallet/cards."
        )


class CardTokenInvalid(InvalidInput):
    code = "card_token_invalid"
    title = "The card could not be found at the payment provider"

    def __init__(self) -> None:
        super().__init__(
            "This card token is unknown, expired or already used. Start again with POST "
            "/api/v1/wallet/cards/sessions and enter the card on the page it returns."
        )


class CardBrandNotAccepted(InvalidInput):
    code = "card_brand_not_accepted"
    title = "Only Visa and Mastercard are accepted"

    def __init__(self, brand: str) -> None:
        super().__init__(
            f"{brand} cards are not accepted. Add a Visa or Mastercard credit card.", brand=brand
        )


class CardExpired(InvalidInput):
    code = "card_expired"
    title = "The card has expired"

    def __init__(self, exp_month: int, exp_year: int) -> None:
        super().__init__(
            f"This card expired at the end of {exp_month:02d}/{exp_year}. Add a card that is "
            "still valid."
        )


class DuplicateCard(Conflict):
    code = "duplicate_card"
    title = "This card is already in your wallet"

    def __init__(self, brand: str, last4: str) -> None:
        super().__init__(
            f"Your {brand} card ending in {last4} is already in your wallet. Cards cannot be "
            "edited: to change its details, remove it and add it again.",
        )


class ThreeDSecureRequired(Conflict):
    code = "three_ds_required"
    title = "Your bank needs to confirm the card"

    def __init__(self, challenge_url: str) -> None:
        super().__init__(
            "Open challenge_url and complete your bank's 3-D Secure check, then send this "
            "request again with the same token.",
            challenge_url=challenge_url,
        )


class ThreeDSecureFailed(Conflict):
    code = "three_ds_failed"
    title = "Your bank did not confirm the card"

    def __init__(self) -> None:
        super().__init__(
            "The 3-D Secure check failed, so the card was not added. Add the card again and "
            "complete the check, or use another card."
        )


class CardNeededForSubscription(Conflict):
    code = "card_needed_for_subscription"
    title = "Your paid subscriptions need a card"

    def __init__(self) -> None:
        super().__init__(
            "This is the last card in your wallet and you have an active paid subscription. "
            "Add another card first, or cancel your paid subscriptions, then remove this one."
        )


class CardNotEditable(ProblemError):
    status = 405
    code = "card_not_editable"
    title = "Cards cannot be edited"

    def __init__(self) -> None:
        super().__init__(
            "A card cannot be changed once added. Add a new card with the correct details "
            "(POST /api/v1/wallet/cards/sessions), make it primary if you like, then remove "
            "this one.",
            headers={"Allow": "DELETE"},
        )


class ReturnUrlNotAllowed(InvalidInput):
    code = "return_url_not_allowed"
    title = "The return address is not ours"

    def __init__(self, origin: str) -> None:
        super().__init__(
            f"return_url must be an address on {origin}; leave it out to use the default."
        )
