"""These tests talk to the app whose sandbox payment provider is reached over HTTP in-process
(the ``app``, ``provider``, ``sandbox`` and ``paying_client`` fixtures of ``tests/conftest.py``)."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def client(paying_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return paying_client
