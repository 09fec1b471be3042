"""Fixtures of the notifications tests."""

from __future__ import annotations

import pytest

from linkplus.runtime import Runtime
from tests.notifications.support import Owner, new_owner


@pytest.fixture
async def owner(runtime: Runtime) -> Owner:
    return await new_owner(runtime)
