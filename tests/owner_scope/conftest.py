"""The app with its sandbox payment provider (the previous owner pays for a subscription)."""

from tests.payments.fixtures import SANDBOX_URL, app, client, provider, sandbox

__all__ = ["SANDBOX_URL", "app", "client", "provider", "sandbox"]
