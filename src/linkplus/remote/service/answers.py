"""Following a command to its end: the car's answers, the expiry, and what they leave behind.

The car's answers arrive as one ``CommandResultsReceived`` event per gateway batch, handled
inside the gateway's transaction that stores them (``tasks.on_answers``, ``apply_answers``).
Every final state is audited and told to the car's primary account, and the expiry job of a
command that ended is cancelled; what a batch's answers write is written together (``_Moves``),
in a fixed number of statements per batch. A completed command records what now runs on the
car (climate, engine, hazard lights) and until when.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.audit import service as audit
from linkplus.garage import service as garage
from linkplus.jobs import cancel_many as cancel_jobs
from linkplus.models.notifications import Category
from linkplus.models.remote import RemoteCommand
from linkplus.notifications import service as notifications
from linkplus.notifications.links import CarPage, car_page
from linkplus.remote import repository, signing
from linkplus.remote.lifecycle import Answer, State, after_answer, after_expiry
from linkplus.remote.preconditions import (
    HAZARD_SECONDS,
    CommandType,
    Refusal,
    failure_code,
    message,
)
from linkplus.remote.service._common import TITLES, expire_key
from linkplus.runtime import Runtime
from linkplus.vehicles import service as vehicles

NOTIFY_KIND = "remote_command"

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


async def expire(session: AsyncSession, runtime: Runtime, *, command_id: uuid.UUID) -> bool:
    row = await repository.get_command(session, command_id, for_update=True)
    if row is None:
        return False
    target = after_expiry(State(row.state))
    if target is None:
        return False
    await _finish(session, runtime, row, target, reason=Refusal.no_answer.value)
    return True


@dataclass(frozen=True)
class CarAnswer:
    """One answer of a car to a command, as the gateway stored it."""

    vin: str
    command_id: uuid.UUID
    status: str
    reason: str | None = None


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
    moved = await apply_answers(
        session, runtime, [CarAnswer(vin=vin, command_id=command_id, status=status, reason=reason)]
    )
    return moved[0]


async def apply_answers(
    session: AsyncSession, runtime: Runtime, answers: Sequence[CarAnswer]
) -> list[State | None]:
    """``apply_answer`` for the answers of a gateway batch, in the order they came (a car's
    ``received`` before its ``succeeded``): each answer's new state, or None. The commands are
    read and locked together, and what their ends write (state changes, audit entries, the
    cancelled expiry jobs, the owners' messages) is written together: a fixed number of
    statements per batch, not per answer."""
    if not answers:
        return []
    rows = await repository.commands_for_update(session, [a.command_id for a in answers])
    now = runtime.clock.now()
    moves = _Moves(now)
    results: list[State | None] = []
    for one in answers:
        row = rows.get(one.command_id)
        results.append(await _answer_one(session, runtime, moves, row, one, now=now))
    await moves.write(session, runtime)
    return results


async def _answer_one(
    session: AsyncSession,
    runtime: Runtime,
    moves: _Moves,
    row: RemoteCommand | None,
    one: CarAnswer,
    *,
    now: datetime,
) -> State | None:
    if row is None or row.vin != one.vin:
        return None
    try:
        answer = Answer(one.status)
    except ValueError:
        return None
    current = State(row.state)
    if answer is Answer.rejected and one.reason == signing.VerifyOutcome.replayed.value:
        return None  # a second delivery of a command the car is already answering
    target = after_answer(current, answer)
    if target is None:
        return None
    if target is State.acknowledged:
        row.acknowledged_at = now
        moves.move(row, target)
        return target
    if target is State.completed:
        await _apply_effects(session, runtime, row, now=now)
        moves.finish(row, target, reason=None)
        return target
    code = failure_code(one.reason, rejected=answer is Answer.rejected)
    moves.finish(row, State.failed, reason=code.value)
    return State.failed


class _Moves:
    """The state changes of one transaction's commands, written together by ``write``."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.changes: list[dict[str, object]] = []
        self.finished: list[tuple[RemoteCommand, State]] = []

    def move(self, row: RemoteCommand, state: State) -> None:
        row.state = state.value
        row.updated_at = self.now
        self.changes.append(
            {"vin": row.vin, "command_id": row.id, "state": state.value, "at": self.now}
        )

    def finish(self, row: RemoteCommand, state: State, *, reason: str | None) -> None:
        row.reason = reason
        row.finished_at = self.now
        row.busy_key = None
        self.move(row, state)
        self.finished.append((row, state))

    async def write(self, session: AsyncSession, runtime: Runtime) -> None:
        now = self.now
        await session.flush()  # the commands' new states, before anything reads them
        await repository.add_changes(session, self.changes)
        if not self.finished:
            return
        await cancel_jobs(session, [expire_key(row.id) for row, _ in self.finished], now=now)
        await audit.record_many(
            session,
            [
                {
                    "now": now,
                    "actor_type": "vehicle" if state is not State.expired else "system",
                    "actor_id": row.vin,
                    "action": f"remote.command_{state.value}",
                    "subject_type": "vehicle",
                    "subject_id": row.vin,
                    "details": {
                        "command_id": str(row.id),
                        "type": row.type,
                        "account_id": str(row.account_id) if row.account_id else None,
                        "result": state.value,
                        "reason": row.reason,
                    },
                }
                for row, state in self.finished
            ],
        )
        await _tell_owners(session, runtime, self.finished, now=now)


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
    """End one command (expired, or failed before it went out): as an answer ends one."""
    moves = _Moves(runtime.clock.now())
    moves.finish(row, state, reason=reason)
    await moves.write(session, runtime)


async def _tell_owners(
    session: AsyncSession,
    runtime: Runtime,
    finished: Sequence[tuple[RemoteCommand, State]],
    *,
    now: datetime,
) -> None:
    """Tell each command's sender how it ended, when they are still the car's primary account
    (a car that changed hands since: its new primary account is not told of the old one's
    commands)."""
    vins = {row.vin for row, _ in finished}
    primaries = await garage.primary_account_ids(session, vins)
    cars = await vehicles.get_vehicles(session, vins)
    notices: list[notifications.Notice] = []
    for row, state in finished:
        primary = primaries.get(row.vin)
        if primary is None or primary != row.account_id:
            continue
        vehicle = cars.get(row.vin)
        name = vehicles.model_of(vehicle).name if vehicle is not None else row.vin
        title, body = _message(row, state, name)
        notices.append(
            notifications.Notice(
                account_id=primary,
                category=Category.vehicle_alerts,
                kind=NOTIFY_KIND,
                title=title,
                body=body,
                link=car_page(runtime.settings.public_url, row.vin, CarPage.remote),
            )
        )
    await notifications.notify_many(session, now=now, notices=notices)


def _message(row: RemoteCommand, state: State, name: str) -> tuple[str, str]:
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
    return title, body
