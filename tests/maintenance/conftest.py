"""One clock for the platform and a simulated car parked with its unit running: the real
embedded broker, the gateway and the worker (tests/remote_e2e/support.py sets the link up)."""

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
    return ManualClock(START)


@pytest.fixture
async def mlink(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, clock: ManualClock
) -> AsyncIterator[RemoteLink]:
    """A plug-in hybrid (it has an engine: it reports its oil level) registered in Belgium."""
    async with remote_link(runtime, client, worker, clock, {"car": "NX450HP"}) as link:
        yield link
