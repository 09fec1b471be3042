"""The agents' console: the live queue of cases, one case in full (the person behind the car
only on an open case the agent has taken: need to know), and the live stream of changes.
Every look at a case is on its timeline and in the audit log."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.accounts import service as accounts
from linkplus.audit import access
from linkplus.audit.reasons import ViewKind, case_reason
from linkplus.models.accounts import StaffAccount
from linkplus.models.safety import CaseState, SafetyCase
from linkplus.runtime import Runtime
from linkplus.safety import live, msd, repository
from linkplus.safety.rules import STREAM_POLL_SECONDS, case_title, outcome_words
from linkplus.safety.schemas import CaseOut, CaseSummaryOut, DataItemOut, EntryOut, PersonOut
from linkplus.safety.service._common import (
    EMERGENCY_KINDS,
    case_subject,
    holds,
    kinds_for,
    note,
    staff_case,
)
from linkplus.safety.service.emergency import decoded
from linkplus.vehicles import service as vehicles

QUEUE_LIMIT = 200
VIN_WITHHELD = "withheld until you take the case"
STREAM_BATCH = 100


def summary(case: SafetyCase, staff: StaffAccount, *, now_seconds: float) -> CaseSummaryOut:
    return CaseSummaryOut(
        id=case.id,
        kind=case.kind,
        title=case_title(case.kind),
        state=case.state,
        trigger=case.trigger,
        opened_at=case.opened_at,
        age_seconds=max(0, int(now_seconds - case.opened_at.timestamp())),
        attempts=case.attempts,
        call_state=case.call_state,
        latitude=case.latitude,
        longitude=case.longitude,
        taken=case.taken_by is not None,
        taken_by_me=case.taken_by == staff.id,
        tracking=case.tracking,
    )


async def queue(
    session: AsyncSession, runtime: Runtime, staff: StaffAccount, *, closed: bool = False
) -> list[CaseSummaryOut]:
    """The cases of the agent's kinds, newest first: open and taken ones, or the closed ones."""
    states = [CaseState.closed.value] if closed else [CaseState.open.value, CaseState.taken.value]
    rows = await repository.queue(session, kinds=kinds_for(staff), states=states, limit=QUEUE_LIMIT)
    now = runtime.clock.now().timestamp()
    return [summary(row, staff, now_seconds=now) for row in rows]


async def case_detail(
    session: AsyncSession,
    runtime: Runtime,
    staff: StaffAccount,
    case_id: uuid.UUID,
    *,
    record_view: bool = True,
) -> CaseOut:
    case = await staff_case(session, staff, case_id)
    now = runtime.clock.now()
    if record_view:
        await note(
            session, case, at=now, actor_type="staff", actor_id=str(staff.id), action="viewed"
        )
    need_to_know = holds(case, staff)
    if need_to_know and case.account_id is not None:
        # The owner's name, phone and car are shown only to the agent holding the open case,
        # and that case is the reason: recorded for the owner without asking.
        await access.record_view(
            session,
            now=now,
            staff=staff,
            account_ids=[case.account_id],
            what=ViewKind.case,
            subject=case_subject(case.id),
            reason=case_reason(case.kind, str(case.id)),
        )
    vehicle = await vehicles.get_vehicle(session, case.vin) if need_to_know else None
    person = None
    if need_to_know and case.account_id is not None:
        account = await accounts.account_by_id(session, case.account_id)
        if account is not None:
            person = PersonOut(
                name=f"{account.first_name} {account.last_name}".strip(),
                phone=account.phone,
                email=account.email,
            )
    data, error = decoded(case)
    if case.msd is None and case.kind in EMERGENCY_KINDS and case.attempts:
        error = "The car's data set could not be read (it was not valid base64)."
    items = [DataItemOut(label=k, value=v) for k, v in msd.describe(data)] if data else []
    if not need_to_know:  # the data set names the car too: withheld like the car itself
        items = [
            DataItemOut(label=i.label, value=i.value.replace(case.vin, VIN_WITHHELD)) for i in items
        ]
    entries = await repository.entries_of(session, case.id)
    base = summary(case, staff, now_seconds=now.timestamp())
    return CaseOut(
        **base.model_dump(),
        vin=case.vin if need_to_know else None,
        model=vehicles.model_of(vehicle).name if vehicle is not None else None,
        registration_plate=vehicle.registration_plate if vehicle is not None else None,
        primary_account=person,
        occupant=case.occupant,
        data_set=items,
        data_set_error=error,
        dispatched=list(case.dispatched),
        outcome=case.outcome,
        outcome_words=outcome_words(case.outcome),
        closed_at=case.closed_at,
        police_reference=case.police_reference,
        reported_via=case.reported_via,
        checks=dict(case.checks),
        tracking_started_at=case.tracking_started_at,
        tracking_ended_at=case.tracking_ended_at,
        tracking_ended_by=case.tracking_ended_by,
        entries=[
            EntryOut(at=e.at, actor_type=e.actor_type, action=e.action, detail=dict(e.detail))
            for e in entries
        ],
    )


async def stream_start(session: AsyncSession) -> int:
    return await repository.last_entry_id(session)


def _sse(event: str, data: dict[str, Any], event_id: int) -> str:
    return f"id: {event_id}\nevent: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def case_events(
    runtime: Runtime,
    staff: StaffAccount,
    *,
    after_id: int,
    max_events: int | None = None,
    heartbeat_seconds: float = 15.0,
    disconnected: Callable[[], Awaitable[bool]] | None = None,
) -> AsyncIterator[str]:
    """Server-sent events of the changes on the agent's kinds of case (``event: case``, the
    case's summary and what happened; ``id`` for ``Last-Event-ID``). Each poll is a short read,
    so a stream holds no database connection and waits for no writer."""
    kinds = kinds_for(staff)
    sent = 0
    last_id = after_id
    loop = asyncio.get_running_loop()
    last_beat = loop.time()
    with live.changes(runtime.db).listen() as changed:  # from before the first read
        while max_events is None or sent < max_events:
            if disconnected is not None and await disconnected():
                return
            changed.clear()
            async with runtime.db.read() as session:
                rows = await repository.entries_after(
                    session, after_id=last_id, kinds=kinds, limit=STREAM_BATCH
                )
            now = runtime.clock.now().timestamp()
            for entry, case in rows:
                last_id = entry.id
                data = {
                    "action": entry.action,
                    "at": entry.at.isoformat(),
                    "case": summary(case, staff, now_seconds=now).model_dump(mode="json"),
                }
                yield _sse("case", data, entry.id)
                sent += 1
                last_beat = loop.time()
                if max_events is not None and sent >= max_events:
                    return
            if not rows:
                if loop.time() - last_beat >= heartbeat_seconds:
                    yield ": keep-alive\n\n"
                    last_beat = loop.time()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), STREAM_POLL_SECONDS)
