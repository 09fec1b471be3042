"""Plain helpers of the web tests (the fixtures, among them the live server, are in
``conftest.py``): forms read and sent back as a browser does, the owner journeys through the
wallet and subscription pages, and the system's Chromium for the browser tests."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, Page, async_playwright
from sqlalchemy import select, update

from linkplus.app import create_app
from linkplus.config import Settings
from linkplus.jobs.worker import Worker
from linkplus.models.accounts import Account, StaffAccount, StaffRole
from linkplus.models.safety import SafetyCase
from linkplus.protocol.vehicle import Channel, Command, topic
from linkplus.remote import signing
from linkplus.runtime import Runtime
from linkplus.safety import msd
from linkplus.safety import service as safety
from linkplus.sim.car import SimulatedCar
from linkplus.sim.clock import ManualClock, ScaledClock
from linkplus.sim.commands import REMOTE_HANDLERS
from linkplus.sim.roads import build_network
from linkplus.sim.unit import TelematicsUnit
from linkplus.vehicle_link import credentials
from linkplus.vehicle_link.client import BrokerAddress, vehicle_client
from linkplus.vehicle_link.events import EmergencyReported, HeldPosition
from linkplus.vehicle_link.gateway import Gateway, Result
from linkplus.vehicle_link.runner import broker_address
from linkplus.vehicles.catalogue import catalogue
from linkplus.web.remote_pages import router as remote_router
from tests.connected_services.support import ACCEPT_DE, link, make_vehicle
from tests.garage.support import Car
from tests.payments.support import BILLING, SANDBOX_URL, VISA, enter_card
from tests.remote_e2e.support import RemoteLink, remote_link
from tests.servers import missing_service
from tests.support import DEFAULT_PASSWORD, START, bearer_for, make_owner, make_staff

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_in(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no form token"
    return match.group(1)


async def post_form(
    client: httpx.AsyncClient, page: str, action: str, fields: dict[str, str]
) -> httpx.Response:
    """Open ``page`` (which sets the cookies), then post its form to ``action`` with its token."""
    opened = await client.get(page)
    assert opened.status_code == 200, opened.text
    return await client.post(action, data={**fields, "csrf_token": csrf_in(opened.text)})


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    answer = await post_form(client, "/signin", "/signin", {"email": email, "password": password})
    assert answer.status_code == 303, answer.text
    return answer


async def add_by_reading(
    client: httpx.AsyncClient, identifier: str, reading: int | str
) -> httpx.Response:
    return await post_form(
        client,
        "/vehicle/add",
        "/vehicle/add",
        {"identifier": identifier, "odometer_km": str(reading), "nickname": ""},
    )


def text_of(html: str) -> str:
    """The page's words without markup, for asserting on sentences."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@dataclass
class WebOwner:
    account: Account
    vin: str


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


async def web_owner(
    runtime: Runtime,
    browser: httpx.AsyncClient,
    *,
    delivered: date = date(2021, 6, 1),
    language: str = "en",
) -> WebOwner:
    """An owner signed in in ``browser``, primary account of a delivered car."""
    account = await make_owner(runtime, language=language)
    vin = await make_vehicle(runtime, first_delivery_date=delivered)
    await link(runtime, account, vin, primary=True)
    await sign_in(browser, account.email, DEFAULT_PASSWORD)
    return WebOwner(account, vin)


async def start_card(
    browser: httpx.AsyncClient, address: dict[str, str] | None = None
) -> httpx.Response:
    """Step 1 on the platform: the billing address form, answered with the provider's page."""
    page = await browser.get("/wallet/cards/new")
    assert page.status_code == 200, page.text
    fields = address if address is not None else BILLING
    return await browser.post(
        "/wallet/cards/new", data={**fields, "csrf_token": csrf_in(page.text)}
    )


async def add_card_in_pages(browser: httpx.AsyncClient, number: str = VISA) -> httpx.Response:
    """The whole journey: address, the provider's page (and its 3-D Secure challenge), back."""
    started = await start_card(browser)
    assert started.status_code == 303, started.text
    provider_page = started.headers["location"]
    assert provider_page.startswith(SANDBOX_URL + "/cards/new")
    result = await enter_card(browser, provider_page, number=number)
    back = result.location
    assert back.path == "/wallet/cards/added"
    return await browser.get(str(back))


CHECKED_CARD = re.compile(r'name="card_id" value="([0-9a-f-]{36})" checked')


def flow(vin: str, package: str) -> str:
    return f"/vehicle/{vin}/subscriptions/offers/{package}"


def hidden_fields(html: str) -> dict[str, str]:
    """The fields a step carries forward (address, plan, card), as the browser sends them."""
    found = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', html))
    found.pop("csrf_token", None)
    return found


async def subscribe_in_pages(
    browser: httpx.AsyncClient, vin: str, package: str, plan: str, **summary: str
) -> tuple[httpx.Response, str]:
    """Walk every step; returns the activation's answer and the summary page's text."""
    offer = await browser.get(flow(vin, package))
    assert offer.status_code == 200, offer.text
    address = await browser.get(f"{flow(vin, package)}/checkout?plan={plan}")
    assert address.status_code == 200, address.text
    assert 'value="Hauptstraße 1"' in address.text  # prefilled from the primary card
    fields = dict(
        re.findall(r'name="(name|street|postcode|city)"[^>]*value="([^"]*)"', address.text)
    )
    card_page = await browser.post(
        f"{flow(vin, package)}/checkout",
        data={
            **fields,
            "country": "DE",
            "plan": plan,
            "step": "address",
            "csrf_token": csrf_in(address.text),
        },
    )
    assert card_page.status_code == 200, card_page.text
    assert 'name="step" value="card"' in card_page.text  # the card step, in any language
    card_id = CHECKED_CARD.search(card_page.text)
    assert card_id, "the primary card is chosen by default"
    summary_page = await browser.post(
        f"{flow(vin, package)}/checkout",
        data={
            **hidden_fields(card_page.text),
            "card_id": card_id.group(1),
            "csrf_token": csrf_in(card_page.text),
        },
    )
    assert summary_page.status_code == 200, summary_page.text
    assert 'name="step" value="activate"' in summary_page.text  # the summary step
    activated = await browser.post(
        f"{flow(vin, package)}/checkout",
        data={
            **hidden_fields(summary_page.text),
            **summary,
            "csrf_token": csrf_in(summary_page.text),
        },
    )
    return activated, summary_page.text


CHROMIUM = "/usr/bin/chromium"


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


PHONE = {"width": 390, "height": 844}


def require_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        missing_service("Chromium")


async def submit(page: Page, button: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=button).click()


@asynccontextmanager
async def async_playwright_browser() -> AsyncIterator[Browser]:
    """The system's Chromium, started and stopped around the test."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class LiveServer:
    """The whole platform served over real HTTP, as ``linkplus serve`` runs it."""

    url: str
    settings: Settings
    mqtt: BrokerAddress  # the embedded broker the simulated cars connect to
    runtime: Runtime  # a second runtime on the same database: prepare owners, cars and trips


def keep_copy(shot: Path, destination: Path) -> bytes:
    """Copy a screenshot where a person can look at it after the run; its bytes. Written beside
    the destination and renamed over it, so the same test running on two workers at once (one
    per database) never leaves a half-written file."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.{os.getpid()}")
    shutil.copyfile(shot, partial)
    os.replace(partial, destination)
    return shot.read_bytes()


async def signed_in_owner(runtime: Runtime, client: httpx.AsyncClient, **changes: str) -> Account:
    owner = await make_owner(runtime, **changes)
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    return owner


async def owner_with_car(
    runtime: Runtime, client: httpx.AsyncClient, car: Car, **changes: str
) -> Account:
    owner = await signed_in_owner(runtime, client, **changes)
    added = await add_by_reading(client, car.vin, car.odometer_km or 0)
    assert added.status_code == 303, added.text
    return owner


# --- the safety pages ------------------------------------------------------------------------


OWNER_PHONE = "+49 30 1234567"
MUNICH = (48.137154, 11.576124)


def msd_text(
    vin: str,
    *,
    at: datetime,
    latitude: float = MUNICH[0],
    longitude: float = MUNICH[1],
    manual: bool = True,
    passengers: int | None = 2,
) -> str:
    """The car's minimum set of data for an emergency at ``at``, base64 as in the event."""
    data = msd.MinimumSetOfData(
        message_id=1,
        activation=msd.Activation.manual if manual else msd.Activation.automatic,
        test_call=False,
        position_trusted=True,
        vehicle_type=msd.VehicleType.passenger_m1,
        vin=vin,
        propulsion=frozenset({msd.Propulsion.petrol, msd.Propulsion.electric}),
        timestamp=at.replace(microsecond=0),
        position=msd.Position(latitude, longitude),
        direction_deg=90,
        previous=(
            msd.Position(latitude, longitude - 0.0005),
            msd.Position(latitude, longitude - 0.001),
        ),
        passengers=passengers,
    )
    return msd.to_text(msd.encode(data))


class KeptCommands:
    """A command publisher that keeps the signed commands it is given, for the HTTP tests that
    run without a broker (the browser tests publish through the real one)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Command]] = []

    async def publish_command(self, vin: str, command: Command) -> None:
        self.sent.append((vin, command))

    async def close(self) -> None:
        return None


@dataclass
class OwnedCar:
    account: Account
    vin: str


async def owned_car(runtime: Runtime, client: httpx.AsyncClient, **owner: str) -> OwnedCar:
    """A primary owner (with a phone number) of a delivered car whose services are active (the
    stolen-vehicle tracking service among them, complimentary for 3 years)."""
    account = await make_owner(runtime, **owner)
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Account).where(Account.id == account.id).values(phone=OWNER_PHONE)
        )
    vin = await make_vehicle(runtime)
    await link(runtime, account, vin, primary=True, since=runtime.clock.now() - timedelta(days=30))
    activated = await client.post(
        f"/api/v1/vehicles/{vin}/services/activate",
        json={"packages": ["standard", "svt"], "accept": ACCEPT_DE},
        headers=await bearer_for(runtime, account),
    )
    assert activated.status_code == 200, activated.text
    return OwnedCar(account, vin)


async def sos_through_the_service(
    runtime: Runtime, vin: str, *, attempt: int = 1, incident: uuid.UUID | None = None
) -> uuid.UUID:
    """One attempt of an SOS call, as the gateway hands it to the safety service; the case id."""
    now = runtime.clock.now()
    incident = incident or uuid.uuid4()
    event = EmergencyReported(
        vin=vin,
        msg_id=uuid.uuid4(),
        type="emergency_button",
        occurred_at=now,
        incident_id=incident,
        attempt=attempt,
        call="connected",
        msd=msd_text(vin, at=now),
    )
    async with runtime.db.transaction() as session:
        await safety.on_emergency(session, runtime, event)
    return await case_of_incident(runtime, incident)


async def case_of_incident(runtime: Runtime, incident: uuid.UUID) -> uuid.UUID:
    async with runtime.db.transaction() as session:
        found = await session.scalar(
            select(SafetyCase.id).where(SafetyCase.incident_id == incident)
        )
    assert found is not None, "no case for the incident"
    return found


async def hold_positions(
    runtime: Runtime, case_id: uuid.UUID, vin: str, points: list[tuple[float, float]]
) -> None:
    """Positions the car sent while the theft case held its location, one every 30 s."""
    start = runtime.clock.now()
    async with runtime.db.transaction() as session:
        for index, (latitude, longitude) in enumerate(points):
            await safety.on_held_position(
                session,
                runtime,
                HeldPosition(
                    vin=vin,
                    purpose="theft",
                    reference=str(case_id),
                    ts=start + timedelta(seconds=30 * index),
                    latitude=latitude,
                    longitude=longitude,
                    heading=None,
                ),
            )


async def console_staff(
    runtime: Runtime, browser: httpx.AsyncClient, role: StaffRole
) -> StaffAccount:
    staff = await make_staff(runtime, role=role)
    answer = await post_form(
        browser,
        "/console/signin",
        "/console/signin",
        {"email": staff.email, "password": DEFAULT_PASSWORD},
    )
    assert answer.headers["location"] == "/console"
    return staff


# --- over the real protocol --------------------------------------------------------------------


async def provision(runtime: Runtime, vin: str) -> str:
    async with runtime.db.transaction() as session:
        return await credentials.provision(session, vin=vin, now=runtime.clock.now())


async def press_sos_over_mqtt(
    address: BrokerAddress, vin: str, secret: str, *, attempt: int = 1, seq: int = 1
) -> uuid.UUID:
    """The car's SOS press as its unit sends it: an ``emergency_button`` event with a valid MSD,
    QoS 1 on its events topic. Returns the incident id."""
    now = datetime.now(UTC).replace(microsecond=0)
    incident = uuid.uuid4()
    body = {
        "msg_id": str(uuid.uuid4()),
        "seq": seq,
        "sent_at": now.isoformat(),
        "type": "emergency_button",
        "occurred_at": now.isoformat(),
        "incident_id": str(incident),
        "attempt": attempt,
        "call": "connected",
        "msd": msd_text(vin, at=now),
    }
    async with vehicle_client(address, vin=vin, secret=secret) as client:
        await client.publish(topic(vin, Channel.events), json.dumps(body).encode(), qos=1)
    return incident


async def send_positions_over_mqtt(
    address: BrokerAddress,
    vin: str,
    secret: str,
    points: list[tuple[float, float]],
    *,
    seq: int,
) -> None:
    """Telemetry with the car's position, as the unit sends it while tracking runs (measured
    from now on, a second apart, so the case's location hold covers them)."""
    start = datetime.now(UTC)
    async with vehicle_client(address, vin=vin, secret=secret) as client:
        for index, (latitude, longitude) in enumerate(points):
            ts = (start + timedelta(seconds=index)).isoformat()
            body = {
                "msg_id": str(uuid.uuid4()),
                "seq": seq + index,
                "sent_at": ts,
                "signals": [
                    {"path": "Vehicle.CurrentLocation.Latitude", "value": latitude, "ts": ts},
                    {"path": "Vehicle.CurrentLocation.Longitude", "value": longitude, "ts": ts},
                ],
            }
            await client.publish(topic(vin, Channel.telemetry), json.dumps(body).encode(), qos=1)


# --- accessibility (axe-core, vendored for the tests by tools/vendor_web.py) -------------------


AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING_IMPACTS = ("serious", "critical")


async def axe_violations(page: Page) -> list[dict[str, object]]:
    """Every axe violation of the page as it stands (WCAG 2.2 A/AA and axe's best practices).
    The engine goes in through the DevTools protocol (``evaluate``), which the page's security
    policy does not govern, so the page is checked exactly as owners get it."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, object]] = await page.evaluate(
        """async (tags) => {
            const result = await window.axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
            });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => ({
                    target: n.target.join(" "), summary: n.failureSummary,
                })),
            }));
        }""",
        AXE_TAGS,
    )
    return found


def describe_violations(url: str, violations: list[dict[str, object]]) -> str:
    lines = [f"{url}: {len(violations)} serious or critical accessibility violation(s)"]
    for violation in violations:
        lines.append(f"  [{violation['impact']}] {violation['id']}: {violation['help']}")
        nodes = violation["nodes"]
        assert isinstance(nodes, list)
        for node in nodes:
            summary = " ".join(str(node["summary"]).split())
            lines.append(f"      {node['target']}  -- {summary}")
    return "\n".join(lines)


async def assert_accessible(page: Page) -> None:
    """Fails listing every violation of impact serious or critical on the page."""
    blocking = [v for v in await axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, describe_violations(page.url, blocking)


# --- the status pages' unit and the remote pages' simulated car (shared by their tests) -------


class FakeUnit:
    """Messages as a telematics unit sends them, handed to the gateway's processing."""

    def __init__(self, runtime: Runtime, vin: str) -> None:
        self.vin = vin
        self.seq = 0
        self.gateway = Gateway(
            runtime,
            broker_address(runtime.settings),
            secret=credentials.gateway_secret(runtime.settings),
        )

    def _message(self, body: dict[str, Any], at: datetime) -> bytes:
        self.seq += 1
        full = {"msg_id": str(uuid.uuid4()), "seq": self.seq, "sent_at": at.isoformat(), **body}
        return json.dumps(full).encode()

    async def telemetry(self, values: dict[str, Any], *, at: datetime) -> None:
        signals = [{"path": p, "value": v, "ts": at.isoformat()} for p, v in values.items()]
        payload = self._message({"signals": signals}, at)
        tally = await self.gateway.process([(topic(self.vin, Channel.telemetry), payload)])
        assert tally[Result.processed] == 1, tally

    async def event(self, kind: str, *, at: datetime, **extra: Any) -> None:
        payload = self._message({"type": kind, "occurred_at": at.isoformat(), **extra}, at)
        tally = await self.gateway.process([(topic(self.vin, Channel.events), payload)])
        assert tally[Result.processed] == 1, tally


PARKED = {
    "Vehicle.Cabin.Door.Row1.DriverSide.IsOpen": False,
    "Vehicle.Cabin.Door.Row1.DriverSide.IsLocked": True,
    "Vehicle.Cabin.Door.Row1.PassengerSide.IsOpen": False,
    "Vehicle.Cabin.Door.Row1.PassengerSide.IsLocked": False,
    "Vehicle.Cabin.Door.Row1.PassengerSide.Window.Position": 40,
    "Vehicle.Body.Trunk.Rear.IsOpen": False,
    "Vehicle.Body.Lights.Beam.Low.IsOn": False,
    "Vehicle.Powertrain.FuelSystem.RelativeLevel": 61.5,
    "Vehicle.Powertrain.FuelSystem.Range": 402_000,
    "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current": 47.0,
    "Vehicle.Powertrain.TractionBattery.Range": 31_000,
    "Vehicle.Powertrain.TractionBattery.Charging.IsCharging": True,
    "Vehicle.Powertrain.TractionBattery.Charging.IsChargingCableConnected": True,
    "Vehicle.TraveledDistance": 15_432.7,
    "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure": 250,
    "Vehicle.LowVoltageBattery.CurrentVoltage": 12.6,
    "Vehicle.Private.LinkPlus.WarningLights.Active": ["tire_pressure"],
    "Vehicle.CurrentLocation.Latitude": 50.84671,
    "Vehicle.CurrentLocation.Longitude": 4.35251,
}


COMMAND_URL = re.compile(r"^/vehicle/([A-Z0-9]{17})/remote\?command=([0-9a-f-]{36})$")


def with_remote_pages(app: FastAPI) -> FastAPI:
    """The app as served, with the remote pages (mounted once, however the app was built)."""
    if not any(getattr(route, "path", "") == "/vehicle/{vin}/remote" for route in app.routes):
        app.include_router(remote_router)
    return app


@pytest.fixture(name="clock")
def remote_clock() -> ManualClock:
    """The simulator's clock as the platform's: moving it also runs the cars' timers."""
    return ManualClock(START)


@pytest.fixture(name="web")
async def remote_web(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = with_remote_pages(create_app(runtime, run_worker=False, run_gateway=False))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture(name="cars")
async def remote_cars(
    runtime: Runtime, web: httpx.AsyncClient, worker: Worker, clock: ManualClock
) -> AsyncIterator[RemoteLink]:
    async with remote_link(runtime, web, worker, clock, {"phev": "NX450HP"}) as running:
        yield running


async def signed_in_phev(web: httpx.AsyncClient, rlink: RemoteLink) -> str:
    await sign_in(web, rlink.cars["phev"].owner.account.email, DEFAULT_PASSWORD)
    return rlink.cars["phev"].vin


async def press_remote(
    web: httpx.AsyncClient, vin: str, action: str, **fields: str
) -> httpx.Response:
    """Open the car page and submit one of its remote-control forms."""
    page = await web.get(f"/vehicle/{vin}")
    assert page.status_code == 200, page.text
    return await web.post(
        f"/vehicle/{vin}/remote/{action}", data={**fields, "csrf_token": csrf_in(page.text)}
    )


# --- a simulated car on the live server's broker, ready for remote commands --------------------


def remote_unit(
    server: LiveServer,
    vin: str,
    secret: str,
    model_code: str,
    *,
    seed: int = 3,
    odometer_km: float | None = None,
) -> TelematicsUnit:
    """The car's simulated unit on ``server``'s broker, parked with its doors closed and unlocked
    and the key away, obeying the platform's signed commands; its first status is queued."""
    now = datetime.now(UTC).replace(microsecond=0)
    simulated = SimulatedCar.create(
        vin=vin,
        model=catalogue().models[model_code],
        network=build_network(3),
        seed=seed,
        start=now,
    )
    if odometer_km is not None:
        simulated.state.odometer_km = odometer_km
    simulated.state.close_everything()
    simulated.state.smart_key_inside = False
    simulated.state.unlock()
    unit = TelematicsUnit(
        simulated,
        secret=secret,
        address=server.mqtt,
        clock=ScaledClock(now, 1.0),
        handlers=REMOTE_HANDLERS,
        plan=[],
        command_key=signing.command_key(server.settings, vin),
    )
    unit.send_status(now)
    return unit


async def owner_with_remote_car(
    server: LiveServer,
    registry: Runtime,
    email: str,
    *,
    model_code: str,
    market: str,
    seed: int = 3,
    **owner: str,
) -> tuple[str, TelematicsUnit]:
    """An owner (``email``) whose car is primary with its services active, and the car's unit
    (``remote_unit``), not yet running."""
    person = await make_owner(registry, email=email, **owner)
    vin = await make_vehicle(registry, model_code=model_code, market=market)
    await link(registry, person, vin, primary=True)
    async with httpx.AsyncClient(base_url=server.url) as http:
        activated = await http.post(
            f"/api/v1/vehicles/{vin}/services/activate",
            json={"accept": ACCEPT_DE},
            headers=await bearer_for(registry, person),
        )
    assert activated.status_code == 200, activated.text
    secret = await provision(registry, vin)
    return vin, remote_unit(server, vin, secret, model_code, seed=seed)


@asynccontextmanager
async def running(unit: TelematicsUnit) -> AsyncIterator[TelematicsUnit]:
    """The unit connected and answering while the block runs; stopped (bounded) after it."""
    stop = asyncio.Event()
    task = asyncio.create_task(unit.run(stop))
    try:
        yield unit
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def give_console_reason(
    console: httpx.AsyncClient,
    page: str,
    action: str,
    *,
    reason: str = "dealer_service_visit",
    text: str = "",
) -> httpx.Response:
    """Open a console page that asks why first (403 with the reason form), and answer it."""
    asked = await console.get(page)
    assert asked.status_code == 403, asked.text
    assert "Why do you open this?" in asked.text
    return await console.post(
        action, data={"reason": reason, "reason_text": text, "csrf_token": csrf_in(asked.text)}
    )
