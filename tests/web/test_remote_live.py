"""The remote page's live view converges on the truth whatever its stream delivered.

Two defects from the field: climate showed "1 renewal left" after the second renewal (the page
counted on its own side and never learnt the new count), and a finished Lock stayed "Accepted"
(the page's stream never delivered the final change: it loaded after it, or the change became
visible after a later-numbered one). Now every event carries what runs on the car, every
connection starts with where the recent commands stand, and a change that commits late is still
sent."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from linkplus.garage.tenure import Tenure
from linkplus.kit.spans import Span
from linkplus.models.remote import RemoteCommandChange
from linkplus.remote import service
from linkplus.runtime import Runtime
from tests.remote_e2e.support import RemoteLink
from tests.web.support import (  # the remote pages' fixtures (a simulated car), by name
    COMMAND_URL,
    remote_cars,  # noqa: F401
    remote_clock,  # noqa: F401
    remote_web,  # noqa: F401
)
from tests.web.support import press_remote as _press
from tests.web.support import signed_in_phev as _signed_in


def events(text: str) -> list[dict[str, Any]]:
    found = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if fields.get("event") == "command":
            found.append({"id": fields.get("id"), **json.loads(fields["data"])})
    return found


async def _last_change(runtime: Runtime) -> int:
    async with runtime.db.read() as session:
        return int((await session.scalar(select(func.max(RemoteCommandChange.id)))) or 0)


async def _sent(web: httpx.AsyncClient, cars: RemoteLink, vin: str, action: str) -> str:
    cars.clock.advance(seconds=1)
    pressed = await _press(web, vin, action)
    assert pressed.status_code == 303, pressed.text
    match = COMMAND_URL.match(pressed.headers["location"])
    assert match is not None
    assert (await cars.outcome("phev", match.group(2)))["state"] == "completed"
    return match.group(2)


async def test_each_event_says_how_many_climate_renewals_are_left(
    web: httpx.AsyncClient, cars: RemoteLink, runtime: Runtime
) -> None:
    vin = await _signed_in(web, cars)
    await _sent(web, cars, vin, "climate-start")
    await _sent(web, cars, vin, "climate-renew")
    before_second = await _last_change(runtime)
    second = await _sent(web, cars, vin, "climate-renew")

    stream = await web.get(
        f"/vehicle/{vin}/remote/events", params={"after": before_second, "max_events": 4}
    )
    seen = [e for e in events(stream.text) if e["command"]["id"] == second]
    assert [e["state"] for e in seen] == ["accepted", "sent", "acknowledged", "completed"]
    assert seen[-1]["running"]["climate_renewals_left"] == 0
    assert seen[-1]["running"]["climate_seconds_left"] > 0
    page = (await web.get(f"/vehicle/{vin}/remote")).text
    assert 'data-renewals="0">(0 renewals left)' in page
    refused = await _press(web, vin, "climate-renew")
    assert refused.status_code == 409
    assert "renewed as often as this car allows" in refused.text


async def test_a_page_whose_stream_missed_the_final_change_still_learns_it(
    web: httpx.AsyncClient, cars: RemoteLink, runtime: Runtime
) -> None:
    vin = await _signed_in(web, cars)
    await cars.run("phev", "door-unlock")
    lock = await _sent(web, cars, vin, "door-lock")
    past_it = await _last_change(runtime)  # as if the stream had gone past the final change
    cars.clock.advance(seconds=1)
    await _press(web, vin, "hazard-lights-on")  # one more change, so the stream has an end

    reconnected = await web.get(
        f"/vehicle/{vin}/remote/events",
        params={"max_events": 1},
        headers={"Last-Event-ID": str(past_it)},
    )
    about_lock = [e for e in events(reconnected.text) if e["command"]["id"] == lock]
    assert about_lock, reconnected.text
    assert about_lock[0]["state"] == "completed"
    assert about_lock[0]["command"]["state"] == "completed"
    assert about_lock[0]["id"] is None  # a summary, not a change: Last-Event-ID stays right


async def test_a_change_that_commits_after_a_later_numbered_one_is_still_sent(
    web: httpx.AsyncClient, cars: RemoteLink, runtime: Runtime
) -> None:
    vin = await _signed_in(web, cars)
    lock = uuid.UUID(await _sent(web, cars, vin, "door-lock"))
    caller = cars.cars["phev"]
    start = await _last_change(runtime)
    now = runtime.clock.now()
    async with runtime.db.transaction() as session:  # number start+2 is visible first
        session.add(
            RemoteCommandChange(id=start + 2, vin=vin, command_id=lock, state="failed", at=now)
        )
    stream = service.command_events(
        runtime,
        vin=vin,
        tenure=Tenure(caller.owner.account.id, (Span(now.replace(year=now.year - 1)),)),
        after_id=start,
        max_events=2,
        poll_seconds=0,
    )
    first = await anext(stream)
    assert f"id: {start + 2}" in first
    async with runtime.db.transaction() as session:  # then number start+1 commits
        session.add(
            RemoteCommandChange(id=start + 1, vin=vin, command_id=lock, state="failed", at=now)
        )
    second = await anext(stream)
    assert f"id: {start + 1}" in second
    await stream.aclose()
