"""An owner with data in every domain, and the scan that looks for that owner anywhere in the
database: every table and every column, found by reflecting the schema (nothing listed by hand),
so a table added later is scanned too."""

from __future__ import annotations

import base64
import json
import math
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import MetaData, select, update

from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import Account, SignInSession
from linkplus.models.payments import PaymentCard
from linkplus.models.safety import CaseKind, CaseState, SafetyCase, SafetyCaseEntry
from linkplus.models.twin import PositionFix, VehicleLinkState
from linkplus.privacy import data_map
from linkplus.protocol.vehicle import Channel, topic
from linkplus.runtime import Runtime
from linkplus.vehicle_link import credentials
from tests.connected_services.support import ACCEPT_DE, Owner, activate, link, make_vehicle, owner
from tests.payments.support import BILLING, VISA, add_card
from tests.remote.support import RecordingPublisher, complete
from tests.subscriptions.support import Customer, subscribe
from tests.support import DEFAULT_PASSWORD, bearer_for
from tests.trips_e2e.support import deliver, make_trip, trip_upload
from tests.vehicle_link.support import gateway, telemetry

LAT = "Vehicle.CurrentLocation.Latitude"
LON = "Vehicle.CurrentLocation.Longitude"
FIRST, LAST = "Philippa", "Quennell-Strauss"
PHONE = "+4915112345678"
POSITIONS = ((52.5234871, 13.4113329), (52.5301234, 13.3987654))
PARKED = (52.5176543, 13.4022221)
SAFETY_POSITION = (48.1391234, 11.5801234)


@dataclass
class Person:
    who: Owner
    vin: str
    email: str
    trip: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return self.who.headers

    @property
    def account_id(self) -> uuid.UUID:
        return self.who.account.id

    async def sign_in_again(self, runtime: Runtime) -> None:
        """A fresh access token (the clock may have moved past the old one's 15 minutes)."""
        self.who.headers = await bearer_for(runtime, self.who.account)


@dataclass
class Needles:
    """What names the person: text (searched in every text, JSON and binary value, case
    folded) and numbers (compared with every number)."""

    text: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, float] = field(default_factory=dict)

    def add_id(self, label: str, value: uuid.UUID) -> None:
        self.text[label] = str(value)
        self.text[f"{label} (hex)"] = value.hex


@dataclass(frozen=True)
class Finding:
    table: str
    column: str
    label: str


def _push_subscription() -> dict[str, Any]:
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )

    def b64url(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return {
        "endpoint": f"https://push.example.net/send/{uuid.uuid4().hex}",
        "expirationTime": None,
        "keys": {"p256dh": b64url(point), "auth": b64url(os.urandom(16))},
    }


async def person_with_everything(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, clock: ManualClock
) -> Person:
    """An owner whose account holds data in every domain: profile, sessions, a card, a paid
    subscription (charge and invoice), consents and activated services, positions, a trip,
    privacy-mode changes, a command with its answers, a climate schedule, notifications and
    e-mails, a push subscription, a preferred dealer, the parked position, a safety case."""
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))  # within the car's complimentary years
    runtime.vehicle_link = RecordingPublisher()
    email = f"philippa-{uuid.uuid4().hex[:6]}@example.org"
    who = await owner(runtime, email=email)
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Account)
            .where(Account.id == who.account.id)
            .values(first_name=FIRST, last_name=LAST, phone=PHONE)
        )
    vin = await make_vehicle(runtime, first_delivery_date=date(2022, 6, 1))
    await link(runtime, who.account, vin, primary=True)
    person = Person(who, vin, email)
    billing = {**BILLING, "name": f"{FIRST} {LAST}"}
    assert (await add_card(client, who.headers, VISA, billing=billing)).status_code == 201
    async with runtime.db.transaction() as session:
        await credentials.provision(session, vin=vin, now=clock.now())
    activated = await activate(client, who, vin, accept=ACCEPT_DE)
    assert activated.status_code == 200, activated.text
    bought = await subscribe(client, Customer(who, vin), "svt", "yearly", billing_address=billing)
    trial = await subscribe(
        client, Customer(who, vin), "remote", "monthly", billing_address=billing
    )
    assert bought.status_code == trial.status_code == 201, (bought.text, trial.text)
    await worker.run_due()

    clock.advance(timedelta(minutes=5))
    for seq, (lat, lon) in enumerate(POSITIONS, start=1):
        message = telemetry({LAT: lat, LON: lon}, ts=clock.now() - timedelta(seconds=seq), seq=seq)
        await gateway(runtime).process([(topic(vin, Channel.telemetry), message)])
    start = clock.now() - timedelta(minutes=6)
    person.trip = make_trip(start, seconds=300)
    await deliver(runtime, vin, trip_upload(person.trip, 3))
    await worker.run_due()
    for sharing in (False, True):
        clock.advance(timedelta(minutes=3))
        changed = await client.put(
            f"/api/v1/vehicles/{vin}/privacy-mode",
            json={"location_sharing": sharing},
            headers=who.headers,
        )
        assert changed.status_code == 200, changed.text
    sent = await client.post(
        f"/api/v1/vehicles/{vin}/commands", json={"type": "door-lock"}, headers=who.headers
    )
    assert sent.status_code == 202, sent.text
    await worker.run_due()
    await complete(runtime, worker, vin, sent.json()["id"])
    schedule = await client.post(
        f"/api/v1/vehicles/{vin}/climate-schedules",
        json={"kind": "weekly", "weekdays": ["mon"], "at": "07:30", "timezone": "UTC"},
        headers=who.headers,
    )
    assert schedule.status_code == 201, schedule.text
    pushed = await client.post(
        "/api/v1/push-subscriptions", json=_push_subscription(), headers=who.headers
    )
    assert pushed.status_code == 201, pushed.text
    dealer = await client.put(
        "/api/v1/me/preferred-dealer", json={"dealer_id": "de-muc-1"}, headers=who.headers
    )
    assert dealer.status_code == 200, dealer.text
    signed_in = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": email, "password": DEFAULT_PASSWORD},
    )
    assert signed_in.status_code == 200, signed_in.text
    now = clock.now()
    async with runtime.db.transaction() as session:
        state = await session.get(VehicleLinkState, vin)
        assert state is not None
        state.parked_at = now
        state.parked_latitude, state.parked_longitude = PARKED
        case = SafetyCase(
            vin=vin,
            kind=CaseKind.sos.value,
            state=CaseState.closed.value,
            trigger="button",
            incident_id=uuid.uuid4(),
            account_id=who.account.id,
            opened_at=now,
            updated_at=now,
            latitude=SAFETY_POSITION[0],
            longitude=SAFETY_POSITION[1],
            closed_at=now,
        )
        session.add(case)
        await session.flush()
        session.add(
            SafetyCaseEntry(
                case_id=case.id,
                at=now,
                actor_type="owner",
                actor_id=str(who.account.id),
                action="owner_answered",
                detail={},
            )
        )
    await worker.run_due()
    return person


async def needles_for(runtime: Runtime, person: Person) -> Needles:
    """Everything that names ``person``, read from the database while the account exists."""
    found = Needles(
        text={"e-mail": person.email, "first name": FIRST, "last name": LAST, "phone": PHONE}
    )
    found.add_id("account id", person.account_id)
    async with runtime.db.transaction() as session:
        sessions = await session.scalars(
            select(SignInSession.id).where(SignInSession.account_id == person.account_id)
        )
        for number, session_id in enumerate(sessions):
            found.add_id(f"session id {number}", session_id)
        cards = await session.scalars(
            select(PaymentCard).where(PaymentCard.account_id == person.account_id)
        )
        for number, card in enumerate(cards):
            found.add_id(f"card id {number}", card.id)
            found.text[f"payment token {number}"] = card.provider_token
        positions = await session.scalars(select(PositionFix).where(PositionFix.vin == person.vin))
        for number, fix in enumerate(positions):
            found.numbers[f"position {number} latitude"] = fix.latitude
            found.numbers[f"position {number} longitude"] = fix.longitude
    found.add_id("trip id", uuid.UUID(person.trip["trip_id"]))
    latitudes = person.trip["samples"]["lat"]
    found.numbers["trip middle latitude"] = latitudes[len(latitudes) // 2]
    found.numbers["trip end latitude"] = latitudes[-1]
    found.numbers["parked latitude"], found.numbers["parked longitude"] = PARKED
    found.numbers["safety latitude"], found.numbers["safety longitude"] = SAFETY_POSITION
    assert len([k for k in found.numbers if k.startswith("position")]) >= 2 * len(POSITIONS)
    return found


def _text_hits(value: str, needles: Needles) -> set[str]:
    folded = value.casefold()
    hits = {label for label, needle in needles.text.items() if needle.casefold() in folded}
    for label, number in needles.numbers.items():
        if repr(number) in value:
            hits.add(label)
    return hits


def _hits(value: Any, needles: Needles) -> set[str]:
    if value is None or isinstance(value, bool):
        return set()
    if isinstance(value, uuid.UUID):
        return _text_hits(f"{value} {value.hex}", needles)
    if isinstance(value, int | float | Decimal):
        as_float = float(value)
        return {
            label
            for label, number in needles.numbers.items()
            if math.isclose(as_float, number, rel_tol=0, abs_tol=1e-9)
        } | _text_hits(str(value), needles)
    if isinstance(value, bytes | bytearray | memoryview):
        return _text_hits(bytes(value).decode("latin-1"), needles)
    if isinstance(value, dict | list):
        return _text_hits(json.dumps(value, default=str), needles)
    return _text_hits(str(value), needles)


async def scan(runtime: Runtime, needles: Needles) -> set[Finding]:
    """Every value of every column of every table that holds one of ``needles``."""
    found: set[Finding] = set()
    async with runtime.db.engine.connect() as connection:
        schema = MetaData()
        await connection.run_sync(schema.reflect)
        assert len(schema.tables) > 60, sorted(schema.tables)
        for table in schema.sorted_tables:
            for row in (await connection.execute(select(table))).mappings():
                for column in table.columns:
                    for label in _hits(row[column.name], needles):
                        found.add(Finding(table.name, column.name, label))
    return found


# What an account's data is, as the scan labels it (``Needles``): its content (what the map
# may keep in a kept record) and the identifiers that link a record to the account, which no
# record may keep (the kept ones name the erasure's pseudonym instead).
IDENTIFIERS = ("account id", "session id", "card id", "trip id", "command", "schedule")


def kept_places(needles: Needles) -> dict[tuple[str, str], set[str]]:
    """Where the personal-data map lets the account's data stay after its erasure: the personal
    columns of the tables it keeps as they are (invoices, the payment provider's own records),
    and the positions of the tables it pseudonymises (a safety case's position is what the case
    is about). Never an identifier of the account."""
    content = {
        label for label in (*needles.text, *needles.numbers) if not label.startswith(IDENTIFIERS)
    }
    positions = set(needles.numbers)
    allowed: dict[tuple[str, str], set[str]] = {}
    for table in data_map.load().tables.values():
        for column in table.columns.values():
            if table.erasure == "keep" and column.personal:
                allowed[(table.name, column.name)] = content
            elif table.erasure == "pseudonymise" and column.category == "location":
                allowed[(table.name, column.name)] = positions
    return allowed


def outside(found: set[Finding], allowed: dict[tuple[str, str], set[str]]) -> list[Finding]:
    """The findings that are not in a documented kept place (table, column) for that kind."""
    return sorted(
        (f for f in found if f.label not in allowed.get((f.table, f.column), set())),
        key=lambda f: (f.table, f.column, f.label),
    )
