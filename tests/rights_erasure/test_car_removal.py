"""Removing a car erases that account's personal data about the car (seed 000; issue 15), through
the per-domain erasure functions the account's erasure uses, in the removal's own transaction.
The scan is the account erasure's, with needles scoped to the car: the account's trips,
commands, schedule and the positions the car recorded in its time."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from sqlalchemy import select

from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import Account
from linkplus.models.payments import PaymentCard
from linkplus.models.remote import ClimateSchedule, RemoteCommand
from linkplus.models.twin import PositionFix
from linkplus.runtime import Runtime
from tests.rights_erasure.support import (
    PARKED,
    Needles,
    outside,
    person_with_everything,
    scan,
)

EARLIER = (51.3312345, 12.3787654)  # recorded before this owner had the car: not theirs


async def test_removing_a_car_erases_the_accounts_data_about_it_and_nothing_else(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, clock: ManualClock
) -> None:
    person = await person_with_everything(runtime, client, worker, clock)
    needles = Needles()
    async with runtime.db.transaction() as session:
        for model, label in ((RemoteCommand, "command"), (ClimateSchedule, "schedule")):
            ids = await session.scalars(
                select(model.id).where(model.account_id == person.account_id)
            )
            for number, found in enumerate(ids):
                needles.add_id(f"{label} {number}", found)
        positions = list(
            await session.scalars(select(PositionFix).where(PositionFix.vin == person.vin))
        )
        for number, fix in enumerate(positions):
            needles.numbers[f"position {number} latitude"] = fix.latitude
        # A position from before the owner's time with the car (a previous owner's).
        session.add(
            PositionFix(
                vin=person.vin,
                ts=clock.now() - timedelta(days=30),
                latitude=EARLIER[0],
                longitude=EARLIER[1],
                heading=None,
                accuracy_m=None,
            )
        )
    assert len(positions) >= 2
    needles.add_id("trip id", uuid.UUID(person.trip["trip_id"]))
    needles.numbers["trip end latitude"] = person.trip["samples"]["lat"][-1]
    needles.numbers["parked latitude"] = PARKED[0]
    before = await scan(runtime, needles)
    assert {"trips", "trip_uploads", "remote_commands", "remote_climate_schedules"} <= {
        f.table for f in before
    }
    assert outside(before, {})  # the scan sees the car's data while the car is there

    removed = await client.request(
        "DELETE",
        f"/api/v1/garage/vehicles/{person.vin}",
        json={"confirm": True},
        headers=person.headers,
    )
    assert removed.status_code == 204, removed.text
    # Erased in the removal's transaction, before any job runs. The audit log keeps that the
    # account sent its commands (their ids), until the account's own erasure pseudonymises it.
    kept = {("audit_log", "details"): {label for label in needles.text if "command" in label}}
    left = outside(await scan(runtime, needles), kept)
    assert left == [], left
    await worker.run_due()
    assert outside(await scan(runtime, needles), kept) == []

    async with runtime.db.transaction() as session:
        # The previous owner's position stays; the account itself and its wallet stay.
        kept = await session.scalars(
            select(PositionFix.latitude).where(PositionFix.vin == person.vin)
        )
        assert list(kept) == [EARLIER[0]]
        assert await session.get(Account, person.account_id) is not None
        cards = await session.scalars(
            select(PaymentCard).where(PaymentCard.account_id == person.account_id)
        )
        assert len(list(cards)) == 1
