"""The fuzz suite's platform (the app in-process, its seed data) and the checks it turns off,
each with its reason."""

from __future__ import annotations

import asyncio
import atexit
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from fastapi import FastAPI
from schemathesis.specs.openapi.schemas import OpenApiSchema

from linkplus.app import create_app
from linkplus.bootstrap import build_runtime
from linkplus.config import Settings
from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import Account, StaffAccount, StaffRole
from linkplus.payments.client import HttpPaymentProvider
from linkplus.payments.endpoint import provider_key
from linkplus.runtime import Runtime
from tests.connected_services.support import ACCEPT_DE
from tests.garage.support import add_car, make_car
from tests.support import START, bearer_for, make_owner, make_staff

_DATA_DIR = Path(tempfile.mkdtemp(prefix="linkplus-fuzz-"))
atexit.register(shutil.rmtree, _DATA_DIR, ignore_errors=True)

SETTINGS = Settings(
    data_dir=_DATA_DIR,
    database_url=f"sqlite+aiosqlite:///{_DATA_DIR / 'linkplus.db'}",
    secret_key="fuzz-secret-key-that-is-long-enough-for-hs256-signing",
    public_url="http://testserver",
    worker_enabled=False,
    gateway_enabled=False,
    argon2_time_cost=1,
    argon2_memory_kib=8192,
    argon2_parallelism=1,
    log_json=True,
    log_level="CRITICAL",
)
CLOCK = ManualClock(START)
_RUNTIME = build_runtime(SETTINGS, clock=CLOCK)
APP = create_app(_RUNTIME)
# The sandbox payment provider is part of the app; reach it in-process, as tests/payments does.
_RUNTIME.payments = HttpPaymentProvider(
    base_url="http://testserver/sandbox-pay",
    api_key=provider_key(SETTINGS),
    timeout=5.0,
    transport=httpx.ASGITransport(app=APP),
)


def database_path() -> Path:
    return _DATA_DIR / "linkplus.db"


# Rules the OpenAPI cannot state, so a schema-valid request may be refused for them. Each entry
# turns off one check for one operation, and says why; every other check runs everywhere.
KNOWN_GAPS: dict[tuple[str, str], str] = {
    ("POST /api/v1/accounts/activate", "positive_data_acceptance"): "400 link_invalid: a "
    "well-formed token that names no pending link",
    ("POST /api/v1/me/email/confirm", "positive_data_acceptance"): "400 link_invalid, as above",
    ("POST /api/v1/auth/password-reset/complete", "positive_data_acceptance"): "400 "
    "link_invalid, as above",
    ("POST /api/v1/push-subscriptions", "positive_data_acceptance"): "the endpoint must be a "
    "public https:// host and the keys P-256 points: URL and key checks, not string patterns",
    ("POST /api/v1/garage/vehicles", "positive_data_acceptance"): "exactly one of vin, "
    "registration_plate, pairing_code, with odometer_km only beside the first two",
    ("POST /api/v1/vehicles/{vin}/primary-account", "positive_data_acceptance"): "exactly one "
    "of pairing_code and odometer_km",
    ("GET /api/v1/dealers", "positive_data_acceptance"): "lat and lon together or not at all",
    ("POST /api/v1/accounts", "positive_data_acceptance"): "the phone number must be valid in "
    "its country's numbering plan (phonenumbers) and the password not a common one",
    ("PATCH /api/v1/me", "positive_data_acceptance"): "the phone number, as above",
    ("POST /api/v1/auth/token", "positive_data_acceptance"): "OAuth2 password form: FastAPI "
    "reads an empty field as a missing one",
    ("POST /api/v1/staff/auth/token", "positive_data_acceptance"): "as above",
    ("POST /api/v1/wallet/cards", "positive_data_acceptance"): "422 card_token_invalid: a "
    "well-formed card token the provider does not know",
    ("POST /api/v1/wallet/cards/sessions", "positive_data_acceptance"): "422 "
    "return_url_not_allowed: the address must be on the platform's own origin (its configured "
    "public URL), which no static pattern can state",
    ("GET /api/v1/connectivity-match/{vin}", "positive_data_acceptance"): "422 invalid_vin: the "
    "check digit of North American VINs is not a pattern",
    (r"^/api/v1/staff/vehicles/", "positive_data_acceptance"): "422 invalid_vin, as above",
    (r"^/api/v1/staff/(accounts/|safety/cases/[^/]+/positions)", "positive_data_acceptance"): (
        "the access reason: reason_text is required with reason=other (5 characters at "
        "least) and refused without a reason, a rule across two parameters (the staff vehicles "
        "route has it too, under its entry above)"
    ),
    (r"^/api/v1/vehicles/\{vin\}/keys/owner$", "positive_data_acceptance"): "422 "
    "key_bad_public_key: the public key must be a point on P-256, which no pattern can state",
    (r"^/api/v1/keys/invites/\{invite_id\}/accept$", "positive_data_acceptance"): "422 "
    "key_bad_public_key, as above",
    ("POST /api/v1/vehicles/{vin}/keys/invites", "positive_data_acceptance"): (
        "the invitee's e-mail address must be deliverable (email-validator refuses special-use "
        "and reserved domains), and the limits must work together (422 key_bad_limits: hours "
        "from before until, valid_from before valid_until, limits only for a limited driver)"
    ),
    ("POST /api/v1/keys/{key_id}/invites", "positive_data_acceptance"): "as above",
    ("POST /api/v1/support/cases", "positive_data_acceptance"): "422 "
    "support_invoice_not_for_category / support_car_not_for_category: an invoice only in a "
    "payments case, a car only in a case about a car; a rule across two fields",
    ("POST /api/v1/vehicles/{vin}/service-history", "positive_data_acceptance"): "the visit's "
    "date may not be in the future (the platform's clock) and a cost needs its currency",
    (r"^/api/v1/staff/", "ignored_auth"): "the staff API answers 404, not 401, to a caller "
    "without a staff token, so it does not show that it exists",
}


@dataclass
class Figures:
    """What the suite did, printed at the end of the run (docs/features.md quotes it)."""

    operations: set[str] = field(default_factory=set)
    requests: int = 0
    server_errors: int = 0
    stateful_steps: int = 0
    answers: Counter[tuple[str, int]] = field(default_factory=Counter)

    def count(self, operation: str, status: int) -> None:
        self.operations.add(operation)
        self.requests += 1
        self.server_errors += status >= 500
        self.answers[operation, status] += 1


FIGURES = Figures()


def _config() -> schemathesis.Config:
    operations: dict[str, dict[str, Any]] = {}
    for (operation, check), _why in KNOWN_GAPS.items():
        # An exact operation name, or a path regex for a group of operations.
        selector = "include-path-regex" if operation.startswith("^") else "include-name"
        entry = operations.setdefault(operation, {selector: operation, "checks": {}})
        entry["checks"][check] = {"enabled": False}
    return schemathesis.Config.from_dict({"operations": list(operations.values())})


def load_schema() -> OpenApiSchema:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP, config=_config())
    # The tests send each caller's token themselves; generated Authorization headers would only
    # be overwritten (schemathesis's ignored_auth check still probes without a token).
    schema.config.generation.update(
        deterministic=True, database="none", with_security_parameters=False
    )
    return schema


OWNER = "owner"
SECOND_OWNER = "second_owner"
STAFF_ROLES = tuple(role.value for role in StaffRole)


@dataclass
class World:
    """Who the fuzzer signs in as and the car the first owner has."""

    owner: Account
    second_owner: Account
    staff: dict[str, StaffAccount]
    vin: str = ""
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


async def _seed(settings: Settings, clock: ManualClock) -> World:
    runtime = build_runtime(settings, clock=clock)
    try:
        world = World(
            owner=await make_owner(runtime),
            second_owner=await make_owner(runtime),
            staff={role: await make_staff(runtime, role=StaffRole(role)) for role in STAFF_ROLES},
        )
        await _refresh(runtime, create_app(runtime, run_worker=False, run_gateway=False), world)
        return world
    finally:
        await runtime.db.dispose()


async def _refresh(runtime: Runtime, app: FastAPI, world: World) -> None:
    """New sign-ins for everyone (the fuzzer may sign out or change a password) and the first
    owner's car in place. When the fuzzer removed the car, or changed the owner so that it
    cannot be set up again as before (country, consents, a full garage), the first owner is a
    new account with a new car."""
    world.headers = {
        OWNER: await bearer_for(runtime, world.owner),
        SECOND_OWNER: await bearer_for(runtime, world.second_owner),
        **{role: await bearer_for(runtime, staff) for role, staff in world.staff.items()},
    }
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        listed = await client.get("/api/v1/garage/vehicles", headers=world.headers[OWNER])
        assert listed.status_code == 200, listed.text
        if any(car["vin"] == world.vin for car in listed.json()):
            return
        world.owner = await make_owner(runtime)
        world.headers[OWNER] = await bearer_for(runtime, world.owner)
        car = await make_car(runtime)
        added = await add_car(client, world.headers[OWNER], car)
        assert added.status_code == 201, added.text
        # Connected services on, so remote control, status and trips answer rather than 409.
        activated = await client.post(
            f"/api/v1/vehicles/{car.vin}/services/activate",
            json={"accept": ACCEPT_DE},
            headers=world.headers[OWNER],
        )
        assert activated.status_code == 200, activated.text
        world.vin = car.vin


def seed(settings: Settings, clock: ManualClock) -> World:
    return asyncio.run(_seed(settings, clock))


def refresh(runtime: Runtime, app: FastAPI, world: World) -> None:
    async def run() -> None:
        try:
            await _refresh(runtime, app, world)
        finally:
            await runtime.db.dispose()

    asyncio.run(run())
