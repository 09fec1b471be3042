"""The data the fuzz suite runs against: two owners, a car in the first one's garage, one staff
account per role, and fresh access tokens for each of them.

Seeding runs in its own event loop through its own engine, which is disposed before the fuzzer
sends anything: the app under test then opens its connections in schemathesis's event loop.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx
from fastapi import FastAPI

from linkplus.app import build_runtime, create_app
from linkplus.config import Settings
from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import Account, StaffAccount, StaffRole
from linkplus.runtime import Runtime
from tests.connected_services.support import ACCEPT_DE
from tests.factories import bearer_for, make_owner, make_staff
from tests.garage.support import add_car, make_car

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
