"""Services stop when the Terms of Use are withdrawn, the primary account changes, or the car
leaves the account; the welcome prompt lists what waits to be activated."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from linkplus.audit import service as audit
from linkplus.connected_services import service
from linkplus.jobs.worker import Worker
from linkplus.models.services import SellChecklistMark, ServiceActivation
from linkplus.runtime import Runtime
from tests.connected_services.support import (
    ACCEPT_DE,
    ODOMETER_KM,
    activate,
    link,
    make_vehicle,
    owner,
    primary_owner_of_new_car,
    states,
)


async def _is_active(runtime: Runtime, vin: str, name: str = "standard") -> bool:
    async with runtime.db.transaction() as session:
        return await service.is_active(session, runtime, vin=vin, service=name)


async def _activation(runtime: Runtime, vin: str, package: str = "standard") -> ServiceActivation:
    async with runtime.db.transaction() as session:
        stmt = select(ServiceActivation).where(
            ServiceActivation.vin == vin, ServiceActivation.package == package
        )
        return (await session.scalars(stmt)).one()


async def test_withdrawing_the_terms_stops_services_on_every_car_until_accepted_again(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker
) -> None:
    me, first = await primary_owner_of_new_car(runtime)
    second = await make_vehicle(runtime, model_code="RZ450E")
    await link(runtime, me.account, second, primary=True)
    assert (await activate(client, me, first, accept=ACCEPT_DE)).status_code == 200
    assert (await activate(client, me, second, packages=["standard", "svt"])).status_code == 200

    gone = await client.delete("/api/v1/privacy/consents/terms_of_use", headers=me.headers)
    assert gone.status_code == 204
    await worker.run_due()

    for vin in (first, second):
        assert not await _is_active(runtime, vin)
        centre = (await client.get(f"/api/v1/vehicles/{vin}/services", headers=me.headers)).json()
        assert states(centre)["remote_lock_unlock"] == "inactive"
        assert centre["terms_accepted"] is False
    row = await _activation(runtime, second, "svt")
    assert (row.reason, row.deactivated_at is not None) == ("terms_withdrawn", True)

    inbox = (await client.get("/api/v1/notifications", headers=me.headers)).json()["items"]
    assert [n["kind"] for n in inbox] == ["connected_services_stopped"]
    assert "Terms of Use" in inbox[0]["body"]

    refused = await activate(client, me, first)
    assert refused.status_code == 409
    assert refused.json()["code"] == "terms_not_accepted"

    # Accepting again (only the withdrawn document is missing) makes activation possible again.
    back = await activate(client, me, first, accept={"terms_of_use": "2.0"})
    assert back.status_code == 200, back.text
    assert await _is_active(runtime, first)
    assert not await _is_active(runtime, second)

    async with runtime.db.transaction() as session:
        entries = await audit.entries_for(session, action="services.deactivated")
    assert sorted((e.subject_id, e.details["reason"]) for e in entries) == sorted(
        [(first, "terms_withdrawn"), (second, "terms_withdrawn")]
    )
    assert all(e.actor_type == "system" for e in entries)


async def test_a_late_withdrawal_job_does_not_stop_what_was_set_up_again(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker
) -> None:
    me, vin = await primary_owner_of_new_car(runtime)
    await activate(client, me, vin, accept=ACCEPT_DE)
    await client.delete("/api/v1/privacy/consents/terms_of_use", headers=me.headers)
    # Before the job runs, the owner accepts again; the job then has nothing to stop.
    await client.post(
        "/api/v1/privacy/consents",
        json={"document": "terms_of_use", "version": "2.0"},
        headers=me.headers,
    )
    await worker.run_due()
    assert await _is_active(runtime, vin)


async def test_withdrawing_the_privacy_notice_keeps_services_but_blocks_new_activations(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker
) -> None:
    me, vin = await primary_owner_of_new_car(runtime)
    await activate(client, me, vin, accept=ACCEPT_DE)
    await client.delete("/api/v1/privacy/consents/privacy_notice", headers=me.headers)
    await worker.run_due()
    assert await _is_active(runtime, vin)
    refused = await activate(client, me, vin, packages=["svt"])
    assert refused.json()["code"] == "terms_not_accepted"


async def test_a_new_primary_account_stops_the_previous_ones_services(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker
) -> None:
    me, vin = await primary_owner_of_new_car(runtime)
    await activate(client, me, vin, packages=["standard", "svt"], accept=ACCEPT_DE)
    buyer = await owner(runtime)
    await link(runtime, buyer.account, vin, primary=False)

    claimed = await client.post(
        f"/api/v1/vehicles/{vin}/primary-account",
        json={"odometer_km": ODOMETER_KM},
        headers=buyer.headers,
    )
    assert claimed.status_code == 204, claimed.text
    assert not await _is_active(runtime, vin)  # at once: only the current primary counts
    await worker.run_due()
    row = await _activation(runtime, vin)
    assert row.reason == "primary_changed"

    # The buyer activates with their own acceptance and gets what is left of the period.
    centre = (await activate(client, buyer, vin, accept=ACCEPT_DE)).json()
    lock = next(s for s in centre["services"] if s["service"] == "remote_lock_unlock")
    assert (lock["state"], lock["ends_at"]) == ("active", "2028-03-01T00:00:00Z")
    assert await _is_active(runtime, vin)


async def test_removing_the_car_stops_its_services_for_that_account(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker
) -> None:
    me, vin = await primary_owner_of_new_car(runtime)
    await activate(client, me, vin, accept=ACCEPT_DE)
    await client.post(f"/api/v1/vehicles/{vin}/sell-checklist/buyer-informed", headers=me.headers)
    removed = await client.request(
        "DELETE", f"/api/v1/garage/vehicles/{vin}", json={"confirm": True}, headers=me.headers
    )
    assert removed.status_code == 204, removed.text
    await worker.run_due()
    assert not await _is_active(runtime, vin)
    row = await _activation(runtime, vin)
    assert row.reason == "vehicle_removed"
    async with runtime.db.transaction() as session:
        marks = await session.scalar(select(func.count()).select_from(SellChecklistMark))
    assert marks == 0
    gone = await client.get(f"/api/v1/vehicles/{vin}/services", headers=me.headers)
    assert gone.status_code == 404


async def test_welcome_lists_primary_cars_waiting_for_activation(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    me, waiting = await primary_owner_of_new_car(runtime, model_code="RZ450E")
    active = await make_vehicle(runtime)
    await link(runtime, me.account, active, primary=True)
    await activate(client, me, active, accept=ACCEPT_DE)
    ordered = await make_vehicle(runtime, first_delivery_date=None)
    await link(runtime, me.account, ordered, primary=True)
    someone, theirs = await primary_owner_of_new_car(runtime)
    await link(runtime, me.account, theirs, primary=False)

    listed = (await client.get("/api/v1/garage/welcome", headers=me.headers)).json()
    assert listed == [
        {"vin": waiting, "model_name": "Lexus RZ 450e", "complimentary_until": "2028-03-01"}
    ]
    assert [
        c["vin"]
        for c in (await client.get("/api/v1/garage/welcome", headers=someone.headers)).json()
    ] == [theirs]
    assert (await client.get("/api/v1/garage/welcome")).status_code == 401
