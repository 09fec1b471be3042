"""Where the payment provider's API is and the key the platform presents to it.

Both default to the sandbox provider inside this app, so a fresh install can add cards and take
(pretend) payments with no set-up; a deployment with a real provider sets
``LINKPLUS_PAYMENT_PROVIDER_URL`` and ``LINKPLUS_PAYMENT_PROVIDER_KEY``.
"""

from __future__ import annotations

from linkplus.config import Settings
from linkplus.kit.secrets import sign

SANDBOX_PATH = "/sandbox-pay"


def provider_url(settings: Settings) -> str:
    """The provider API's base address (no trailing slash)."""
    if settings.payment_provider_url:
        return settings.payment_provider_url.rstrip("/")
    return settings.public_url.rstrip("/") + SANDBOX_PATH


def provider_key(settings: Settings) -> str:
    """The configured key, or one derived from the secret key (the sandbox derives the same)."""
    if settings.payment_provider_key:
        return settings.payment_provider_key
    return sign(settings.resolved_secret_key, "linkplus.payments.sandbox-api-key")
