"""One clock for the platform and the simulated car, and the running safety link."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from linkplus.jobs.worker import Worker
from linkplus.runtime import Runtime
from linkplus.sim.clock import ManualClock
from tests.safety_e2e.support import SafetyLink, safety_link
from tests.support import START


@pytest.fixture
def clock() -> ManualClock:
    """The simulator's manual clock (it also runs the car's retries and tracking) as the
    platform's clock."""
    return ManualClock(START)


@pytest.fixture
async def slink(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, clock: ManualClock
) -> AsyncIterator[SafetyLink]:
    """A plug-in hybrid registered in Belgium, parked, with its safety system."""
    async with safety_link(runtime, client, worker, clock) as link:
        yield link
