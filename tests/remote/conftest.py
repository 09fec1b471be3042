"""Fixtures of the remote-control tests: a recording publisher and the paid remote package."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.connected_services import service as connected_services
from linkplus.runtime import Runtime
from tests.remote.support import RecordingPublisher

PAID = {"engine_start", "remote_climate_advanced", "remote"}


@pytest.fixture
def publisher(runtime: Runtime) -> RecordingPublisher:
    recording = RecordingPublisher()
    runtime.vehicle_link = recording
    return recording


@pytest.fixture
def paid_remote(monkeypatch: pytest.MonkeyPatch) -> None:
    """The paid ``remote`` package as active (subscriptions arrive with issue 7): the catalogue
    and availability checks still apply, only the subscription is assumed."""
    original: Callable[..., Awaitable[bool]] = connected_services.is_active

    async def is_active(session: AsyncSession, runtime: Runtime, *, vin: str, service: str) -> Any:
        if service in PAID:
            return await original(session, runtime, vin=vin, service="remote_lock_unlock")
        return await original(session, runtime, vin=vin, service=service)

    monkeypatch.setattr(connected_services, "is_active", is_active)
