"""Accepting a command: the idempotency key, the rate limits, the checks and storing it.

A command is accepted only after every refusal the platform can see has been ruled out
(``preconditions``), a per-subsystem slot is free and the rate limits allow it. It is then
stored ``accepted`` with two jobs: one sends it (``remote.send_command``), one expires it at
``expires_at`` (``remote.expire_command``).

Where the accepting process has a broker connection (``serve``, ``demo``) the request commits
the command and publishes it at once (``send_now``), and the send job, due ``SEND_FALLBACK``
later, is cancelled in the same transaction that marks the command sent. The job sends it only
when that did not happen: no broker connection here, a failed publish, or the process died in
between. A command scheduled by the platform itself is sent by the job straight away.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from linkplus.audit import service as audit
from linkplus.garage.deps import CallerVehicle
from linkplus.jobs import enqueue_at
from linkplus.models.remote import RemoteCommand
from linkplus.remote import limits, repository, signing
from linkplus.remote.errors import (
    CommandInProgress,
    CommandRefused,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    RateLimited,
)
from linkplus.remote.lifecycle import State
from linkplus.remote.preconditions import (
    HAZARD_SECONDS,
    SUBSYSTEM,
    CommandType,
    first_refusal,
    services_needed,
    starts_engine,
)
from linkplus.remote.schemas import (
    ClimateStartIn,
    CommandIn,
    CommandOut,
    ExpireCommandJob,
    SendCommandJob,
)
from linkplus.remote.service._common import (
    Target,
    active_services,
    car_facts,
    command_out,
    expire_key,
    running_state,
    send_key,
    target_of,
)
from linkplus.remote.service.send import send_now
from linkplus.runtime import Runtime
from linkplus.vehicles.catalogue import VehicleModel

log = structlog.get_logger("linkplus.remote")

MAX_IDEMPOTENCY_KEY = 200
SEND_FALLBACK = timedelta(seconds=2)
"""How long the send job waits for the accepting process to publish the command itself."""


def fingerprint(body: dict[str, Any]) -> str:
    return hashlib.sha256(signing.canonical_params(body).encode()).hexdigest()


def _valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_IDEMPOTENCY_KEY and all(33 <= ord(ch) <= 126 for ch in key)


def command_params(
    command_type: CommandType, body: CommandIn, model: VehicleModel, *, advanced_run: bool
) -> dict[str, Any]:
    """What the car is told: the owner's settings plus what the platform decides (run time,
    whether basic climate starts the engine)."""
    params: dict[str, Any] = {}
    match command_type:
        case CommandType.hazard_lights_on:
            params["seconds"] = HAZARD_SECONDS
        case CommandType.engine_start | CommandType.climate_renew:
            params["minutes"] = model.climate_minutes
        case CommandType.climate_start:
            assert isinstance(body, ClimateStartIn)
            settings = body.settings()
            advanced = bool(settings)
            params["mode"] = "advanced" if advanced else "basic"
            params["minutes"] = model.climate_minutes
            if advanced:
                params.update(settings)  # top level, as ``preconditions.is_advanced`` reads them
            else:
                params["restore_last_trip_settings"] = True
            params["start_engine"] = starts_engine(command_type, settings, model.powertrain)
        case _:
            pass
    if command_type is CommandType.climate_renew:
        params["mode"] = "advanced" if advanced_run else "basic"
    return params


async def submit(
    session: AsyncSession,
    runtime: Runtime,
    caller: CallerVehicle,
    body: CommandIn,
    *,
    idempotency_key: str | None,
) -> tuple[CommandOut, bool]:
    """The API's entry: the command and whether it is new (False: an idempotent repeat)."""
    now = runtime.clock.now()
    target = target_of(caller)
    raw = body.model_dump(mode="json", exclude_none=True)
    print_ = fingerprint(raw)
    if idempotency_key is not None:
        if not _valid_key(idempotency_key):
            raise InvalidIdempotencyKey()
        existing = await repository.by_idempotency_key(
            session, account_id=target.account_id, key=idempotency_key
        )
        if existing is not None:
            if existing.vin != target.vehicle.vin or existing.request_fingerprint != print_:
                raise IdempotencyKeyReused()
            return command_out(existing, now=now), False
    per_vehicle, per_account = await repository.accepted_since(
        session,
        vin=target.vehicle.vin,
        account_id=target.account_id,
        since=now - _window(runtime),
    )
    _check_rate(runtime, now=now, per_vehicle=per_vehicle, per_account=per_account)
    publish_here = runtime.vehicle_link is not None
    row = await accept(
        session,
        runtime,
        target,
        body,
        idempotency_key=idempotency_key,
        request_fingerprint=print_,
        publish_here=publish_here,
    )
    if not publish_here:
        return command_out(row, now=now), True
    # Stored, with its send and expiry jobs, before the car can hear of it: the car never acts
    # on a command the platform has no record of.
    await runtime.db.commit(session)
    sent = await send_now(runtime, command_id=row.id)
    return command_out(sent or row, now=runtime.clock.now()), True


def _window(runtime: Runtime) -> timedelta:
    return timedelta(seconds=runtime.settings.command_rate_window_seconds)


def _check_rate(
    runtime: Runtime, *, now: datetime, per_vehicle: list[datetime], per_account: list[datetime]
) -> None:
    settings = runtime.settings
    window = _window(runtime)
    verdict = limits.judge_all(
        [
            (limits.Limit("vehicle", settings.command_rate_per_vehicle, window), per_vehicle),
            (limits.Limit("account", settings.command_rate_per_account, window), per_account),
        ],
        now=now,
    )
    if not verdict.allowed:
        assert verdict.scope is not None
        raise RateLimited(verdict.scope, verdict.retry_after)


def _columns(row: RemoteCommand) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in RemoteCommand.__table__.columns}


async def accept(
    session: AsyncSession,
    runtime: Runtime,
    target: Target,
    body: CommandIn,
    *,
    idempotency_key: str | None = None,
    request_fingerprint: str | None = None,
    publish_here: bool = False,
) -> RemoteCommand:
    """Check, store and queue one command (``CommandRefused``/``CommandInProgress`` if not).
    With ``publish_here`` the caller publishes it after commit (``send_now``), and the send job
    waits ``SEND_FALLBACK`` in case it does not."""
    now = runtime.clock.now()
    vin = target.vehicle.vin
    command_type = CommandType(body.type)
    settings = body.settings() if isinstance(body, ClimateStartIn) else {}
    subsystem = SUBSYSTEM[command_type]
    busy_key = f"{vin}:{subsystem.value}"
    state_row, svt_on, busy_id = await repository.remote_facts(session, vin, busy_key=busy_key)
    running = running_state(state_row)
    advanced_run = state_row is not None and state_row.climate_advanced
    facts = await car_facts(session, runtime, target, stolen_vehicle_tracking=svt_on)
    refusal = first_refusal(
        command_type,
        settings,
        facts,
        running,
        active_services=await active_services(
            session, runtime, vin=vin, services=services_needed(command_type, settings)
        ),
        now=now,
    )
    if refusal is not None:
        log.info("remote_command_refused", vin=vin, type=command_type.value, code=refusal.code)
        raise CommandRefused(refusal.code, retry_after=refusal.retry_after, **refusal.extra)
    if busy_id is not None:
        raise CommandInProgress(subsystem.value, str(busy_id))
    # The counter is reserved here, in the commit that stores the command, not when it is
    # published: a publish whose commit is lost (a crash in between) then never leaves a counter
    # the car has used for another command to take (remote/signing.py, the replay window). When
    # the command is not stored after all (below), the request's transaction rolls back and the
    # counter with it.
    counter = await repository.next_counter(session, vin)
    row = RemoteCommand(
        id=uuid.uuid4(),
        vin=vin,
        account_id=target.account_id,
        schedule_id=target.schedule_id,
        type=command_type.value,
        subsystem=subsystem.value,
        params=command_params(command_type, body, target.model, advanced_run=advanced_run),
        state=State.accepted.value,
        reason=None,
        counter=counter,
        busy_key=busy_key,
        idempotency_key=idempotency_key,
        request_fingerprint=request_fingerprint,
        created_at=now,
        expires_at=now + timedelta(seconds=runtime.settings.command_expiry_seconds),
        sent_at=None,
        acknowledged_at=None,
        finished_at=None,
        runs_until=None,
        updated_at=now,
    )
    if not await repository.insert_command(session, _columns(row)):
        # Another request took the slot (or the key) between the checks and the insert.
        if idempotency_key is not None:
            raise IdempotencyKeyReused()
        raise CommandInProgress(subsystem.value, "")
    make_transient_to_detached(row)
    session.add(row)  # in the session as stored, without reading it back
    await repository.add_change(session, vin=vin, command_id=row.id, state=row.state, at=now)
    await enqueue_at(
        session,
        [
            (
                SendCommandJob(command_id=row.id),
                send_key(row.id),
                now + SEND_FALLBACK if publish_here else now,
            ),
            (ExpireCommandJob(command_id=row.id), expire_key(row.id), row.expires_at),
        ],
        now=now,
    )
    await audit.record(
        session,
        now=now,
        actor_type="schedule" if target.schedule_id else "owner",
        actor_id=str(target.schedule_id or target.account_id),
        action="remote.command_accepted",
        subject_type="vehicle",
        subject_id=vin,
        details={
            "command_id": str(row.id),
            "type": row.type,
            "account_id": str(target.account_id),
        },
    )
    return row
