"""The rights tests pay (a subscription to cancel and refund), so their ``client`` talks to the
app whose sandbox payment provider is reached over HTTP in-process."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def client(paying_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return paying_client
