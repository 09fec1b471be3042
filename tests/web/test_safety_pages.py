"""The safety pages through HTTP: the console's queue and case pages (need to know, every action,
every refusal as a message on the page), a theft from the phone report to the police link, the
police page until its link expires, and the owner's safety page from the light to the
reactivation. The browser tests (test_browser_safety.py) run the same flows live."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import timedelta

import httpx
import pytest

from linkplus.app import create_app
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import StaffRole
from linkplus.runtime import Runtime
from linkplus.safety import service as safety
from linkplus.safety.schemas import TheftChecksIn
from linkplus.vehicle_link.events import EmergencySystemReported
from tests.support import DEFAULT_PASSWORD, Mailbox, make_staff
from tests.web.support import (
    OWNER_PHONE,
    KeptCommands,
    console_staff,
    csrf_in,
    hold_positions,
    owned_car,
    sign_in,
    sos_through_the_service,
    text_of,
)

Browsers = Callable[[], httpx.AsyncClient]


@pytest.fixture
async def browsers(runtime: Runtime) -> AsyncIterator[Browsers]:
    """More browsers on the platform, each with its own cookies (other agents, the police)."""
    transport = httpx.ASGITransport(app=create_app(runtime, run_worker=False))
    async with AsyncExitStack() as stack:

        def new() -> httpx.AsyncClient:
            made = httpx.AsyncClient(transport=transport, base_url="http://testserver")
            stack.push_async_callback(made.aclose)
            return made

        yield new


@pytest.fixture
def console(browsers: Browsers) -> httpx.AsyncClient:
    """The agent's browser."""
    return browsers()


async def act(
    browser: httpx.AsyncClient, page: str, action: str, fields: dict[str, str] | None = None
) -> httpx.Response:
    """Open ``page`` and post one of its forms (the token from the page), as the browser does."""
    opened = await browser.get(page)
    assert opened.status_code == 200, opened.text
    return await browser.post(action, data={**(fields or {}), "csrf_token": csrf_in(opened.text)})


async def test_only_safety_staff_see_the_safety_console(
    runtime: Runtime, client: httpx.AsyncClient, console: httpx.AsyncClient, browsers: Browsers
) -> None:
    car = await owned_car(runtime, client)
    case_id = await sos_through_the_service(runtime, car.vin)
    pages = ["/console/safety", f"/console/safety/cases/{case_id}", "/console/safety/stream"]
    await sign_in(client, car.account.email, DEFAULT_PASSWORD)
    for page in pages:  # an owner's session, and nobody signed in
        for browser in (client, console):
            hidden = await browser.get(page)
            assert hidden.status_code == 404, page
    await console_staff(runtime, console, StaffRole.dealer)
    for page in pages:
        assert (await console.get(page)).status_code == 404, page
    assert "Safety cases" not in (await console.get("/console")).text

    supervisor = browsers()
    await console_staff(runtime, supervisor, StaffRole.supervisor)
    both = text_of((await supervisor.get("/console/safety")).text)
    assert "SOS calls and collisions" in both
    assert "Stolen vehicles" in both
    assert (await supervisor.get(f"/console/safety/cases/{case_id}")).status_code == 200


async def test_an_emergency_agent_sees_the_car_and_owner_only_once_the_case_is_taken(
    runtime: Runtime, client: httpx.AsyncClient, console: httpx.AsyncClient
) -> None:
    car = await owned_car(runtime, client)
    case_id = await sos_through_the_service(runtime, car.vin)
    await console_staff(runtime, console, StaffRole.emergency_agent)
    landing = await console.get("/console")
    assert 'href="/console/safety"' in landing.text

    queue = await console.get("/console/safety")
    assert queue.status_code == 200
    row = text_of(queue.text)
    assert "SOS call" in row
    assert "Attempts 1" in row
    assert "48.13715° N, 11.57612° E" in row
    assert "Stolen vehicles" not in row  # not an emergency agent's kind

    page = f"/console/safety/cases/{case_id}"
    before = await console.get(page)
    words = text_of(before.text)
    assert "Manual: SOS button" in words  # the data set in words
    assert "Shown once you take the case" in words
    for hidden in (car.vin, OWNER_PHONE, "Alex Driver"):
        assert hidden not in before.text, hidden  # need to know: not before taking

    taken = await act(console, page, f"{page}/take")
    assert taken.status_code == 303
    after = text_of((await console.get(taken.headers["location"])).text)
    assert "The case is yours" in after
    for shown in (car.vin, OWNER_PHONE, "Alex Driver"):
        assert shown in after, shown

    dispatched = await act(console, page, f"{page}/dispatch", {"service": "ambulance"})
    assert dispatched.status_code == 303
    assert "Ambulance dispatched at" in text_of((await console.get(page)).text)
    closed = await act(console, page, f"{page}/close", {"outcome": "dispatched", "note": ""})
    assert closed.status_code == 303
    final = await console.get(page)
    words = text_of(final.text)
    assert "Emergency services were sent." in words
    assert car.vin not in final.text  # closed: no longer need to know
    assert "Dispatched: ambulance" in words  # the timeline
    queue_after = await console.get("/console/safety")
    assert f'data-case="{case_id}"' not in queue_after.text
    assert "No emergency waiting." in text_of(queue_after.text)
    closed_list = await console.get("/console/safety?closed=true")
    assert f'data-case="{case_id}"' in closed_list.text
    assert "Closed safety cases" in text_of(closed_list.text)


async def test_every_refusal_of_a_case_action_is_a_message_on_the_case_page(
    runtime: Runtime, client: httpx.AsyncClient, console: httpx.AsyncClient, browsers: Browsers
) -> None:
    car = await owned_car(runtime, client)
    case_id = await sos_through_the_service(runtime, car.vin)
    page = f"/console/safety/cases/{case_id}"
    await console_staff(runtime, console, StaffRole.emergency_agent)
    token = csrf_in((await console.get(page)).text)

    not_taken = await console.post(
        f"{page}/dispatch", data={"service": "police", "csrf_token": token}
    )
    assert not_taken.status_code == 409
    assert not_taken.headers["content-type"].startswith("text/html")
    assert "Take the case before you act on it" in text_of(not_taken.text)

    assert (await console.post(f"{page}/take", data={"csrf_token": token})).status_code == 303
    wrong = await console.post(f"{page}/dispatch", data={"service": "navy", "csrf_token": token})
    assert wrong.status_code == 422
    assert "Choose police, fire or ambulance." in text_of(wrong.text)
    early = await console.post(f"{page}/close", data={"outcome": "dispatched", "csrf_token": token})
    assert early.status_code == 409
    assert "Record what you dispatched before you close the case" in text_of(early.text)

    other = browsers()
    await console_staff(runtime, other, StaffRole.emergency_agent)
    theirs = await act(other, page, f"{page}/dispatch", {"service": "fire"})
    assert theirs.status_code == 409
    assert "Another agent has taken this case" in text_of(theirs.text)

    missing = await console.get("/console/safety/cases/not-a-case")
    assert missing.status_code == 404
    assert "There is no such case" in text_of(missing.text)


async def test_a_theft_by_phone_from_the_checks_to_the_police_link_and_the_export(
    runtime: Runtime,
    client: httpx.AsyncClient,
    console: httpx.AsyncClient,
    browsers: Browsers,
    clock: ManualClock,
) -> None:
    car = await owned_car(runtime, client)
    await console_staff(runtime, console, StaffRole.svt_agent)
    bad = await act(
        console,
        "/console/safety",
        "/console/safety/thefts",
        {"car": car.vin, "police_reference": "x"},
    )
    assert bad.status_code == 422
    assert "Enter the police report number" in text_of(bad.text)
    opened = await act(
        console,
        "/console/safety",
        "/console/safety/thefts",
        {"car": car.vin.lower(), "police_reference": "BER-2026/4711"},
    )
    assert opened.status_code == 303, opened.text
    page = opened.headers["location"].split("?")[0]
    case_id = page.rsplit("/", 1)[1]

    start_early = await act(console, page, f"{page}/tracking/start")
    assert start_early.status_code == 409
    assert "Confirm the police report number" in text_of(start_early.text)
    checked = await act(
        console,
        page,
        f"{page}/checks",
        {"police_reference_confirmed": "yes", "identity_confirmed": "yes"},
    )
    assert checked.status_code == 303
    shown = text_of((await console.get(page)).text)
    assert "Tracking service: active for this car" in shown, shown
    unreachable = await act(console, page, f"{page}/tracking/start")  # no broker in this app
    assert unreachable.status_code == 503
    assert "connection to the cars is down" in text_of(unreachable.text)
    assert "Tracking Not started" in text_of(unreachable.text)
    runtime.vehicle_link = commands = KeptCommands()
    started = await act(console, page, f"{page}/tracking/start")
    assert started.status_code == 303
    assert [(vin, c.type) for vin, c in commands.sent] == [(car.vin, "tracking_start")]
    await hold_positions(
        runtime, uuid.UUID(case_id), car.vin, [(52.52, 13.405), (52.521, 13.41), (52.523, 13.415)]
    )
    tracked = text_of((await console.get(page)).text)
    assert "Active: the car reports its position every 30 seconds" in tracked
    assert "3 positions" in tracked
    assert "52.52300° N, 13.41500° E" in tracked

    made = await act(console, page, f"{page}/police-links", {"hours": "2"})
    assert made.status_code == 200
    link = re.search(r'value="(http://[^"]+/police/[^"]+)"', made.text)
    assert link, "the link is shown"
    assert link.group(1) not in (await console.get(page)).text  # shown once only
    police_path = "/police/" + link.group(1).rsplit("/police/", 1)[1]
    police_browser = browsers()
    police = await police_browser.get(police_path)
    assert police.status_code == 200
    words = text_of(police.text)
    assert car.vin in words
    assert "BER-2026/4711" in words
    assert "3 positions" in words
    assert police.headers["referrer-policy"] == "no-referrer"

    export = await console.get(f"{page}/positions.csv")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert export.text.splitlines()[0] == "time_utc,latitude,longitude,heading"
    assert len(export.text.splitlines()) == 4

    no_one = await act(console, page, f"{page}/tracking/stop", {})
    assert no_one.status_code == 422
    assert "Say who asked to end tracking" in text_of(no_one.text)
    stopped = await act(console, page, f"{page}/tracking/stop", {"ended_by": "police"})
    assert stopped.status_code == 303
    assert commands.sent[-1][1].type == "tracking_stop"
    assert "Ended, at the request of the police" in text_of((await console.get(page)).text)

    clock.advance(timedelta(hours=2, seconds=1))
    expired = await police_browser.get(police_path)
    assert expired.status_code == 404
    assert "This link has expired" in text_of(expired.text)

    emergency = browsers()
    await console_staff(runtime, emergency, StaffRole.emergency_agent)
    assert (await emergency.get(page)).status_code == 404  # not an emergency agent's kind


async def test_the_owner_sees_the_light_the_services_and_reports_the_theft_then_reactivates(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    mailbox: Mailbox,
) -> None:
    car = await owned_car(runtime, client)
    async with runtime.db.transaction() as session:
        await safety.on_system_reported(
            session,
            runtime,
            EmergencySystemReported(vin=car.vin, light="fault", occurred_at=runtime.clock.now()),
        )
    await sign_in(client, car.account.email, DEFAULT_PASSWORD)
    car_page = await client.get(f"/vehicle/{car.vin}")
    assert f'href="/vehicle/{car.vin}/safety"' in car_page.text
    page = f"/vehicle/{car.vin}/safety"
    opened = await client.get(page)
    words = text_of(opened.text)
    assert "Solid red" in words
    assert "The light is red: see your dealer." in words
    assert opened.text.count('<span class="badge badge-ok">Always active</span>') == 2
    assert 'type="checkbox"' not in opened.text  # nothing to switch them off with
    assert "safety-features" not in opened.text
    assert "you cannot switch them off in the app" in words
    assert "No SOS call, collision or theft report" in words

    bad = await act(client, page, f"{page}/theft", {"police_reference": "?"})
    assert bad.status_code == 422
    assert "Enter the police report number as the police gave it" in text_of(bad.text)
    reported = await act(client, page, f"{page}/theft", {"police_reference": "M-2026-0815"})
    assert reported.status_code == 303
    for where in (page, f"/vehicle/{car.vin}", f"/vehicle/{car.vin}/remote"):
        shown = await client.get(where)
        assert "Your theft report reached the customer centre" in text_of(shown.text), where
    again = await act(client, page, f"{page}/theft", {"police_reference": "M-2026-0815"})
    assert "Report stolen" not in text_of((await client.get(page)).text)
    assert again.status_code == 409

    agent = await make_staff(runtime, role=StaffRole.svt_agent)
    runtime.vehicle_link = KeptCommands()
    async with runtime.db.transaction() as session:
        case = await safety.theft_of(session, car.vin)
        assert case is not None
        case_id = case.id
    async with runtime.db.transaction() as session:
        await safety.take(session, runtime, agent, case_id)
        await safety.record_checks(
            session,
            runtime,
            agent,
            case_id,
            TheftChecksIn(police_reference_confirmed=True, identity_confirmed=True),
        )
        await safety.start_tracking(session, runtime, agent, case_id)
    tracking = text_of((await client.get(page)).text)
    assert "is being tracked" in tracking
    assert "Reactivate" not in tracking
    remote_page = await client.get(f"/vehicle/{car.vin}/remote")
    assert "Remote control is off while your car is reported stolen" in text_of(remote_page.text)
    assert 'class="remote-button"' not in remote_page.text
    refused = await client.post(  # the button is gone; a form posted anyway is refused
        f"/vehicle/{car.vin}/remote/door-lock", data={"csrf_token": csrf_in(remote_page.text)}
    )
    assert refused.status_code == 409
    assert "Stolen vehicle tracking is active for this car" in text_of(refused.text)
    async with runtime.db.transaction() as session:
        await safety.stop_tracking(session, runtime, agent, case_id, ended_by="reporter")

    wrong = await act(client, page, f"{page}/reactivation", {"password": "not my password"})
    assert wrong.status_code in (401, 403, 422)
    assert "Step 1 of 2" in text_of(wrong.text)
    sent = await act(client, page, f"{page}/reactivation", {"password": DEFAULT_PASSWORD})
    assert sent.status_code == 303
    step_two = await client.get(sent.headers["location"])
    assert "Step 2 of 2" in text_of(step_two.text)
    await worker.run_due()
    mails = [m for m in mailbox.to(car.account.email) if "reactivate" in str(m["Subject"])]
    assert len(mails) == 1
    code = re.search(r"Your code is (\d{6})", mailbox.text(mails[0]))
    assert code
    wrong_code = await client.post(
        f"{page}/reactivation/confirm",
        data={
            "code": "000000" if code.group(1) != "000000" else "111111",
            "csrf_token": csrf_in(step_two.text),
        },
    )
    assert wrong_code.status_code == 403
    assert "The code is wrong or has expired" in text_of(wrong_code.text)
    done = await client.post(
        f"{page}/reactivation/confirm",
        data={"code": code.group(1), "csrf_token": csrf_in(wrong_code.text)},
    )
    assert done.status_code == 303
    back = text_of((await client.get(done.headers["location"])).text)
    assert "location and remote control work again" in back
    assert "is being tracked" not in back
    assert "The car was recovered and its services reactivated." in back  # the history
    assert "Your theft report" not in text_of((await client.get(f"/vehicle/{car.vin}")).text)


async def test_the_console_stream_sends_a_new_case_and_its_changes(
    runtime: Runtime, client: httpx.AsyncClient, console: httpx.AsyncClient
) -> None:
    car = await owned_car(runtime, client)
    await console_staff(runtime, console, StaffRole.emergency_agent)
    queue = await console.get("/console/safety")
    start = re.search(r'data-stream="/console/safety/stream\?after=(\d+)"', queue.text)
    assert start, "the queue names where its stream starts"
    case_id = await sos_through_the_service(runtime, car.vin)
    stream = await console.get(f"/console/safety/stream?after={start.group(1)}&max_events=2")
    assert stream.status_code == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    events = [block for block in stream.text.split("\n\n") if block.startswith("id: ")]
    assert len(events) == 2
    opened = json.loads(events[0].split("data: ", 1)[1])
    assert opened["action"] == "opened"
    assert opened["case"]["id"] == str(case_id)
    assert opened["case"]["kind"] == "sos"
    assert "vin" not in opened["case"]  # the queue's summary: never the car
    assert json.loads(events[1].split("data: ", 1)[1])["action"] == "attempt"
