"""Use cases of the vehicle link: the status, refresh and find-my-car endpoints, sending commands,
the post-trip check and the retention purge.

The owner-facing calls take a ``CallerVehicle`` that ``PrimaryVehicle`` has already loaded (the
car is in the caller's garage and the caller is its primary account) and refuse with 409 while
the connected service they rest on is not active.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.connected_services import service as connected_services
from linkplus.db import PurgeBudget
from linkplus.garage import service as garage
from linkplus.garage.deps import CallerVehicle
from linkplus.garage.tenure import Tenure
from linkplus.jobs import enqueue
from linkplus.models.notifications import Category
from linkplus.models.privacy import LocationPurpose
from linkplus.models.twin import PostTripCheck, TripUploadRecord, VehicleLinkState
from linkplus.notifications import service as notifications
from linkplus.notifications.links import CarPage, car_page
from linkplus.privacy import service as privacy
from linkplus.protocol.vehicle import COMMAND_REFRESH, AlertKind, Command, TripUpload
from linkplus.runtime import Runtime
from linkplus.vehicle_link import alerts, car_health, car_state, repository, status, twin
from linkplus.vehicle_link.errors import (
    LocationNotShared,
    LocationUnknown,
    LocationWithheldStolen,
    ServiceNotActive,
    VehicleAsleep,
)
from linkplus.vehicle_link.ingest import BatchPlan
from linkplus.vehicle_link.schemas import (
    LocationOut,
    RefreshOut,
    SendCommandJob,
    VehicleStatusOut,
)
from linkplus.vehicles import service as vehicles
from linkplus.vehicles.catalogue import market_capabilities

log = structlog.get_logger("linkplus.vehicle_link")

VEHICLE_STATUS = "vehicle_status"
FIND_MY_CAR = "find_my_car"
POST_TRIP_ALERTS = "post_trip_alerts"
_SERVICE_NAMES = {VEHICLE_STATUS: "Vehicle status", FIND_MY_CAR: "Find my car"}


async def _require_active(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, service: str
) -> None:
    if not await connected_services.is_active(
        session, runtime, vin=caller.vehicle.vin, service=service
    ):
        raise ServiceNotActive(_SERVICE_NAMES[service])


def _facts(state: VehicleLinkState | None) -> status.LinkFacts | None:
    if state is None:
        return None
    return status.LinkFacts(
        last_heard_at=state.last_heard_at,
        last_ignition_on_at=state.last_ignition_on_at,
        last_ignition_off_at=state.last_ignition_off_at,
        asleep_since=state.asleep_since,
        awake_since=state.awake_since,
    )


async def twin_values(
    session: AsyncSession, *, vin: str, tenure: Tenure | None = None
) -> status.Values:
    """The twin of one car: latest value and vehicle timestamp per signal; with ``tenure``, only
    the values the car reported in that account's time with it."""
    return {
        row.path: (row.value, row.ts)
        for row in await repository.twin_signals(session, vin)
        if tenure is None or tenure.covers(row.ts)
    }


async def car_state_of(session: AsyncSession, *, vin: str) -> car_state.CarState:
    """The car's doors, key, alarm, battery, outside temperature and power as last reported."""
    return car_state.car_state(await twin_values(session, vin=vin))


async def car_health_of(
    session: AsyncSession, *, vin: str, tenure: Tenure | None = None
) -> car_health.CarHealth:
    """The car's warning lights, trouble codes, tyres, 12 V battery, oil, odometer and service
    distance as last reported (in ``tenure``: that account's time with the car)."""
    return car_health.car_health(await twin_values(session, vin=vin, tenure=tenure))


async def vehicle_status(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> VehicleStatusOut:
    await _require_active(session, runtime, caller, VEHICLE_STATUS)
    vin = caller.vehicle.vin
    state = await repository.get_link_state(session, vin)
    settings = runtime.settings
    return status.vehicle_status(
        vin,
        await twin_values(session, vin=vin, tenure=caller.tenure),
        powertrain=caller.model.powertrain,
        capabilities=market_capabilities(caller.model, caller.vehicle.market),
        connection=status.connection(
            _facts(state),
            now=runtime.clock.now(),
            online_within=timedelta(minutes=settings.vehicle_online_minutes),
        ),
    )


async def is_asleep(session: AsyncSession, runtime: Runtime, *, vin: str) -> bool:
    facts = _facts(await repository.get_link_state(session, vin))
    return facts is not None and status.asleep_since(facts, now=runtime.clock.now()) is not None


async def request_refresh(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> RefreshOut:
    """Queue the ``refresh`` command; the car answers with telemetry the status then shows."""
    await _require_active(session, runtime, caller, VEHICLE_STATUS)
    vin = caller.vehicle.vin
    if await is_asleep(session, runtime, vin=vin):
        raise VehicleAsleep()
    now = runtime.clock.now()
    expires_at = now + timedelta(minutes=runtime.settings.refresh_command_minutes)
    command_id = uuid.uuid4()
    await enqueue(
        session,
        SendCommandJob(vin=vin, command_id=command_id, type=COMMAND_REFRESH, expires_at=expires_at),
        now=now,
        dedupe_key=f"command:{command_id}",
    )
    return RefreshOut(
        command_id=command_id,
        status="queued",
        expires_at=expires_at,
        message="The car has been asked for a fresh status; it shows here once the car answers.",
    )


async def parked_location(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> LocationOut:
    await _require_active(session, runtime, caller, FIND_MY_CAR)
    vin = caller.vehicle.vin
    now = runtime.clock.now()
    if await privacy.held_for(session, vin=vin, purpose=LocationPurpose.theft, at=now):
        raise LocationWithheldStolen()
    if not await privacy.location_shared_at(session, vin=vin, at=now):
        raise LocationNotShared()
    state = await repository.get_link_state(session, vin)
    if (
        state is None
        or state.parked_at is None
        or state.parked_latitude is None
        or state.parked_longitude is None
        or not caller.tenure.covers(state.parked_at)
    ):
        raise LocationUnknown()
    return LocationOut(
        vin=vin,
        latitude=state.parked_latitude,
        longitude=state.parked_longitude,
        heading=state.parked_heading,
        parked_at=state.parked_at,
    )


# --- commands ----------------------------------------------------------------------------------


def command(*, command_id: uuid.UUID, type: str, now: datetime, expires_at: datetime) -> Command:
    return Command(msg_id=command_id, sent_at=now, expires_at=expires_at, type=type, params={})


# --- post-trip alerts --------------------------------------------------------------------------


@dataclass(frozen=True)
class PostTripOutcome:
    checked: bool
    findings: list[str]
    notified: bool


def car_name(model_name: str, plate: str | None) -> str:
    return f"{model_name} ({plate})" if plate else model_name


async def post_trip_check(
    session: AsyncSession, runtime: Runtime, *, vin: str, trip_ended_at: datetime
) -> PostTripOutcome:
    """Look at the parked car once, some minutes after the trip ended; tell the primary account
    once if something needs checking. Skipped for cars whose model cannot, whose services are
    not active, and when the car has been started again since (the trip went on)."""
    nothing = PostTripOutcome(checked=False, findings=[], notified=False)
    if await repository.get_post_trip_check(session, vin=vin, trip_ended_at=trip_ended_at):
        return nothing
    vehicle = await vehicles.get_vehicle(session, vin)
    if vehicle is None or not await connected_services.is_active(
        session, runtime, vin=vin, service=POST_TRIP_ALERTS
    ):
        return nothing
    state = await repository.get_link_state(session, vin)
    if state is not None and (
        (state.last_ignition_on_at is not None and state.last_ignition_on_at > trip_ended_at)
        or (state.last_ignition_off_at is not None and state.last_ignition_off_at > trip_ended_at)
    ):
        return nothing  # driven again since: the check of the later trip end covers it
    values = await twin_values(session, vin=vin)
    raised = [
        alerts.RaisedAlert(AlertKind(row.kind), row.detail, row.occurred_at)
        for row in await repository.events_since(
            session, vin=vin, since=trip_ended_at, types=["alert"]
        )
        if row.kind is not None and row.kind in AlertKind.__members__
    ]
    findings = alerts.post_trip_findings(values, raised)
    # Told only to an account that was already the primary when the trip ended: a trip of the
    # previous owner is not the new one's to hear about.
    primary = await garage.primary_account_at(session, vin, trip_ended_at)
    notified = bool(findings) and primary is not None
    if notified:
        assert primary is not None
        name = car_name(vehicles.model_of(vehicle).name, vehicle.registration_plate)
        title, body = alerts.notification(name, findings)
        await notifications.notify(
            session,
            now=runtime.clock.now(),
            account_id=primary,
            category=Category.vehicle_alerts,
            kind="post_trip_alert",
            title=title,
            body=body,
            link=car_page(runtime.settings.public_url, vin, CarPage.status),
        )
    texts = [finding.text for finding in findings]
    await repository.add_post_trip_check(
        session,
        PostTripCheck(
            vin=vin,
            trip_ended_at=trip_ended_at,
            checked_at=runtime.clock.now(),
            findings=texts,
            notified=notified,
        ),
    )
    return PostTripOutcome(checked=True, findings=texts, notified=notified)


# --- for other domains -------------------------------------------------------------------------


async def trip_upload(session: AsyncSession, *, msg_id: uuid.UUID) -> TripUploadRecord | None:
    """A trip upload from the inbox (``TripUploaded.msg_id``): ``payload`` is the message as the
    car sent it (``protocol.TripUpload``)."""
    return await repository.get_trip_upload(session, msg_id)


async def mark_trip_consumed(session: AsyncSession, *, msg_id: uuid.UUID, now: datetime) -> None:
    record = await repository.get_trip_upload(session, msg_id)
    if record is not None and record.consumed_at is None:
        record.consumed_at = now
        await session.flush()


# --- retention ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PurgeReport:
    """Rows each kind lost in one run, and whether a kind has more to go (the job runs again)."""

    positions: int
    trip_uploads: int
    history: int
    events: int
    post_trip_checks: int
    command_results: int
    seen_messages: int
    more: bool


async def purge(session: AsyncSession, runtime: Runtime) -> PurgeReport:
    """Delete what the retention policy no longer allows (docs/privacy.md): positions, raw trip
    uploads, the parked position and the twin's position older than
    ``location_retention_days``; signal history, car events and post-trip checks older than
    ``signal_history_retention_days``; the car's answers to commands older than
    ``command_history_retention_days``; message ids past the de-duplication window. Each kind
    within the run's budget (``PurgeBudget``); idempotent, since every step deletes by age."""
    now = runtime.clock.now()
    settings = runtime.settings
    budget = PurgeBudget.of(settings)
    location_cutoff = now - timedelta(days=settings.location_retention_days)
    history_cutoff = now - timedelta(days=settings.signal_history_retention_days)
    command_cutoff = now - timedelta(days=settings.command_history_retention_days)
    positions = await repository.delete_positions_before(session, location_cutoff, budget=budget)
    uploads = await repository.delete_trip_uploads_before(session, location_cutoff, budget=budget)
    await repository.forget_parked_before(session, location_cutoff)
    await repository.forget_twin_location_before(session, location_cutoff)
    history = await repository.delete_history_before(session, history_cutoff, budget=budget)
    events = await repository.delete_events_before(session, history_cutoff, budget=budget)
    checks = await repository.delete_post_trip_checks_before(session, history_cutoff, budget=budget)
    results = await repository.delete_command_results_before(session, command_cutoff, budget=budget)
    seen = await repository.delete_seen_before(
        session, now - timedelta(hours=settings.message_dedupe_hours), budget=budget
    )
    parts = (positions, uploads, history, events, checks, results, seen)
    report = PurgeReport(
        positions=positions.rows,
        trip_uploads=uploads.rows,
        history=history.rows,
        events=events.rows,
        post_trip_checks=checks.rows,
        command_results=results.rows,
        seen_messages=seen.rows,
        more=any(part.more for part in parts),
    )
    log.info("vehicle_link_purged", **dataclasses.asdict(report))
    return report


async def take_in_upload(
    session: AsyncSession, runtime: Runtime, *, vin: str, upload: TripUpload, now: datetime
) -> None:
    """Store one trip upload exactly as the gateway stores it on arrival (the trip inbox row and
    the trips job it queues). For uploads that did not come over MQTT: the demo's past month."""
    await twin.apply_batch(session, runtime, BatchPlan(events=[(vin, upload)]), now=now)
