"""Odd numbers on the command stream's resume points (``after=`` and ``Last-Event-ID``) are a 422
naming the field, never a 500 or a 200 whose body is then cut off by the database driver."""

from __future__ import annotations

import httpx
import pytest

from linkplus.runtime import Runtime
from tests.remote.support import RecordingPublisher, remote_car

PAST_64_BITS = str(2**64)


@pytest.mark.parametrize(
    ("params", "last_event_id", "field"),
    [
        ({"after": PAST_64_BITS}, None, "after"),
        ({"after": "9" * 40}, None, "after"),
        ({"after": "²"}, None, "after"),
        ({"after": "+1"}, None, "after"),
        ({}, "²", "Last-Event-ID"),
        ({}, "¹²", "Last-Event-ID"),
        ({}, PAST_64_BITS, "Last-Event-ID"),
        ({}, " 1", "Last-Event-ID"),
    ],
)
async def test_an_odd_resume_point_is_a_422_naming_it(
    runtime: Runtime,
    client: httpx.AsyncClient,
    publisher: RecordingPublisher,
    params: dict[str, str],
    last_event_id: str | None,
    field: str,
) -> None:
    car = await remote_car(runtime, client)
    # One change exists, so a stream wrongly started would end after its first event.
    assert (await car.command({"type": "door-lock"})).status_code == 202
    headers = await car.headers()
    if last_event_id is not None:
        # Header bytes as a client may send them: latin-1, the byte 0xB2 is '²' to the server.
        headers["Last-Event-ID"] = last_event_id.encode("latin-1")  # type: ignore[assignment]

    response = await client.get(
        f"{car.base}/commands/stream", params={**params, "max_events": 1}, headers=headers
    )

    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["code"] == "invalid_input"
    assert any(field in error["field"] for error in problem["errors"])


async def test_a_resume_point_in_ascii_digits_still_resumes(
    runtime: Runtime, client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    car = await remote_car(runtime, client)
    command_id = (await car.command({"type": "door-lock"})).json()["id"]
    headers = {**await car.headers(), "Last-Event-ID": "0"}

    resumed = await client.get(
        f"{car.base}/commands/stream", params={"max_events": 1}, headers=headers
    )

    assert resumed.status_code == 200
    assert command_id in resumed.text
