"""Fixtures for tests that pay: the app with its sandbox payment provider reached in-process over
HTTP, as in production. Imported by the conftest of every package that needs them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from linkplus.app import create_app
from linkplus.payments.client import HttpPaymentProvider
from linkplus.payments.endpoint import provider_key
from linkplus.payments.sandbox.store import SandboxStore
from linkplus.runtime import Runtime

SANDBOX_URL = "http://testserver/sandbox-pay"


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    application = create_app(runtime, run_worker=False)
    runtime.payments = HttpPaymentProvider(
        base_url=SANDBOX_URL,
        api_key=provider_key(runtime.settings),
        timeout=5.0,
        transport=httpx.ASGITransport(app=application),
    )
    return application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def provider(runtime: Runtime, app: FastAPI) -> HttpPaymentProvider:
    assert isinstance(runtime.payments, HttpPaymentProvider)
    return runtime.payments


@pytest.fixture
def sandbox(app: FastAPI) -> SandboxStore:
    store: SandboxStore = app.state.sandbox_pay
    return store
