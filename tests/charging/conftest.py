"""The charging tests poll for chargers' commands often, so a round trip takes milliseconds."""

from __future__ import annotations

import pytest

from linkplus.config import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"ocpp_poll_seconds": 0.05})
