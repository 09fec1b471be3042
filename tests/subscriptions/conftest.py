"""The app with its sandbox payment provider, over HTTP in-process (tests/payments/fixtures.py)."""

from tests.payments.fixtures import SANDBOX_URL, app, client, provider, sandbox

__all__ = ["SANDBOX_URL", "app", "client", "provider", "sandbox"]
