"""Removing a car: confirmation, the end of the primary role, the event, the audit entry."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from linkplus.audit import service as audit
from linkplus.events import Subscription, register
from linkplus.garage.events import VehicleRemovedFromAccount
from linkplus.jobs import JobContext, task
from linkplus.jobs.worker import Worker
from linkplus.models.jobs import Job
from linkplus.runtime import Runtime
from tests.garage.support import add_car, make_car, owner_with_car
from tests.support import make_owner

REACTION = "garage_test.vehicle_removed"
reactions: list[dict[str, Any]] = []


@task(REACTION)
async def _record_removal(ctx: JobContext, event: VehicleRemovedFromAccount) -> None:
    reactions.append(event.model_dump(mode="json"))


register([Subscription(VehicleRemovedFromAccount, _record_removal)])


def _remove(client: httpx.AsyncClient, vin: str, headers: dict[str, str], body: Any) -> Any:
    return client.request("DELETE", f"/api/v1/garage/vehicles/{vin}", json=body, headers=headers)


async def test_removal_needs_confirmation(runtime: Runtime, client: httpx.AsyncClient) -> None:
    car = await make_car(runtime)
    headers = await owner_with_car(runtime, client, await make_owner(runtime), car)
    for body in (None, {}, {"confirm": False}, {"confirm": "yes"}, {"confirm": True, "x": 1}):
        response = await _remove(client, car.vin, headers, body)
        assert response.status_code == 422, body
    refused = await _remove(client, car.vin, headers, {"confirm": False})
    assert refused.json()["errors"][0]["type"] == "confirmation_required"
    assert len((await client.get("/api/v1/garage/vehicles", headers=headers)).json()) == 1


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def test_removal_ends_the_primary_role_and_publishes_the_event(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker
) -> None:
    car = await make_car(runtime)
    owner = await make_owner(runtime)
    headers = await owner_with_car(runtime, client, owner, car)
    other = await owner_with_car(runtime, client, await make_owner(runtime), car)

    assert (await _remove(client, car.vin, headers, {"confirm": True})).status_code == 204
    assert (await client.get("/api/v1/garage/vehicles", headers=headers)).json() == []
    gone = await client.get(f"/api/v1/vehicles/{car.vin}", headers=headers)
    assert gone.status_code == 404
    again = await _remove(client, car.vin, headers, {"confirm": True})
    assert again.status_code == 404
    # The other account stays secondary: nobody is primary until someone claims it.
    assert (await client.get(f"/api/v1/vehicles/{car.vin}", headers=other)).json()["role"] == (
        "secondary"
    )

    # The account's tenure rides along: the rights domain erases its data about the car in it.
    # Its running stretch ends just after the removal (what the car recorded at that moment).
    since = runtime.clock.now()
    until = since + timedelta(microseconds=1)
    expected = {
        "vin": car.vin,
        "account_id": str(owner.id),
        "was_primary": True,
        "tenure": [[iso(since), iso(until)]],
    }
    async with runtime.db.transaction() as session:
        queued = (await session.scalars(select(Job).where(Job.name == REACTION))).all()
        assert [j.payload for j in queued] == [expected]
        [entry] = await audit.entries_for(session, action="garage.vehicle_removed")
    assert (entry.actor_type, entry.actor_id, entry.subject_id) == ("owner", str(owner.id), car.vin)
    assert entry.details["was_primary"] is True

    reactions.clear()
    await worker.run_due()
    assert reactions == [expected]


async def test_secondary_removal_leaves_the_primary_alone(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime)
    primary = await owner_with_car(runtime, client, await make_owner(runtime), car)
    secondary_owner = await make_owner(runtime)
    secondary = await owner_with_car(runtime, client, secondary_owner, car)

    assert (await _remove(client, car.vin, secondary, {"confirm": True})).status_code == 204
    assert (await client.get(f"/api/v1/vehicles/{car.vin}", headers=primary)).json()["role"] == (
        "primary"
    )
    async with runtime.db.transaction() as session:
        payloads = [
            j.payload for j in (await session.scalars(select(Job).where(Job.name == REACTION)))
        ]
    # A secondary account had no time of its own with the car: nothing of the car's is erased.
    assert payloads == [
        {"vin": car.vin, "account_id": str(secondary_owner.id), "was_primary": False, "tenure": []}
    ]
    # Re-adding works with fresh proof, as a secondary account.
    readded = await add_car(client, secondary, car)
    assert (readded.status_code, readded.json()["role"]) == (201, "secondary")


async def test_removing_the_car_does_not_lift_a_block(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime)
    await owner_with_car(runtime, client, await make_owner(runtime), car)
    secondary = await owner_with_car(runtime, client, await make_owner(runtime), car)
    url = f"/api/v1/vehicles/{car.vin}/primary-account"
    for _ in range(3):
        await client.post(url, json={"odometer_km": 1}, headers=secondary)

    assert (await _remove(client, car.vin, secondary, {"confirm": True})).status_code == 204
    readded = await add_car(client, secondary, car)
    assert readded.status_code == 409
    assert readded.json()["code"] == "ownership_check_blocked"
