"""Refusals of the subscriptions domain, each with a stable ``code`` and what to do next."""

from __future__ import annotations

from datetime import date
from typing import Any

from linkplus.errors import Conflict, InvalidInput, NotFound, ProblemError


class SubscriptionNotFound(NotFound):
    code = "subscription_not_found"

    def __init__(self) -> None:
        super().__init__("There is no such subscription for this car. Reload the list.")


class PackageNotOffered(Conflict):
    """The catalogue refuses the purchase (not sold, not available, complimentary running...)."""

    code = "package_not_offered"

    def __init__(self, reason: str, detail: str, *, available_from: date | None = None) -> None:
        extra: dict[str, Any] = {"reason": reason}
        if available_from is not None:
            extra["available_from"] = available_from.isoformat()
        super().__init__(detail, **extra)


class PlanNotOffered(InvalidInput):
    code = "plan_not_offered"

    def __init__(self, package: str, plan: str) -> None:
        super().__init__(f"{package} has no {plan} plan in this market. Choose another plan.")


class PurchaseNotPossible(Conflict):
    """A subscription of the package already runs on the car (lifecycle.purchase_refusal)."""

    code = "purchase_not_possible"

    def __init__(self, reason: str, detail: str, *, available_from: date | None) -> None:
        extra: dict[str, Any] = {"reason": reason}
        if available_from is not None:
            extra["available_from"] = available_from.isoformat()
        super().__init__(detail, **extra)


class NoPaymentCard(Conflict):
    code = "payment_card_needed"

    def __init__(self) -> None:
        super().__init__(
            "Add a Visa or Mastercard to your wallet (POST /api/v1/wallet/cards/sessions), then "
            "subscribe again."
        )


class PaymentDeclined(ProblemError):
    status = 402
    code = "payment_declined"
    title = "The payment was declined"

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"Your card was not charged ({reason.replace('_', ' ')}). Nothing was activated. "
            "Use another card or contact your bank, then subscribe again.",
            decline_reason=reason,
        )


class PaymentPending(ProblemError):
    status = 503
    code = "payment_pending"
    title = "The payment is not confirmed yet"

    def __init__(self) -> None:
        super().__init__(
            "The payment provider has not confirmed the payment yet. Do not subscribe again: "
            "the subscription starts as soon as the payment is confirmed, and you will be told.",
            headers={"Retry-After": "60"},
        )


class PlanChangeNeedsCancel(Conflict):
    code = "plan_change_requires_cancellation"

    def __init__(self) -> None:
        super().__init__(
            "A plan cannot be changed. Cancel this subscription first, then subscribe again with "
            "the plan you want once the service has ended."
        )


class LifecycleRefused(Conflict):
    """The state machine refused the change (``already_cancelled``, ``payment_in_progress``...)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
