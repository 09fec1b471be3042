"""Data across owners (issue 11, defect 7): a car's history belongs to the account that had the
car when it happened (docs/garage.md, "Whose data").

The walk reads every GET route of the app that names a car (``{vin}``, found in ``app.routes``,
so a new route is walked without touching this file), through the API with a bearer token and
through the web app with a signed-in browser session, and looks for unique markers of the other
owner's data: ids of trips, commands, schedules, subscriptions, invoices and notifications, the
times of privacy-mode changes, the parked position and a status value. Before the change of
owner the same walk as the first owner must find each kind of marker, so a walk that could not
see them would fail rather than pass.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import select

from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.invoices import InvoiceDocument
from linkplus.models.notifications import Notification
from linkplus.models.trips import Trip
from linkplus.models.twin import VehicleLinkState
from linkplus.remote.service import NOTIFY_KIND
from linkplus.runtime import Runtime
from linkplus.vehicle_link import credentials
from linkplus.vehicle_link import service as vehicle_link
from linkplus.vehicle_link.status import LOW_VOLTAGE
from tests.connected_services.support import ACCEPT_DE, ODOMETER_KM, Owner, activate, owner
from tests.remote.support import RecordingPublisher, answer, complete, set_twin
from tests.subscriptions.support import customer, subscribe
from tests.support import DEFAULT_PASSWORD, bearer_for
from tests.trips_e2e.support import deliver, make_trip, trip_upload
from tests.web.support import sign_in

PATH_PARAM = re.compile(r"{(\w+)(?::[^}]*)?}")
# Staff reads are need-to-know and audited (seed 001), outside the owner's rule.
STAFF_PREFIXES = ("/api/v1/staff/", "/console/")
# Reads of the account's own things (not of one car): the previous owner's must not show either.
ACCOUNT_READS = (
    "/api/v1/notifications",
    "/api/v1/invoices",
    "/api/v1/garage/vehicles",
    "/notifications",
    "/invoices",
    "/garage",
)
PARKED = (52.520008, 13.404954)
VOLTAGE = 12.37
DRIVER_DOOR_LOCKED = "Vehicle.Cabin.Door.Row1.DriverSide.IsLocked"  # unlocked: a finding


def _flatten(routes: Iterable[Any]) -> Iterator[tuple[str, Any]]:
    """(full path, route) of every route; FastAPI keeps an included router as one entry whose
    ``effective_candidates()`` give its routes with the prefix applied."""
    for route in routes:
        if hasattr(route, "effective_candidates"):
            yield from _flatten(route.effective_candidates())
        elif hasattr(route, "original_route"):
            yield route.path, route.original_route
        else:
            yield getattr(route, "path", ""), route


def per_car_reads(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """Every GET route that names a car, API and web, as the app has them now."""
    found = []
    for path, route in _flatten(app.routes):
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        if "vin" not in PATH_PARAM.findall(path) or path.startswith(STAFF_PREFIXES):
            continue
        found.append((path, route))
    assert len(found) >= 30, "the walk found fewer per-car routes than the app has"
    return found


def query_variants(route: APIRoute) -> list[dict[str, Any]]:
    names = {param.name for param in route.dependant.query_params}
    if "max_events" in names:
        # A stream: one event ends it (the reader has a command of its own), from the start of
        # the car's history and from the default starting point.
        base = {"max_events": 1}
        return [base, {**base, "after": 0}] if "after" in names else [base]
    if "format" in names:
        return [{"format": "gpx"}, {"format": "geojson"}]
    return [{}]


@dataclass
class Reader:
    """One account reading: API bearer headers and a signed-in web session."""

    who: Owner
    web: httpx.AsyncClient

    async def headers(self, runtime: Runtime) -> dict[str, str]:
        return await bearer_for(runtime, self.who.account)


@asynccontextmanager
async def reader(app: FastAPI, who: Owner) -> AsyncIterator[Reader]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as web:
        await sign_in(web, who.account.email, DEFAULT_PASSWORD)
        web.follow_redirects = True  # a page that sends the reader elsewhere: read where to
        yield Reader(who, web)


@dataclass
class History:
    """What one account did with the car: the markers to look for, by kind."""

    markers: dict[str, set[str]] = field(default_factory=dict)

    def add(self, kind: str, *values: object) -> None:
        self.markers.setdefault(kind, set()).update(str(v) for v in values)

    def found_in(self, text: str) -> Iterator[tuple[str, str]]:
        for kind, values in self.markers.items():
            for value in values:
                if value in text:
                    yield kind, value


async def later(runtime: Runtime, clock: ManualClock, *owners: Owner, **delta: float) -> None:
    """Move the clock on; the owners sign in again (access tokens last 15 minutes)."""
    clock.advance(**delta)
    for who in owners:
        who.headers = await bearer_for(runtime, who.account)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def walk(
    runtime: Runtime,
    app: FastAPI,
    client: httpx.AsyncClient,
    who: Reader,
    values: dict[str, str],
) -> dict[str, httpx.Response]:
    """GET every per-car route (and the account's own lists) as ``who``."""
    answers: dict[str, httpx.Response] = {}
    for template, route in per_car_reads(app):
        params = PATH_PARAM.findall(template)
        missing = [p for p in params if p not in values]
        assert not missing, f"{template}: no value for {missing}; add one to the walk"
        path = template
        for name in params:
            path = re.sub(rf"{{{name}(?::[^}}]*)?}}", values[name], path)
        for query in query_variants(route):
            if template.startswith("/api/"):
                response = await client.get(path, params=query, headers=await who.headers(runtime))
            else:
                response = await who.web.get(path, params=query)
            answers[f"{path}?{query}"] = response
    for path in ACCOUNT_READS:
        if path.startswith("/api/"):
            answers[path] = await client.get(path, headers=await who.headers(runtime))
        else:
            answers[path] = await who.web.get(path)
    return answers


def shown(response: httpx.Response) -> str:
    """What the reader is shown, less the address asked for (a 404 problem names it in
    ``instance``, and the walk asks for the other owner's ids on purpose)."""
    text = response.text
    for asked in [*response.history, response]:
        text = text.replace(asked.request.url.path, "")
    return text


def leaks(answers: dict[str, httpx.Response], history: History) -> list[str]:
    found = []
    for where, response in answers.items():
        assert response.status_code < 500, (where, response.text[:300])
        found += [f"{where}: {kind} {value}" for kind, value in history.found_in(shown(response))]
    return found


def seen_kinds(answers: dict[str, httpx.Response], history: History) -> set[str]:
    return {kind for response in answers.values() for kind, _ in history.found_in(shown(response))}


async def _db_ids(runtime: Runtime, model: Any, account_id: uuid.UUID) -> list[Any]:
    async with runtime.db.transaction() as session:
        return list(await session.scalars(select(model).where(model.account_id == account_id)))


async def _park(runtime: Runtime, vin: str) -> None:
    now = runtime.clock.now()
    async with runtime.db.transaction() as session:
        state = await session.get(VehicleLinkState, vin)
        if state is None:
            state = VehicleLinkState(vin=vin, last_seq=0)
            session.add(state)
        state.last_heard_at = now
        state.awake_since = now
        state.parked_at = now
        state.parked_latitude, state.parked_longitude = PARKED
        state.parked_heading = 90.0


async def _claim(client: httpx.AsyncClient, who: Owner, vin: str) -> None:
    """Add the car to ``who``'s garage (if needed) and claim its primary account by odometer."""
    body = {"vin": vin, "odometer_km": ODOMETER_KM}
    added = await client.post("/api/v1/garage/vehicles", json=body, headers=who.headers)
    assert added.status_code in (201, 409), added.text
    claimed = await client.post(
        f"/api/v1/vehicles/{vin}/primary-account",
        json={"odometer_km": ODOMETER_KM},
        headers=who.headers,
    )
    assert claimed.status_code in (201, 204), claimed.text


async def _drive(runtime: Runtime, worker: Worker, vin: str, seq: int) -> datetime:
    """A trip that ended a minute ago; returns its end."""
    start = runtime.clock.now() - timedelta(minutes=11)
    await deliver(runtime, vin, trip_upload(make_trip(start, seconds=600), seq))
    await worker.run_due()
    return start + timedelta(seconds=600)


async def _privacy_round_trip(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: ManualClock,
    who: Owner,
    vin: str,
    history: History,
) -> None:
    url = f"/api/v1/vehicles/{vin}/privacy-mode"
    for sharing in (False, True):
        await later(runtime, clock, who, minutes=7)
        changed = await client.put(url, json={"location_sharing": sharing}, headers=who.headers)
        assert changed.status_code == 200, changed.text
        history.add("privacy change", iso(clock.now()))


async def _command(car_vin: str, client: httpx.AsyncClient, who: Owner, kind: str) -> str:
    response = await client.post(
        f"/api/v1/vehicles/{car_vin}/commands", json={"type": kind}, headers=who.headers
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def test_the_next_primary_account_sees_nothing_of_the_previous_owners_history(
    runtime: Runtime,
    app: FastAPI,
    client: httpx.AsyncClient,
    clock: ManualClock,
    worker: Worker,
) -> None:
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    runtime.vehicle_link = RecordingPublisher()
    first = await customer(runtime, client, delivered=date(2022, 6, 1))
    vin, anna = first.vin, first.who
    async with runtime.db.transaction() as session:
        await credentials.provision(session, vin=vin, now=clock.now())
    activated = await activate(client, anna, vin, accept=ACCEPT_DE)
    assert activated.status_code == 200, activated.text
    past = History()

    # The first owner's year with the car, in one morning: subscriptions (one paid, so an
    # invoice), trips, status values and the parked position, privacy-mode changes, remote
    # commands (one answered, one still on its way), a climate schedule, notifications.
    await later(runtime, clock, anna, hours=1)
    bought = await subscribe(client, first, "svt", "yearly")
    trial = await subscribe(client, first, "remote", "monthly")
    assert bought.status_code == trial.status_code == 201, (bought.text, trial.text)
    past.add(
        "subscription", bought.json()["subscription"]["id"], trial.json()["subscription"]["id"]
    )
    await worker.run_due()
    await later(runtime, clock, anna, hours=1)
    trip_ended = await _drive(runtime, worker, vin, 1)
    past.add("trip", *(t.id for t in await _db_ids(runtime, Trip, anna.account.id)))
    await set_twin(runtime, vin, {LOW_VOLTAGE: VOLTAGE, DRIVER_DOOR_LOCKED: False})
    past.add("status value", VOLTAGE)
    await _park(runtime, vin)
    past.add("parked position", PARKED[0])
    await _privacy_round_trip(runtime, client, clock, anna, vin, past)
    done = await _command(vin, client, anna, "door-lock")
    await worker.run_due()
    await complete(runtime, worker, vin, done)
    on_its_way = await _command(vin, client, anna, "hazard-lights-on")
    await worker.run_due()
    past.add("command", done, on_its_way)
    schedule = await client.post(
        f"/api/v1/vehicles/{vin}/climate-schedules",
        json={"name": "Annas Morgenfahrt", "kind": "weekly", "weekdays": ["mon"], "at": "07:30"},
        headers=anna.headers,
    )
    assert schedule.status_code == 201, schedule.text
    past.add("schedule", schedule.json()["id"], "Annas Morgenfahrt")
    past.add("invoice", *(d.id for d in await _db_ids(runtime, InvoiceDocument, anna.account.id)))
    past.add("notification", *(n.id for n in await _db_ids(runtime, Notification, anna.account.id)))
    assert {"invoice", "notification", "trip"} <= {k for k, v in past.markers.items() if v}

    values = {
        "vin": vin,
        "trip_id": next(iter(past.markers["trip"])),
        "command_id": done,
        "schedule_id": schedule.json()["id"],
        "subscription_id": bought.json()["subscription"]["id"],
        "package": "svt",
    }
    # The walk sees the first owner's history while it is hers.
    async with reader(app, anna) as as_anna:
        own = await walk(runtime, app, client, as_anna, values)
    missed = set(past.markers) - seen_kinds(own, past)
    assert missed == set(), f"the walk cannot see these markers at all: {missed}"

    # The car changes hands: Bernd adds it and claims the primary account with the odometer.
    await later(runtime, clock, anna, hours=2)
    bernd = await owner(runtime)
    await _claim(client, bernd, vin)
    await worker.run_due()
    assert (await activate(client, bernd, vin, accept=ACCEPT_DE)).status_code == 200
    # What the car does after the change about things of before: the answer to the first
    # owner's command, the post-trip check of her last trip. Neither is told to Bernd.
    await answer(runtime, worker, vin, on_its_way, "received")
    await answer(runtime, worker, vin, on_its_way, "succeeded")
    async with runtime.db.transaction() as session:
        check = await vehicle_link.post_trip_check(
            session, runtime, vin=vin, trip_ended_at=trip_ended
        )
    assert check.findings  # something to tell (the driver's door unlocked) ...
    assert not check.notified  # ... but not to Bernd
    bernds_own = await _command(vin, client, bernd, "door-lock")  # ends his command streams
    await later(runtime, clock, anna, bernd, minutes=1)

    async with reader(app, bernd) as as_bernd:
        answers = await walk(runtime, app, client, as_bernd, values)
    assert leaks(answers, past) == []
    inbox = (await client.get("/api/v1/notifications", headers=bernd.headers)).json()["items"]
    assert {n["kind"] for n in inbox} & {NOTIFY_KIND, "post_trip_alert"} == set()
    # His own command is there: the walk read real pages, not refusals.
    commands = await client.get(f"/api/v1/vehicles/{vin}/commands", headers=bernd.headers)
    assert [c["id"] for c in commands.json()] == [bernds_own]
    refused = {w: r.json()["code"] for w, r in answers.items() if r.status_code in (401, 403, 409)}
    # Only the parked position is missing: the car parked before his time with it.
    assert refused == {f"/api/v1/vehicles/{vin}/location?{{}}": "location_unknown"}


async def test_an_owner_gets_back_her_own_time_but_never_the_next_owners(
    runtime: Runtime,
    app: FastAPI,
    client: httpx.AsyncClient,
    clock: ManualClock,
    worker: Worker,
) -> None:
    """Anna, primary; Bernd claims the car; Anna stays as secondary, then claims it back; then
    she removes it and adds it again. As secondary she sees nothing but the car's name and
    model; back as primary she sees her own first stretch, never Bernd's; after removing the
    car she starts afresh."""
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    runtime.vehicle_link = RecordingPublisher()
    first = await customer(runtime, client, card=None, delivered=date(2022, 6, 1))
    vin, anna = first.vin, first.who
    async with runtime.db.transaction() as session:
        await credentials.provision(session, vin=vin, now=clock.now())
    assert (await activate(client, anna, vin, accept=ACCEPT_DE)).status_code == 200
    await later(runtime, clock, anna, hours=1)
    annas, bernds = History(), History()
    await _drive(runtime, worker, vin, 1)
    annas.add("trip", *(t.id for t in await _db_ids(runtime, Trip, anna.account.id)))
    annas.add("command", await _command(vin, client, anna, "door-lock"))
    await _privacy_round_trip(runtime, client, clock, anna, vin, annas)

    await later(runtime, clock, anna, hours=1)
    bernd = await owner(runtime)
    await _claim(client, bernd, vin)
    await worker.run_due()
    assert (await activate(client, bernd, vin, accept=ACCEPT_DE)).status_code == 200
    await later(runtime, clock, anna, bernd, minutes=30)
    await _drive(runtime, worker, vin, 2)
    bernds.add("trip", *(t.id for t in await _db_ids(runtime, Trip, bernd.account.id)))
    bernds.add("command", await _command(vin, client, bernd, "door-lock"))
    await _privacy_round_trip(runtime, client, clock, bernd, vin, bernds)
    # (a minute on: when the car was last heard from is the car's connection, shown to whoever
    # has it now, and must not be taken for the time of Bernd's privacy change)
    await later(runtime, clock, anna, bernd, minutes=1)
    await set_twin(runtime, vin, {LOW_VOLTAGE: VOLTAGE})
    bernds.add("status value", VOLTAGE)
    await _park(runtime, vin)
    bernds.add("parked position", PARKED[0])
    values = {
        "vin": vin,
        "trip_id": next(iter(bernds.markers["trip"])),
        "command_id": next(iter(bernds.markers["command"])),
        "schedule_id": str(uuid.uuid4()),
        "subscription_id": str(uuid.uuid4()),
        "package": "svt",
    }

    # Anna, secondary while Bernd has the car: refused or nothing of his.
    async with reader(app, anna) as as_anna:
        answers = await walk(runtime, app, client, as_anna, values)
    assert leaks(answers, bernds) == []
    api = {w: r.status_code for w, r in answers.items() if w.startswith("/api/v1/vehicles/")}
    # Open to a secondary account: the car's name and model, its own selling checklist, and
    # the car's service book (dealer visits name no person; an account's own records are its
    # own only, docs/maintenance.md).
    assert {w for w, code in api.items() if code != 403} == {
        f"/api/v1/vehicles/{vin}?{{}}",
        f"/api/v1/vehicles/{vin}/sell-checklist?{{}}",
        f"/api/v1/vehicles/{vin}/service-history?{{}}",
    }

    # Anna claims the car back: her own first stretch is hers again, Bernd's is not.
    await later(runtime, clock, anna, bernd, hours=1)
    await _claim(client, anna, vin)
    await worker.run_due()
    assert (await activate(client, anna, vin, accept=ACCEPT_DE)).status_code == 200
    annas_own = await _command(vin, client, anna, "door-lock")  # ends the command streams
    await later(runtime, clock, anna, bernd, minutes=1)
    values["trip_id"] = next(iter(annas.markers["trip"]))
    async with reader(app, anna) as as_anna:
        answers = await walk(runtime, app, client, as_anna, values)
    assert leaks(answers, bernds) == []
    assert seen_kinds(answers, annas) == {"trip", "command", "privacy change"}
    bernds_view = await client.get(f"/api/v1/vehicles/{vin}/trips", headers=bernd.headers)
    assert bernds_view.status_code == 403  # and Bernd, secondary now, is refused

    # Anna removes the car (her "delete my data") and adds it again: a fresh start.
    removed = await client.request(
        "DELETE", f"/api/v1/garage/vehicles/{vin}", json={"confirm": True}, headers=anna.headers
    )
    assert removed.status_code == 204, removed.text
    await worker.run_due()
    await later(runtime, clock, anna, bernd, hours=1)
    await _claim(client, bernd, vin)  # Bernd is primary again, then removes the car too
    await worker.run_due()
    gone = await client.request(
        "DELETE", f"/api/v1/garage/vehicles/{vin}", json={"confirm": True}, headers=bernd.headers
    )
    assert gone.status_code == 204, gone.text
    await worker.run_due()
    await later(runtime, clock, anna, bernd, minutes=5)
    added = await client.post(
        "/api/v1/garage/vehicles",
        json={"vin": vin, "odometer_km": ODOMETER_KM},
        headers=anna.headers,
    )
    assert added.status_code == 201, added.text
    assert added.json()["role"] == "primary"
    await worker.run_due()
    assert (await activate(client, anna, vin, accept=ACCEPT_DE)).status_code == 200
    await _command(vin, client, anna, "door-lock")
    await later(runtime, clock, anna, bernd, minutes=1)
    annas.add("command", annas_own)
    async with reader(app, anna) as as_anna:
        answers = await walk(runtime, app, client, as_anna, values)
    assert leaks(answers, bernds) == []
    assert leaks(answers, annas) == []
