"""The remote controls of the Vehicle section as plain forms, against simulated cars on the
embedded broker: the car page offers them to the primary account, each button sends a command
and leads to a page that shows how far it got, the event stream follows it, and refusals are
explained on the page."""

from __future__ import annotations

import json
import re

import httpx

from linkplus.runtime import Runtime
from tests.connected_services.support import link, owner
from tests.remote_e2e.support import DRIVER_DOOR, RemoteLink
from tests.support import DEFAULT_PASSWORD
from tests.web.support import (  # the shared fixtures are found by pytest under their names
    COMMAND_URL,
    csrf_in,
    remote_cars,  # noqa: F401
    remote_clock,  # noqa: F401
    remote_web,  # noqa: F401
    sign_in,
)
from tests.web.support import press_remote as _press
from tests.web.support import signed_in_phev as _signed_in


async def test_the_car_page_offers_the_controls_to_the_primary_account(
    web: httpx.AsyncClient, cars: RemoteLink, runtime: Runtime
) -> None:
    vin = await _signed_in(web, cars)
    page = (await web.get(f"/vehicle/{vin}")).text
    for action in ("door-lock", "door-unlock", "hazard-lights-on", "climate-start"):
        assert f'action="/vehicle/{vin}/remote/{action}"' in page
    assert 'src="/static/remote.js"' in page
    assert f'data-stream="/vehicle/{vin}/remote/events"' in page
    remote = (await web.get(f"/vehicle/{vin}/remote")).text
    assert "Remote control" in remote
    assert 'name="temperature_c"' not in remote  # advanced climate is a paid service
    script = await web.get("/static/remote.js")
    assert script.status_code == 200
    assert "EventSource" in script.text

    other = await owner(runtime)  # in the garage, but not the primary account
    await link(runtime, other.account, vin, primary=False)
    web.cookies.clear()
    await sign_in(web, other.account.email, DEFAULT_PASSWORD)
    assert "/remote/door-lock" not in (await web.get(f"/vehicle/{vin}")).text
    assert (await web.get(f"/vehicle/{vin}/remote")).headers["location"] == f"/vehicle/{vin}"
    page = await web.get(f"/vehicle/{vin}")
    refused = await web.post(
        f"/vehicle/{vin}/remote/door-lock", data={"csrf_token": csrf_in(page.text)}
    )
    assert refused.status_code == 403
    assert not cars.publisher.sent


async def test_lock_from_the_car_page_shows_its_progress_to_completed(
    web: httpx.AsyncClient, cars: RemoteLink
) -> None:
    vin = await _signed_in(web, cars)
    await cars.run("phev", "door-unlock")
    cars.clock.advance(seconds=1)
    sent = await _press(web, vin, "door-lock")
    assert sent.status_code == 303, sent.text
    match = COMMAND_URL.match(sent.headers["location"])
    assert match, sent.headers["location"]
    command_id = match.group(2)
    first = (await web.get(sent.headers["location"])).text
    assert "<strong data-title>Lock</strong>" in first
    # Published before the redirect; how far the car got by now depends on the broker's timing.
    shown = re.search(r'data-state="(\w+)"', first)
    assert shown is not None
    assert shown.group(1) in ("sent", "acknowledged", "completed")
    assert ("Check the progress again" in first) is (shown.group(1) != "completed")

    final = await cars.outcome("phev", command_id)
    assert final["state"] == "completed"
    done = (await web.get(sent.headers["location"])).text
    assert 'data-state="completed"' in done
    assert "Check the progress again" not in done
    assert cars.cars["phev"].state.is_locked

    stream = await web.get(f"/vehicle/{vin}/remote/events", params={"after": 0, "max_events": 8})
    assert stream.headers["content-type"].startswith("text/event-stream")
    events = [
        json.loads(line.removeprefix("data: "))
        for line in stream.text.splitlines()
        if line.startswith("data: ")
    ]
    mine = [e["state"] for e in events if e["command"]["id"] == command_id]
    assert mine == ["accepted", "sent", "acknowledged", "completed"]


async def test_hazard_lights_show_their_countdown_and_a_second_press_is_explained(
    web: httpx.AsyncClient, cars: RemoteLink
) -> None:
    vin = await _signed_in(web, cars)
    cars.clock.advance(seconds=1)
    sent = await _press(web, vin, "hazard-lights-on")
    command_id = COMMAND_URL.match(sent.headers["location"]).group(2)  # type: ignore[union-attr]
    await cars.outcome("phev", command_id)
    page = (await web.get(sent.headers["location"])).text
    assert 'data-countdown="hazard" data-seconds="60"' in page
    assert "Hazard lights: <strong data-left>1:00</strong> left" in page

    await cars.advance(seconds=20)
    again = await _press(web, vin, "hazard-lights-on")
    assert again.status_code == 409
    assert "already flashing" in again.text
    assert 'data-seconds="40"' in again.text


async def test_climate_start_shows_the_time_and_renewals_left(
    web: httpx.AsyncClient, cars: RemoteLink
) -> None:
    vin = await _signed_in(web, cars)
    cars.clock.advance(seconds=1)
    sent = await _press(web, vin, "climate-start")
    command_id = COMMAND_URL.match(sent.headers["location"]).group(2)  # type: ignore[union-attr]
    assert (await cars.outcome("phev", command_id))["state"] == "completed"
    page = (await web.get(sent.headers["location"])).text
    assert "Climate: <strong data-left>20:00</strong> left" in page
    assert "(2 renewals left)" in page
    cars.clock.advance(seconds=1)
    renewed = await _press(web, vin, "climate-renew")
    renew_id = COMMAND_URL.match(renewed.headers["location"]).group(2)  # type: ignore[union-attr]
    await cars.outcome("phev", renew_id)
    page = (await web.get(renewed.headers["location"])).text
    assert "(1 renewal left)" in page
    assert "Climate: <strong data-left>39:59</strong> left" in page


async def test_a_refusal_by_the_car_is_shown_with_what_to_do(
    web: httpx.AsyncClient, cars: RemoteLink
) -> None:
    vin = await _signed_in(web, cars)
    await cars.run("phev", "door-unlock")
    cars.cars["phev"].state.doors[DRIVER_DOOR].is_open = True  # not reported yet
    cars.clock.advance(seconds=1)
    sent = await _press(web, vin, "door-lock")
    command_id = COMMAND_URL.match(sent.headers["location"]).group(2)  # type: ignore[union-attr]
    assert (await cars.outcome("phev", command_id))["state"] == "failed"
    page = (await web.get(sent.headers["location"])).text
    assert 'data-state="failed"' in page
    assert "Close it, then lock the car again." in page


async def test_forms_need_their_token_a_known_action_and_a_valid_temperature(
    web: httpx.AsyncClient, cars: RemoteLink, runtime: Runtime
) -> None:
    vin = await _signed_in(web, cars)
    forged = await web.post(f"/vehicle/{vin}/remote/door-lock", data={"csrf_token": "x.y"})
    assert forged.status_code == 403
    unknown = await _press(web, vin, "self-destruct")
    assert unknown.status_code == 404
    cold = await _press(web, vin, "climate-start", temperature_c="99")
    assert cold.status_code == 422
    assert "less than or equal to 30" in cold.text
    assert not cars.publisher.sent

    stranger = await owner(runtime)
    web.cookies.clear()
    await sign_in(web, stranger.account.email, DEFAULT_PASSWORD)
    assert (await web.get(f"/vehicle/{vin}/remote")).status_code == 404
    assert (await web.get(f"/vehicle/{vin}/remote/events?max_events=1")).status_code == 404
