"""One clock for the platform and the simulated cars, and the running remote-control link."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from linkplus.jobs.worker import Worker
from linkplus.runtime import Runtime
from linkplus.sim.clock import ManualClock
from tests.remote_e2e.support import RemoteLink, remote_link
from tests.support import START


@pytest.fixture
def clock() -> ManualClock:
    """The simulator's manual clock (it also wakes the cars' timers) as the platform's clock."""
    return ManualClock(START)


@pytest.fixture
async def rlink(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, clock: ManualClock
) -> AsyncIterator[RemoteLink]:
    """A plug-in hybrid and an MM21 hybrid (engine start, basic climate runs the engine), both
    registered in Belgium, where basic climate on a hybrid is allowed."""
    models = {"phev": "NX450HP", "hybrid": "UX300H"}
    async with remote_link(runtime, client, worker, clock, models) as link:
        yield link
