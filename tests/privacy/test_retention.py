"""Retention that runs: each kind of personal data is purged by its scheduled job once it is older
than its setting, and newer data stays. The clock is moved, the worker's schedules fire as in
production (``sync_schedules``, ``tick_schedules``, ``run_due``), on both databases."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.bootstrap import build_runtime
from linkplus.config import Settings
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import Account
from linkplus.models.jobs import Job, JobState
from linkplus.models.notifications import Notification, OutboundEmail, OutboundEmailAttachment
from linkplus.models.remote import RemoteCommand, RemoteCommandChange
from linkplus.models.trips import Trip
from linkplus.models.twin import (
    CommandResultRecord,
    PositionFix,
    PostTripCheck,
    SeenMessage,
    SignalSample,
    TripUploadRecord,
    VehicleEventRecord,
)
from linkplus.privacy.data_map import load
from linkplus.runtime import Runtime
from linkplus.trips.packing import ROUTE_DELETED
from linkplus.vehicle_link import service as vehicle_link
from tests.connected_services.support import make_vehicle
from tests.support import DEFAULT_PASSWORD, bearer_for, make_owner
from tests.trips_e2e.support import deliver, make_trip, trip_upload
from tests.vehicle_link.support import make_car
from tests.web.support import sign_in, text_of

Seed = Callable[[AsyncSession, "Place", datetime], Awaitable[None]]
Count = Callable[[AsyncSession, "Place"], Awaitable[int]]


@dataclass
class Place:
    """Where a kind's rows live: a car and its owner."""

    vin: str
    account_id: uuid.UUID


async def _run_schedules(worker: Worker) -> list[str]:
    queued = await worker.tick_schedules()
    await worker.run_due()
    return queued


async def _count(session: AsyncSession, stmt: Select[tuple[int]]) -> int:
    return int(await session.scalar(stmt) or 0)


# --- one seed and one count per kind -----------------------------------------------------------


async def _position(session: AsyncSession, at: Place, when: datetime) -> None:
    session.add(PositionFix(vin=at.vin, ts=when, latitude=48.1, longitude=11.5))


async def _positions(session: AsyncSession, at: Place) -> int:
    return await _count(session, select(func.count()).where(PositionFix.vin == at.vin))


async def _trip_upload(session: AsyncSession, at: Place, when: datetime) -> None:
    session.add(
        TripUploadRecord(
            msg_id=uuid.uuid4(),
            vin=at.vin,
            occurred_at=when,
            received_at=when,
            payload={"samples": {"lat": [48.1], "lon": [11.5]}},
            consumed_at=when,
        )
    )


async def _trip_uploads(session: AsyncSession, at: Place) -> int:
    return await _count(session, select(func.count()).where(TripUploadRecord.vin == at.vin))


async def _signal(session: AsyncSession, at: Place, when: datetime) -> None:
    session.add(SignalSample(vin=at.vin, path="Vehicle.TraveledDistance", ts=when, value=1.0))


async def _signals(session: AsyncSession, at: Place) -> int:
    return await _count(session, select(func.count()).where(SignalSample.vin == at.vin))


async def _event(session: AsyncSession, at: Place, when: datetime) -> None:
    session.add(
        VehicleEventRecord(
            msg_id=uuid.uuid4(), vin=at.vin, type="ignition_off", occurred_at=when, received_at=when
        )
    )


async def _events(session: AsyncSession, at: Place) -> int:
    return await _count(session, select(func.count()).where(VehicleEventRecord.vin == at.vin))


async def _post_trip_check(session: AsyncSession, at: Place, when: datetime) -> None:
    session.add(
        PostTripCheck(vin=at.vin, trip_ended_at=when, checked_at=when, findings=[], notified=False)
    )


async def _post_trip_checks(session: AsyncSession, at: Place) -> int:
    return await _count(session, select(func.count()).where(PostTripCheck.vin == at.vin))


async def _seen(session: AsyncSession, at: Place, when: datetime) -> None:
    session.add(SeenMessage(msg_id=uuid.uuid4(), received_at=when))


async def _seens(session: AsyncSession, at: Place) -> int:
    return await _count(session, select(func.count()).select_from(SeenMessage))


async def _command(session: AsyncSession, at: Place, when: datetime) -> None:
    """A finished command with its two state changes and the car's answer."""
    command = RemoteCommand(
        vin=at.vin,
        account_id=at.account_id,
        type="lock",
        subsystem="doors",
        params={},
        state="completed",
        created_at=when,
        expires_at=when + timedelta(minutes=1),
        finished_at=when,
        updated_at=when,
    )
    session.add(command)
    await session.flush()
    for state in ("accepted", "completed"):
        session.add(RemoteCommandChange(vin=at.vin, command_id=command.id, state=state, at=when))
    session.add(
        CommandResultRecord(
            msg_id=uuid.uuid4(),
            vin=at.vin,
            command_id=command.id,
            status="succeeded",
            sent_at=when,
            received_at=when,
        )
    )


async def _commands(session: AsyncSession, at: Place) -> int:
    commands = await _count(session, select(func.count()).where(RemoteCommand.vin == at.vin))
    changes = await _count(session, select(func.count()).where(RemoteCommandChange.vin == at.vin))
    results = await _count(session, select(func.count()).where(CommandResultRecord.vin == at.vin))
    assert changes == 2 * commands, (commands, changes)
    assert results == commands, (commands, results)
    return commands


async def _notification(session: AsyncSession, at: Place, when: datetime) -> None:
    session.add(
        Notification(
            account_id=at.account_id,
            category="vehicle_alerts",
            kind="window_open",
            title="A window is open",
            body="The rear left window is open.",
            created_at=when,
            read_at=None,
        )
    )


async def _notifications(session: AsyncSession, at: Place) -> int:
    return await _count(
        session, select(func.count()).where(Notification.account_id == at.account_id)
    )


async def _email(session: AsyncSession, at: Place, when: datetime) -> None:
    """A delivered e-mail with an attachment."""
    email = OutboundEmail(
        account_id=at.account_id,
        to_address="owner@example.com",
        subject="Your invoice",
        text_body="Attached.",
        category="billing",
        created_at=when,
        sent_at=when,
    )
    session.add(email)
    await session.flush()
    session.add(
        OutboundEmailAttachment(
            email_id=email.id,
            position=0,
            filename="invoice.pdf",
            mime_type="application/pdf",
            content=b"%PDF",
        )
    )


async def _emails(session: AsyncSession, at: Place) -> int:
    emails = await _count(
        session, select(func.count()).where(OutboundEmail.account_id == at.account_id)
    )
    attachments = await _count(
        session,
        select(func.count())
        .select_from(OutboundEmailAttachment)
        .join(OutboundEmail, OutboundEmail.id == OutboundEmailAttachment.email_id)
        .where(OutboundEmail.account_id == at.account_id),
    )
    delivered = await _count(
        session,
        select(func.count()).where(
            OutboundEmail.account_id == at.account_id, OutboundEmail.sent_at.is_not(None)
        ),
    )
    assert attachments == delivered  # the delivered ones were seeded with one attachment each
    total_attachments = await _count(
        session, select(func.count()).select_from(OutboundEmailAttachment)
    )
    assert total_attachments == attachments  # none left behind without its mail
    return emails


@dataclass(frozen=True)
class Kind:
    name: str
    setting: str
    unit: str
    seed: Seed
    count: Count


KINDS = [
    Kind("positions", "location_retention_days", "days", _position, _positions),
    Kind("trip uploads", "location_retention_days", "days", _trip_upload, _trip_uploads),
    Kind("signal history", "signal_history_retention_days", "days", _signal, _signals),
    Kind("car events", "signal_history_retention_days", "days", _event, _events),
    Kind(
        "post-trip checks",
        "signal_history_retention_days",
        "days",
        _post_trip_check,
        _post_trip_checks,
    ),
    Kind("seen message ids", "message_dedupe_hours", "hours", _seen, _seens),
    Kind("command history", "command_history_retention_days", "days", _command, _commands),
    Kind("notifications", "notification_retention_days", "days", _notification, _notifications),
    Kind("e-mail outbox", "sent_email_retention_days", "days", _email, _emails),
]


async def _place(runtime: Runtime) -> Place:
    person = await make_owner(runtime)
    vin = await make_vehicle(runtime)
    return Place(vin=vin, account_id=person.id)


@pytest.mark.parametrize("kind", KINDS, ids=[kind.name for kind in KINDS])
async def test_data_older_than_its_setting_is_purged_by_the_schedule_and_newer_stays(
    runtime: Runtime, clock: ManualClock, worker: Worker, kind: Kind
) -> None:
    period = timedelta(**{kind.unit: getattr(runtime.settings, kind.setting)})
    place = await _place(runtime)
    await worker.sync_schedules()
    async with runtime.db.transaction() as session:
        await kind.seed(session, place, clock.now() - timedelta(minutes=1))
        await kind.seed(session, place, clock.now())
    clock.advance(seconds=(period - timedelta(hours=2)).total_seconds())
    async with runtime.db.transaction() as session:
        await kind.seed(session, place, clock.now())  # newer: stays
    async with runtime.db.read() as session:
        assert await kind.count(session, place) == 3

    clock.advance(days=1)  # the older two are past the period now; the newer is not
    assert await _run_schedules(worker)
    async with runtime.db.read() as session:
        assert await kind.count(session, place) == 1

    await _run_schedules(worker)  # idempotent: a second run changes nothing
    async with runtime.db.read() as session:
        assert await kind.count(session, place) == 1


async def test_an_open_command_is_not_purged_however_old(
    runtime: Runtime, clock: ManualClock, worker: Worker
) -> None:
    place = await _place(runtime)
    await worker.sync_schedules()
    async with runtime.db.transaction() as session:
        session.add(
            RemoteCommand(
                vin=place.vin,
                account_id=place.account_id,
                type="lock",
                subsystem="doors",
                params={},
                state="sent",
                created_at=clock.now(),
                expires_at=clock.now() + timedelta(minutes=1),
                updated_at=clock.now(),
            )
        )
    clock.advance(days=runtime.settings.command_history_retention_days + 5)
    await _run_schedules(worker)
    async with runtime.db.read() as session:
        assert await _count(session, select(func.count()).where(RemoteCommand.vin == place.vin))


async def test_an_undelivered_email_goes_after_the_period_counted_from_when_it_was_written(
    runtime: Runtime, clock: ManualClock, worker: Worker
) -> None:
    place = await _place(runtime)
    await worker.sync_schedules()
    async with runtime.db.transaction() as session:
        for _ in range(2):
            session.add(
                OutboundEmail(
                    account_id=place.account_id,
                    to_address="owner@example.com",
                    subject="Welcome",
                    text_body="Hello",
                    category="account",
                    created_at=clock.now(),
                    sent_at=None,
                )
            )
    clock.advance(days=runtime.settings.sent_email_retention_days - 1)
    await _run_schedules(worker)
    async with runtime.db.read() as session:
        assert await _emails(session, place) == 2
    clock.advance(days=2)
    await _run_schedules(worker)
    async with runtime.db.read() as session:
        assert await _emails(session, place) == 0


async def _trip_detail(
    runtime: Runtime, client: httpx.AsyncClient, vin: str, account: Account
) -> list[dict[str, Any]]:
    headers = await bearer_for(runtime, account)
    listed = await client.get(f"/api/v1/vehicles/{vin}/trips", headers=headers)
    assert listed.status_code == 200, listed.text
    details = []
    for month in listed.json()["months"]:
        for trip in month["trips"]:
            answer = await client.get(f"/api/v1/vehicles/{vin}/trips/{trip['id']}", headers=headers)
            assert answer.status_code == 200, answer.text
            details.append(answer.json())
    return sorted(details, key=lambda detail: str(detail["started_at"]))


async def test_trip_routes_follow_the_location_retention_and_the_trip_stays(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, worker: Worker
) -> None:
    """A trip taken in through the gateway and the trips job loses its route and samples (and
    its raw upload) once it ended longer ago than ``location_retention_days``; its summary and
    scores stay, and a newer trip keeps its route."""
    car = await make_car(runtime, client, model_code="NX450HP")
    await worker.sync_schedules()
    await deliver(runtime, car.vin, trip_upload(make_trip(clock.now() - timedelta(minutes=20)), 1))
    await worker.run_due()
    days = runtime.settings.location_retention_days
    clock.advance(days=days - 1)
    await deliver(runtime, car.vin, trip_upload(make_trip(clock.now() - timedelta(minutes=20)), 2))
    await worker.run_due()
    before = await _trip_detail(runtime, client, car.vin, car.owner.account)
    assert [trip["route"] is not None for trip in before] == [True, True]
    assert [trip["route_deleted"] for trip in before] == [False, False]

    clock.advance(days=2)
    queued = await _run_schedules(worker)
    assert "trips.daily_purge" in queued

    old, new = await _trip_detail(runtime, client, car.vin, car.owner.account)
    assert old["route"] is None
    assert old["route_deleted"] is True
    assert old["score"] == before[0]["score"]
    assert old["distance_km"] == before[0]["distance_km"]
    assert new["route"] == before[1]["route"]
    assert new["route_deleted"] is False
    async with runtime.db.read() as session:
        blobs = (await session.scalars(select(Trip.samples).order_by(Trip.started_at))).all()
        assert blobs[0] == ROUTE_DELETED
        assert blobs[1] != ROUTE_DELETED
        uploads = await _trip_uploads(session, Place(car.vin, car.owner.account.id))
        assert uploads == 1  # the newer trip's raw upload only
    export = await client.get(
        f"/api/v1/vehicles/{car.vin}/trips/export?format=gpx",
        headers=await bearer_for(runtime, car.owner.account),
    )
    assert export.status_code == 200, export.text
    assert export.text.count("<trkseg") == 1  # only the newer trip has a route to export

    await sign_in(client, car.owner.account.email, DEFAULT_PASSWORD)
    page = await client.get(f"/vehicle/{car.vin}/trips/{old['id']}")
    assert page.status_code == 200, page.text
    assert "This trip's route has been deleted" in text_of(page.text)
    assert "No position of this trip is known" not in text_of(page.text)


async def test_a_large_purge_goes_in_bounded_batches_each_its_own_job(
    settings: Settings, clock: ManualClock
) -> None:
    """With 2 rows per statement and 1 statement per job, one run deletes 2 positions and says
    there is more; the scheduled run then queues follow-up jobs until all 7 are gone."""
    small = settings.model_copy(update={"purge_batch_rows": 2, "purge_batches_per_job": 1})
    runtime = build_runtime(small, clock=clock)
    try:
        worker = Worker(runtime, name="test-worker")
        place = await _place(runtime)
        await worker.sync_schedules()
        async with runtime.db.transaction() as session:
            for second in range(7):
                await _position(session, place, clock.now() + timedelta(seconds=second))
        clock.advance(days=small.location_retention_days + 1)

        async with runtime.db.transaction() as session:
            report = await vehicle_link.purge(session, runtime)
        assert (report.positions, report.more) == (2, True)
        async with runtime.db.read() as session:
            assert await _positions(session, place) == 5

        await _run_schedules(worker)
        async with runtime.db.read() as session:
            assert await _positions(session, place) == 0
            purges = await session.scalar(
                select(func.count()).where(
                    Job.name == "vehicle_link.purge", Job.state == JobState.done
                )
            )
        assert purges is not None
        assert purges >= 3
    finally:
        await runtime.db.dispose()


# Purges tested with their own domain's tests (the setting, and the test that moves the clock).
TESTED_ELSEWHERE = {
    "export_link_days": "tests/rights/test_export_api.py::"
    "test_the_link_expires_and_the_scheduled_job_deletes_the_file",
}


def test_every_purge_schedule_the_map_names_has_a_test_here() -> None:
    """The map's retention rules that name a purge are the ones exercised above (or, for a
    domain that tests its own, in the test named in ``TESTED_ELSEWHERE``, which must exist)."""
    for where in TESTED_ELSEWHERE.values():
        path, name = where.split("::")
        assert f"def {name}(" in (Path(__file__).parents[2] / path).read_text("utf-8"), where
    tested = {kind.setting for kind in KINDS} | set(TESTED_ELSEWHERE)
    named = {rule.setting for rule in load().retention.values() if rule.purged_by}
    assert named <= tested, f"purged but not tested: {sorted(named - tested)}"


def test_the_settings_refuse_a_retention_below_one() -> None:
    for name in (
        "location_retention_days",
        "command_history_retention_days",
        "notification_retention_days",
        "sent_email_retention_days",
        "export_link_days",
        "invoice_retention_years",
        "purge_batch_rows",
    ):
        with pytest.raises(ValueError, match="greater than or equal to 1"):
            Settings(**{name: 0})  # type: ignore[arg-type]
