"""The app with its sandbox payment provider, over HTTP in-process (tests/payments/fixtures.py),
and a stand-in for the subscriptions' "has a paid plan" hook."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from linkplus.payments.service import register_active_paid_subscription_check
from tests.payments.fixtures import SANDBOX_URL, app, client, provider, sandbox
from tests.payments.support import PaidSubscriptions

__all__ = ["SANDBOX_URL", "app", "client", "paid_subscriptions", "provider", "sandbox"]


@pytest.fixture
def paid_subscriptions() -> Iterator[PaidSubscriptions]:
    """A stand-in for the subscriptions module's hook: accounts listed here have a paid plan."""
    fake = PaidSubscriptions()
    unregister = register_active_paid_subscription_check(fake.check)
    yield fake
    unregister()
