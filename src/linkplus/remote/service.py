"""Remote control use cases: accepting a command, sending it signed, following the car's answers
and the expiry, the live stream of state changes, and what runs on the car now.

A command is accepted only after every refusal the platform can see has been ruled out
(``preconditions``), a per-subsystem slot is free and the rate limits allow it. It is then
stored ``accepted`` with two jobs: one sends it (``remote.send_command``), one expires it at
``expires_at`` (``remote.expire_command``).

Where the accepting process has a broker connection (``serve``, ``demo``) the request commits
the command and publishes it at once (``send_now``), and the send job, due ``SEND_FALLBACK``
later, is cancelled in the same transaction that marks the command sent. The job sends it only
when that did not happen: no broker connection here, a failed publish, or the process died in
between. A command scheduled by the platform itself is sent by the job straight away.

The car's answers arrive as ``CommandResultReceived`` events, handled inside the gateway's
transaction that stores them (``tasks.on_answer``). Every final state is audited and told to
the car's primary account, and the expiry job of a command that ended is cancelled.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.audit import service as audit
from linkplus.connected_services import service as connected_services
from linkplus.garage import service as garage
from linkplus.garage.deps import CallerVehicle
from linkplus.garage.tenure import Tenure
from linkplus.jobs import cancel as cancel_job
from linkplus.jobs import enqueue
from linkplus.models.notifications import Category
from linkplus.models.remote import RemoteCommand, RemoteVehicleState, SvtActive
from linkplus.models.vehicles import Vehicle
from linkplus.notifications import service as notifications
from linkplus.protocol.vehicle import Command
from linkplus.remote import limits, repository, signing
from linkplus.remote.errors import (
    CommandInProgress,
    CommandNotFound,
    CommandRefused,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    RateLimited,
)
from linkplus.remote.lifecycle import Answer, State, after_answer, after_expiry
from linkplus.remote.preconditions import (
    ADVANCED_CLIMATE_SERVICE,
    HAZARD_SECONDS,
    NOT_OFFERED,
    SUBSYSTEM,
    CarFacts,
    Check,
    CommandType,
    Refusal,
    RunningState,
    check,
    failure_code,
    message,
    required_service,
    starts_engine,
    wire_type,
)
from linkplus.remote.schemas import (
    ClimateStartIn,
    CommandAvailabilityOut,
    CommandIn,
    CommandOut,
    ExpireCommandJob,
    RemoteStateOut,
    SendCommandJob,
)
from linkplus.runtime import Runtime
from linkplus.seams.commands import PublishFailed
from linkplus.vehicle_link import service as vehicle_link
from linkplus.vehicles import service as vehicles
from linkplus.vehicles.catalogue import VehicleModel, market_capabilities

log = structlog.get_logger("linkplus.remote")

MAX_IDEMPOTENCY_KEY = 200
NOTIFY_KIND = "remote_command"
SEND_FALLBACK = timedelta(seconds=2)
"""How long the send job waits for the accepting process to publish the command itself."""
PUBLISH_TIMEOUT_SECONDS = 2.0
"""How long ``send_now`` waits for the broker before leaving the command to the send job."""


def send_key(command_id: uuid.UUID) -> str:
    return f"remote-send:{command_id}"


def expire_key(command_id: uuid.UUID) -> str:
    return f"remote-expire:{command_id}"


# What each command is called wherever the owner sees it: the app's progress and history, the
# API's ``title``, the live stream (``static/remote.js`` shows the title the stream carries) and
# notifications. The one place these names live.
TITLES: dict[CommandType, str] = {
    CommandType.door_lock: "Lock",
    CommandType.door_unlock: "Unlock",
    CommandType.hazard_lights_on: "Hazard lights",
    CommandType.engine_start: "Engine start",
    CommandType.engine_stop: "Engine stop",
    CommandType.climate_start: "Climate",
    CommandType.climate_renew: "Climate renewal",
    CommandType.climate_stop: "Climate stop",
}
DONE: dict[CommandType, str] = {
    CommandType.door_lock: "Your car is locked.",
    CommandType.door_unlock: "Your car is unlocked.",
    CommandType.hazard_lights_on: "The hazard lights are flashing for 60 seconds.",
    CommandType.engine_start: "The engine is running.",
    CommandType.engine_stop: "The engine is off.",
    CommandType.climate_start: "Remote climate is running.",
    CommandType.climate_renew: "Remote climate was renewed.",
    CommandType.climate_stop: "Remote climate is off.",
}


@dataclass(frozen=True)
class Target:
    """The car a command goes to and who sends it (an owner, or a schedule of the owner's)."""

    vehicle: Vehicle
    model: VehicleModel
    account_id: uuid.UUID
    schedule_id: uuid.UUID | None = None


def target_of(caller: CallerVehicle) -> Target:
    return Target(caller.vehicle, caller.model, caller.account.id)


# --- reading the car -----------------------------------------------------------------------------


async def stolen_vehicle_tracking_active(session: AsyncSession, *, vin: str) -> bool:
    """The hook the stolen-vehicle-tracking feature drives: remote control is off while set."""
    return await repository.svt_flag(session, vin) is not None


async def set_stolen_vehicle_tracking(
    session: AsyncSession, *, vin: str, active: bool, now: datetime, reference: str | None = None
) -> None:
    if active:
        if await repository.svt_flag(session, vin) is None:
            await repository.set_svt(session, SvtActive(vin=vin, since=now, reference=reference))
    else:
        await repository.clear_svt(session, vin)


async def car_facts(session: AsyncSession, runtime: Runtime, target: Target) -> CarFacts:
    vin = target.vehicle.vin
    state = await vehicle_link.car_state_of(session, vin=vin)
    return CarFacts(
        powertrain=target.model.powertrain,
        capabilities=market_capabilities(target.model, target.vehicle.market),
        model_capabilities=target.model.capabilities,
        climate_renewals=target.model.climate_renewals,
        climate_min_battery_pct=target.model.climate_min_battery_pct,
        open_doors=state.open_doors,
        smart_key_inside=state.smart_key_inside,
        alarm_set=state.alarm_set,
        locked_with_physical_key=state.locked_with_physical_key,
        battery_pct=state.battery_pct,
        outside_c=state.outside_c,
        engine_running=state.engine_running,
        asleep=await vehicle_link.is_asleep(session, runtime, vin=vin),
        stolen_vehicle_tracking=await stolen_vehicle_tracking_active(session, vin=vin),
    )


def running_state(row: RemoteVehicleState | None) -> RunningState:
    if row is None:
        return RunningState()
    return RunningState(
        climate_until=row.climate_until,
        climate_renewals_used=row.climate_renewals_used,
        engine_until=row.engine_until,
        hazard_until=row.hazard_until,
    )


# --- presenting ----------------------------------------------------------------------------------


def _seconds_left(until: datetime | None, now: datetime) -> int:
    if until is None:
        return 0
    return max(0, math.ceil((until - now).total_seconds()))


def _title(type_name: str) -> str:
    try:
        return TITLES[CommandType(type_name)]
    except ValueError:
        return type_name


def command_out(row: RemoteCommand, *, now: datetime) -> CommandOut:
    code = row.reason
    text = message(Refusal(code)) if code is not None and code in Refusal.__members__ else None
    return CommandOut(
        id=row.id,
        vin=row.vin,
        type=row.type,
        title=_title(row.type),
        subsystem=row.subsystem,
        state=State(row.state).value,
        code=code,
        message=text,
        params=row.params,
        created_at=row.created_at,
        expires_at=row.expires_at,
        sent_at=row.sent_at,
        acknowledged_at=row.acknowledged_at,
        finished_at=row.finished_at,
        runs_until=row.runs_until,
        seconds_left=_seconds_left(row.runs_until, now) if row.runs_until is not None else None,
        from_schedule=row.schedule_id,
    )


# --- accepting -----------------------------------------------------------------------------------


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
    _check_rate(
        runtime,
        now=now,
        per_vehicle=await repository.accepted_since_for_vehicle(
            session, target.vehicle.vin, now - _window(runtime)
        ),
        per_account=await repository.accepted_since_for_account(
            session, target.account_id, now - _window(runtime)
        ),
    )
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
    state_row = await repository.vehicle_state(session, vin)
    running = running_state(state_row)
    advanced_run = state_row is not None and state_row.climate_advanced
    service = required_service(command_type, settings)
    if advanced_run and command_type in (CommandType.climate_renew, CommandType.climate_stop):
        service = ADVANCED_CLIMATE_SERVICE
    facts = await car_facts(session, runtime, target)
    refusal = check(
        command_type,
        settings,
        facts,
        running,
        service_active=await connected_services.is_active(
            session, runtime, vin=vin, service=service
        ),
        now=now,
    )
    if refusal is not None:
        log.info("remote_command_refused", vin=vin, type=command_type.value, code=refusal.code)
        raise CommandRefused(refusal.code, retry_after=refusal.retry_after, **refusal.extra)
    subsystem = SUBSYSTEM[command_type]
    busy_key = f"{vin}:{subsystem.value}"
    busy = await repository.busy_command(session, busy_key)
    if busy is not None:
        raise CommandInProgress(subsystem.value, str(busy.id))
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
        counter=None,
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
    try:
        async with session.begin_nested():
            await repository.add_command(session, row)
    except IntegrityError:
        # Another request took the slot (or the key) between the checks and the insert.
        if idempotency_key is not None:
            raise IdempotencyKeyReused() from None
        raise CommandInProgress(subsystem.value, "") from None
    await repository.add_change(session, vin=vin, command_id=row.id, state=row.state, at=now)
    await enqueue(
        session,
        SendCommandJob(command_id=row.id),
        now=now,
        run_at=now + SEND_FALLBACK if publish_here else now,
        dedupe_key=send_key(row.id),
    )
    await enqueue(
        session,
        ExpireCommandJob(command_id=row.id),
        now=now,
        run_at=row.expires_at,
        dedupe_key=expire_key(row.id),
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


# --- reading commands ----------------------------------------------------------------------------


async def get_command(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, command_id: uuid.UUID
) -> CommandOut:
    row = await repository.get_command(session, command_id)
    if (
        row is None
        or row.vin != caller.vehicle.vin
        or not caller.tenure.owns(row.account_id, row.created_at)
    ):
        raise CommandNotFound()
    return command_out(row, now=runtime.clock.now())


async def list_commands(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, *, limit: int = 20
) -> list[CommandOut]:
    now = runtime.clock.now()
    rows = await repository.recent_commands(
        session,
        caller.vehicle.vin,
        account_id=caller.tenure.account_id,
        spans=caller.tenure.spans,
        limit=limit,
    )
    return [command_out(row, now=now) for row in rows]


async def remote_state(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> RemoteStateOut:
    now = runtime.clock.now()
    vin = caller.vehicle.vin
    row = await repository.vehicle_state(session, vin)
    running = running_state(row)
    climate_until = running.climate_until if running.climate_running(now) else None
    engine_until = running.engine_until if running.engine_running(now) else None
    hazard_until = running.hazard_until if running.hazard_running(now) else None
    used = running.climate_renewals_used if climate_until else 0
    availability = await command_availability(session, runtime, caller, running)
    return RemoteStateOut(
        vin=vin,
        climate_until=climate_until,
        climate_seconds_left=_seconds_left(climate_until, now),
        climate_renewals_left=max(0, caller.model.climate_renewals - used),
        engine_until=engine_until,
        engine_seconds_left=_seconds_left(engine_until, now),
        hazard_until=hazard_until,
        hazard_seconds_left=_seconds_left(hazard_until, now),
        open_commands=[
            command_out(c, now=now)
            for c in await repository.open_commands(session, vin)
            if caller.tenure.owns(c.account_id, c.created_at)
        ],
        commands=[
            _availability(command_type, refused)
            for command_type, refused in availability.commands.items()
        ],
        advanced_climate_offered=availability.advanced_climate_offered,
    )


@dataclass(frozen=True)
class Availability:
    commands: dict[CommandType, Check | None]  # each command's first refusal now, or None
    advanced_climate_offered: bool


async def command_availability(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, running: RunningState
) -> Availability:
    """What the car can run, by the same checks a command gets (``preconditions.check``)."""
    now = runtime.clock.now()
    target = target_of(caller)
    facts = await car_facts(session, runtime, target)
    active: dict[str, bool] = {}

    async def first_refusal(command_type: CommandType, params: dict[str, Any]) -> Check | None:
        service = required_service(command_type, params)
        if service not in active:
            active[service] = await connected_services.is_active(
                session, runtime, vin=target.vehicle.vin, service=service
            )
        return check(command_type, params, facts, running, service_active=active[service], now=now)

    commands = {command_type: await first_refusal(command_type, {}) for command_type in CommandType}
    advanced = await first_refusal(CommandType.climate_start, {"temperature_c": 21.0})
    return Availability(
        commands=commands,
        advanced_climate_offered=advanced is None or advanced.code not in NOT_OFFERED,
    )


def _availability(command_type: CommandType, refused: Check | None) -> CommandAvailabilityOut:
    return CommandAvailabilityOut(
        type=command_type.value,
        title=TITLES[command_type],
        offered=refused is None or refused.code not in NOT_OFFERED,
        ready=refused is None,
        code=refused.code.value if refused is not None else None,
        message=message(refused.code) if refused is not None else None,
    )


# --- sending -------------------------------------------------------------------------------------


class NoBroker(Exception):
    """This process has no connection to the MQTT broker (the job retries later)."""


async def send_now(runtime: Runtime, *, command_id: uuid.UUID) -> RemoteCommand | None:
    """Publish a just-committed command from the accepting process, in a transaction of its own
    that also cancels the send job; the command as it is afterwards. When the broker is away or
    slow, or anything else goes wrong, None: the send job (due ``SEND_FALLBACK`` after
    acceptance) sends it instead."""
    try:
        async with runtime.db.transaction() as session:
            row = await send(
                session, runtime, command_id=command_id, publish_timeout=PUBLISH_TIMEOUT_SECONDS
            )
            if row is not None and State(row.state) is State.sent:
                await cancel_job(session, send_key(command_id), now=runtime.clock.now())
            return row
    except (NoBroker, PublishFailed, TimeoutError) as exc:
        log.warning(
            "remote_command_send_deferred",
            command_id=str(command_id),
            error=str(exc) or type(exc).__name__,
        )
        return None
    except Exception:
        # The command is stored and its send job will deliver it: the owner gets the 202 that
        # says so, not an error that invites a second command.
        log.exception("remote_command_send_failed", command_id=str(command_id))
        return None


async def send(
    session: AsyncSession,
    runtime: Runtime,
    *,
    command_id: uuid.UUID,
    publish_timeout: float | None = None,
) -> RemoteCommand | None:
    """Sign and publish an ``accepted`` command; the command afterwards (``sent`` when it went
    out), None when there is no such command. One in another state is left as it is; an expired
    one is never published: it is marked expired instead. Raises ``NoBroker`` without a
    publisher and lets the publisher's ``PublishFailed`` and a ``TimeoutError`` after
    ``publish_timeout`` seconds through (the job retries them; the transaction rolls back, so
    the counter taken is not used up)."""
    now = runtime.clock.now()
    row = await repository.get_command(session, command_id, for_update=True)
    if row is None or row.state != State.accepted.value:
        return row
    if now >= row.expires_at:
        await _finish(session, runtime, row, State.expired, reason=Refusal.no_answer.value)
        return row
    publisher = runtime.vehicle_link
    if publisher is None:
        raise NoBroker()
    counter = await repository.next_counter(session, row.vin)
    command = signing.sign_command(
        signing.command_key(runtime.settings, row.vin),
        Command(
            msg_id=row.id,
            sent_at=now,
            type=wire_type(CommandType(row.type)),
            expires_at=row.expires_at,
            params=row.params,
        ),
        vin=row.vin,
        counter=counter,
    )
    async with asyncio.timeout(publish_timeout):
        await publisher.publish_command(row.vin, command)
    row.counter = counter
    row.sent_at = now
    await _move(session, row, State.sent, now=now)
    return row


async def _move(session: AsyncSession, row: RemoteCommand, state: State, *, now: datetime) -> None:
    row.state = state.value
    row.updated_at = now
    await repository.add_change(session, vin=row.vin, command_id=row.id, state=state.value, at=now)


# --- answers and expiry --------------------------------------------------------------------------


async def expire(session: AsyncSession, runtime: Runtime, *, command_id: uuid.UUID) -> bool:
    row = await repository.get_command(session, command_id, for_update=True)
    if row is None:
        return False
    target = after_expiry(State(row.state))
    if target is None:
        return False
    await _finish(session, runtime, row, target, reason=Refusal.no_answer.value)
    return True


async def apply_answer(
    session: AsyncSession,
    runtime: Runtime,
    *,
    vin: str,
    command_id: uuid.UUID,
    status: str,
    reason: str | None,
) -> State | None:
    """Move a command by the car's answer; the new state, or None when nothing changed (not
    one of ours, another car's, a late answer, or a duplicate delivery the car refused)."""
    row = await repository.get_command(session, command_id, for_update=True)
    if row is None or row.vin != vin:
        return None
    try:
        answer = Answer(status)
    except ValueError:
        return None
    current = State(row.state)
    if answer is Answer.rejected and reason == signing.VerifyOutcome.replayed.value:
        return None  # a second delivery of a command the car is already answering
    target = after_answer(current, answer)
    if target is None:
        return None
    now = runtime.clock.now()
    if target is State.acknowledged:
        row.acknowledged_at = now
        await _move(session, row, target, now=now)
        return target
    if target is State.completed:
        await _apply_effects(session, runtime, row, now=now)
        await _finish(session, runtime, row, target, reason=None)
        return target
    code = failure_code(reason, rejected=answer is Answer.rejected)
    await _finish(session, runtime, row, State.failed, reason=code.value)
    return State.failed


async def _apply_effects(
    session: AsyncSession, runtime: Runtime, row: RemoteCommand, *, now: datetime
) -> None:
    """Record what now runs on the car (and for how long) after it carried out a command."""
    command_type = CommandType(row.type)
    if command_type in (CommandType.door_lock, CommandType.door_unlock):
        return  # the doors are the car's own state: the twin has them from its status
    await repository.ensure_vehicle_state(session, row.vin)
    state = await repository.vehicle_state(session, row.vin, for_update=True)
    assert state is not None
    minutes = timedelta(minutes=int(row.params.get("minutes", 0)))
    match command_type:
        case CommandType.hazard_lights_on:
            state.hazard_until = now + timedelta(seconds=HAZARD_SECONDS)
            row.runs_until = state.hazard_until
        case CommandType.engine_start:
            state.engine_until = now + minutes
            row.runs_until = state.engine_until
        case CommandType.engine_stop:
            if state.climate_until is not None and state.climate_until == state.engine_until:
                state.climate_until = None
            state.engine_until = None
        case CommandType.climate_start:
            state.climate_until = now + minutes
            state.climate_renewals_used = 0
            state.climate_advanced = row.params.get("mode") == "advanced"
            if row.params.get("start_engine"):
                state.engine_until = state.climate_until
            row.runs_until = state.climate_until
        case CommandType.climate_renew:
            with_engine = (
                state.engine_until is not None and state.engine_until == state.climate_until
            )
            base = max(state.climate_until or now, now)
            state.climate_until = base + minutes
            state.climate_renewals_used += 1
            if with_engine:
                state.engine_until = state.climate_until
            row.runs_until = state.climate_until
        case CommandType.climate_stop:
            if state.engine_until is not None and state.engine_until == state.climate_until:
                state.engine_until = None
            state.climate_until = None
    await session.flush()


async def _finish(
    session: AsyncSession, runtime: Runtime, row: RemoteCommand, state: State, *, reason: str | None
) -> None:
    now = runtime.clock.now()
    row.reason = reason
    row.finished_at = now
    row.busy_key = None
    await _move(session, row, state, now=now)
    await session.flush()
    await cancel_job(session, expire_key(row.id), now=now)  # a no-op when that job runs this
    await audit.record(
        session,
        now=now,
        actor_type="vehicle" if state is not State.expired else "system",
        actor_id=row.vin,
        action=f"remote.command_{state.value}",
        subject_type="vehicle",
        subject_id=row.vin,
        details={
            "command_id": str(row.id),
            "type": row.type,
            "account_id": str(row.account_id) if row.account_id else None,
            "result": state.value,
            "reason": reason,
        },
    )
    await _tell_owner(session, runtime, row, state)


async def _tell_owner(
    session: AsyncSession, runtime: Runtime, row: RemoteCommand, state: State
) -> None:
    primary = await garage.primary_account_id(session, row.vin)
    if primary is None or primary != row.account_id:
        return  # the car changed hands since: its new primary account is not told of this one
    vehicle = await vehicles.get_vehicle(session, row.vin)
    name = vehicles.model_of(vehicle).name if vehicle is not None else row.vin
    command_type = CommandType(row.type)
    what = TITLES[command_type]
    if state is State.completed:
        title = f"{name}: {what} done"
        body = DONE[command_type]
        if row.runs_until is not None and command_type is not CommandType.hazard_lights_on:
            body += f" It switches off at {row.runs_until:%H:%M} UTC."
    else:
        title = f"{name}: {what} did not work"
        reason = row.reason or ""
        code = Refusal(reason) if reason in Refusal.__members__ else Refusal.failed_in_car
        body = message(code)
    if row.schedule_id is not None:
        title = f"Scheduled: {title}"
    await notifications.notify(
        session,
        now=runtime.clock.now(),
        account_id=primary,
        category=Category.vehicle_alerts,
        kind=NOTIFY_KIND,
        title=title,
        body=body,
        link=f"{runtime.settings.public_url.rstrip('/')}/vehicles/{row.vin}",
    )


# --- live stream ---------------------------------------------------------------------------------

STREAM_LOOKBACK = timedelta(minutes=30)
STREAM_BATCH = 100


async def stream_start(session: AsyncSession, runtime: Runtime, *, vin: str) -> int:
    """Where a stream without ``Last-Event-ID`` starts: the changes of the last 30 minutes, so a
    page opened while climate runs still learns about it."""
    return await repository.last_change_before(
        session, vin=vin, at=runtime.clock.now() - STREAM_LOOKBACK
    )


def sse(event: str, data: dict[str, Any], *, event_id: int | None = None) -> str:
    lines = [f"id: {event_id}"] if event_id is not None else []
    lines += [f"event: {event}", f"data: {json.dumps(data, separators=(',', ':'))}"]
    return "\n".join(lines) + "\n\n"


async def command_events(
    runtime: Runtime,
    *,
    vin: str,
    tenure: Tenure,
    after_id: int,
    max_events: int | None = None,
    poll_seconds: float = 0.25,
    heartbeat_seconds: float = 15.0,
    disconnected: Callable[[], Awaitable[bool]] | None = None,
) -> AsyncIterator[str]:
    """Server-sent events of the state changes of one car's commands, after change ``after_id``.

    Each event (``event: command``, ``id``: the change's number, for ``Last-Event-ID``) carries
    the state entered and the command as it is now, with the time left for climate, engine and
    hazard lights. A comment line every ``heartbeat_seconds`` keeps proxies from closing an idle
    stream. Ends after ``max_events`` events or when ``disconnected()`` says the client left.
    Each poll is its own short transaction, so a long stream holds no database connection.
    Only the commands ``tenure``'s account sent in its time with the car are streamed.
    """
    sent = 0
    last_id = after_id
    loop = asyncio.get_running_loop()
    last_beat = loop.time()
    while max_events is None or sent < max_events:
        if disconnected is not None and await disconnected():
            return
        async with runtime.db.transaction() as session:
            changes = await repository.changes_after(
                session,
                vin=vin,
                account_id=tenure.account_id,
                spans=tenure.spans,
                after_id=last_id,
                limit=STREAM_BATCH,
            )
            commands = await repository.commands_by_ids(session, [c.command_id for c in changes])
        now = runtime.clock.now()
        for change in changes:
            last_id = change.id
            row = commands.get(change.command_id)
            if row is None:
                continue
            data = {
                "state": change.state,
                "at": change.at.isoformat(),
                "command": command_out(row, now=now).model_dump(mode="json"),
            }
            yield sse("command", data, event_id=change.id)
            sent += 1
            last_beat = loop.time()
            if max_events is not None and sent >= max_events:
                return
        if not changes:
            if loop.time() - last_beat >= heartbeat_seconds:
                yield ": keep-alive\n\n"
                last_beat = loop.time()
            await asyncio.sleep(poll_seconds)
