"""One clock for the platform and the simulated cars, and the running digital-key world."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from linkplus.jobs.worker import Worker
from linkplus.runtime import Runtime
from linkplus.sim.clock import ManualClock
from tests.keys_e2e.support import KeyWorld, key_world
from tests.support import START


@pytest.fixture
def clock() -> ManualClock:
    """The simulator's manual clock as the platform's clock."""
    return ManualClock(START)


@pytest.fixture
async def world(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, clock: ManualClock
) -> AsyncIterator[KeyWorld]:
    async with key_world(runtime, client, worker, clock) as built:
        yield built
