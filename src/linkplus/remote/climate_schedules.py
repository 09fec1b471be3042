"""Climate schedules: the owner's CRUD and the job that starts climate at the set time.

Scheduling is part of advanced remote climate: the model must have it in the car's market and
the service must be active. Each schedule has at most one queued job, for its next occurrence
(dedupe key ``climate-schedule:<id>:<instant>``); editing a schedule queues a job for the new
time and the old one, finding ``next_run_at`` changed, does nothing. A run goes through the same
checks as a command from the app; when one refuses, the owner is told why and the schedule
moves on to its next occurrence.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import structlog
from babel.core import get_global
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.errors import ProblemError
from linkplus.garage import service as garage
from linkplus.garage.deps import CallerVehicle
from linkplus.jobs import enqueue
from linkplus.models.notifications import Category
from linkplus.models.remote import ClimateSchedule
from linkplus.notifications import service as notifications
from linkplus.notifications.links import CarPage, car_page
from linkplus.remote import recurrence, repository
from linkplus.remote.errors import CommandRefused, InvalidSchedule, ScheduleNotFound
from linkplus.remote.schemas import (
    ClimateStartIn,
    RunClimateScheduleJob,
    ScheduleIn,
    ScheduleOut,
    ScheduleUpdate,
)
from linkplus.remote.service import Target, accept, advanced_climate_refusal
from linkplus.runtime import Runtime
from linkplus.vehicles import service as vehicles

log = structlog.get_logger("linkplus.remote.schedules")


def default_timezone(market: str) -> str:
    """The main zone of the car's market (CLDR), else UTC."""
    zones: Any = get_global("territory_zones").get(market)
    if zones:
        name = str(zones[0])
        if recurrence.is_timezone(name):
            return name
    return "UTC"


def recurrence_of(row: ClimateSchedule) -> recurrence.Recurrence:
    return recurrence.Recurrence(
        kind=recurrence.Kind(row.kind),
        at=recurrence.parse_time(row.at_time),
        timezone=row.timezone,
        weekdays=frozenset(row.weekdays),
        on_date=row.on_date,
    )


def schedule_out(row: ClimateSchedule) -> ScheduleOut:
    return ScheduleOut(
        id=row.id,
        vin=row.vin,
        name=row.name,
        kind=row.kind,
        weekdays=[recurrence.WEEKDAYS[day] for day in sorted(row.weekdays)],
        at=row.at_time,
        on_date=row.on_date,
        timezone=row.timezone,
        enabled=row.enabled,
        climate=row.settings,
        next_run_at=row.next_run_at,
        last_run_at=row.last_run_at,
        last_command_id=row.last_command_id,
    )


async def _require_scheduling(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> None:
    """Scheduling is offered exactly where advanced climate is (``first_refusal``)."""
    refused = await advanced_climate_refusal(session, runtime, caller)
    if refused is not None:
        raise CommandRefused(refused.code)


def _validate(row: ClimateSchedule, *, now: datetime) -> None:
    if not recurrence.is_timezone(row.timezone):
        raise InvalidSchedule("Unknown timezone: use an IANA name such as Europe/Vienna.")
    if row.kind == recurrence.Kind.weekly and not row.weekdays:
        raise InvalidSchedule("A weekly schedule needs at least one weekday.")
    if row.kind == recurrence.Kind.once:
        if row.on_date is None:
            raise InvalidSchedule("A one-off schedule needs on_date.")
        if row.weekdays:
            raise InvalidSchedule("A one-off schedule has no weekdays.")
        if recurrence.next_occurrence(recurrence_of(row), after=now) is None:
            raise InvalidSchedule("This date and time has passed: choose a time in the future.")
    elif row.on_date is not None:
        raise InvalidSchedule("A weekly schedule has no on_date.")


async def _plan(session: AsyncSession, row: ClimateSchedule, *, now: datetime) -> None:
    """Set ``next_run_at`` and queue the job for it."""
    upcoming = recurrence.next_occurrence(recurrence_of(row), after=now) if row.enabled else None
    row.next_run_at = upcoming
    await session.flush()
    if upcoming is not None:
        await enqueue(
            session,
            RunClimateScheduleJob(schedule_id=row.id, run_at=upcoming),
            now=now,
            run_at=upcoming,
            dedupe_key=f"climate-schedule:{row.id}:{upcoming.isoformat()}",
        )


def _days(names: list[str]) -> list[int]:
    return sorted({recurrence.WEEKDAYS.index(name) for name in names})


async def list_schedules(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> list[ScheduleOut]:
    rows = await repository.schedules_of(
        session, caller.vehicle.vin, account_id=caller.tenure.account_id, spans=caller.tenure.spans
    )
    return [schedule_out(row) for row in rows]


async def create_schedule(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, data: ScheduleIn
) -> ScheduleOut:
    await _require_scheduling(session, runtime, caller)
    now = runtime.clock.now()
    row = ClimateSchedule(
        id=uuid.uuid4(),
        vin=caller.vehicle.vin,
        account_id=caller.account.id,
        name=data.name,
        kind=data.kind,
        weekdays=_days(list(data.weekdays)),
        at_time=data.at,
        on_date=data.on_date,
        timezone=data.timezone or default_timezone(caller.vehicle.market),
        settings=data.climate.settings(),
        enabled=data.enabled,
        next_run_at=None,
        last_run_at=None,
        last_command_id=None,
        created_at=now,
        updated_at=now,
    )
    _validate(row, now=now)
    await repository.add_schedule(session, row)
    await _plan(session, row, now=now)
    return schedule_out(row)


async def _owned(caller: CallerVehicle, session: AsyncSession, schedule_id: uuid.UUID) -> Any:
    row = await repository.get_schedule(session, schedule_id, for_update=True)
    if (
        row is None
        or row.vin != caller.vehicle.vin
        or not caller.tenure.owns(row.account_id, row.created_at)
    ):
        raise ScheduleNotFound()
    return row


async def get_schedule(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, schedule_id: uuid.UUID
) -> ScheduleOut:
    row: ClimateSchedule = await _owned(caller, session, schedule_id)
    return schedule_out(row)


async def update_schedule(
    session: AsyncSession,
    runtime: Runtime,
    caller: CallerVehicle,
    schedule_id: uuid.UUID,
    changes: ScheduleUpdate,
) -> ScheduleOut:
    row: ClimateSchedule = await _owned(caller, session, schedule_id)
    await _require_scheduling(session, runtime, caller)
    now = runtime.clock.now()
    given = changes.model_fields_set
    if "name" in given and changes.name is not None:
        row.name = changes.name
    if "kind" in given and changes.kind is not None:
        row.kind = changes.kind
    if "weekdays" in given:
        row.weekdays = _days(list(changes.weekdays or []))
    if "at" in given and changes.at is not None:
        row.at_time = changes.at
    if "on_date" in given:
        row.on_date = changes.on_date
    if "timezone" in given and changes.timezone is not None:
        row.timezone = changes.timezone
    if "enabled" in given and changes.enabled is not None:
        row.enabled = changes.enabled
    if "climate" in given and changes.climate is not None:
        row.settings = changes.climate.settings()
    row.updated_at = now
    _validate(row, now=now)
    await _plan(session, row, now=now)
    return schedule_out(row)


async def delete_schedule(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, schedule_id: uuid.UUID
) -> None:
    row: ClimateSchedule = await _owned(caller, session, schedule_id)
    await repository.delete_schedule(session, row)


async def run_schedule(
    session: AsyncSession, runtime: Runtime, *, schedule_id: uuid.UUID, run_at: datetime
) -> uuid.UUID | None:
    """The job: start climate for this occurrence and plan the next. Returns the command id, or
    None when the occurrence is stale (edited, disabled, deleted) or the car refused."""
    row = await repository.get_schedule(session, schedule_id, for_update=True)
    if row is None or not row.enabled or row.next_run_at != run_at:
        return None
    now = runtime.clock.now()
    vehicle = await vehicles.get_vehicle(session, row.vin)
    primary = await garage.primary_account_id(session, row.vin)
    if vehicle is None or primary != row.account_id:
        # The car changed hands: a schedule of the previous owner must not run.
        row.enabled = False
        row.next_run_at = None
        return None
    row.last_run_at = now
    command_id: uuid.UUID | None = None
    body = ClimateStartIn.model_validate({"type": "climate-start", **row.settings})
    target = Target(vehicle, vehicles.model_of(vehicle), row.account_id, schedule_id=row.id)
    try:
        async with session.begin_nested():
            command = await accept(session, runtime, target, body)
        command_id = command.id
        row.last_command_id = command_id
    except ProblemError as exc:
        log.info("climate_schedule_refused", schedule_id=str(row.id), code=exc.code)
        await notifications.notify(
            session,
            now=now,
            account_id=row.account_id,
            category=Category.vehicle_alerts,
            kind="remote_command",
            title=f"Scheduled climate \u201c{row.name}\u201d did not start",
            body=exc.detail,
            link=car_page(runtime.settings.public_url, row.vin, CarPage.remote),
        )
    if row.kind == recurrence.Kind.once:
        row.enabled = False
    row.updated_at = now
    await _plan(session, row, now=max(now, run_at))
    return command_id
