"""The digital-key API tests: owners whose accounts have the Remote Connect package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from linkplus.connected_services import service as connected_services
from tests.keys_e2e.support import Subscribed


@pytest.fixture
def subscribed() -> Iterator[Subscribed]:
    found = Subscribed()
    unregister = connected_services.register_subscription_check(found.check)
    yield found
    unregister()
