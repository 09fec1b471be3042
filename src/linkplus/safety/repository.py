"""All SQL of the safety domain."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.db import dialect_insert, during, during_per_car
from linkplus.kit.spans import Span
from linkplus.models.safety import (
    CaseKind,
    CaseState,
    EmergencySystem,
    PoliceLink,
    Reactivation,
    SafetyAttempt,
    SafetyCase,
    SafetyCaseEntry,
    SafetyPosition,
)
from linkplus.safety import live

Row = SafetyCase | SafetyCaseEntry | PoliceLink | Reactivation | EmergencySystem


async def add(session: AsyncSession, row: Row) -> None:
    session.add(row)
    await session.flush()


async def get_case(
    session: AsyncSession, case_id: uuid.UUID, *, for_update: bool = False
) -> SafetyCase | None:
    stmt = select(SafetyCase).where(SafetyCase.id == case_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def case_by_incident(
    session: AsyncSession, *, vin: str, incident_id: uuid.UUID
) -> SafetyCase | None:
    return await session.scalar(
        select(SafetyCase)
        .where(SafetyCase.vin == vin, SafetyCase.incident_id == incident_id)
        .with_for_update()
    )


async def insert_case_once(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert an emergency case unless the car's incident has one already (two gateways may
    take two attempts of one incident at once); True when this call inserted it."""
    stmt = (
        dialect_insert(session, SafetyCase)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["vin", "incident_id"])
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


async def add_attempt(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Record one attempt; False when its message was recorded already."""
    stmt = (
        dialect_insert(session, SafetyAttempt)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["msg_id"])
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


async def attempts_of(session: AsyncSession, case_id: uuid.UUID) -> list[SafetyAttempt]:
    stmt = (
        select(SafetyAttempt)
        .where(SafetyAttempt.case_id == case_id)
        .order_by(SafetyAttempt.attempt, SafetyAttempt.id)
    )
    return list((await session.scalars(stmt)).all())


async def queue(
    session: AsyncSession,
    *,
    kinds: Sequence[str],
    states: Sequence[str],
    limit: int,
) -> list[SafetyCase]:
    stmt = (
        select(SafetyCase)
        .where(SafetyCase.kind.in_(list(kinds)), SafetyCase.state.in_(list(states)))
        .order_by(SafetyCase.opened_at.desc(), SafetyCase.id)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def cases_of_vehicle(
    session: AsyncSession, *, vin: str, spans: Sequence[Span], limit: int
) -> list[SafetyCase]:
    stmt = (
        select(SafetyCase)
        .where(SafetyCase.vin == vin, during(SafetyCase.opened_at, spans))
        .order_by(SafetyCase.opened_at.desc())
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def open_theft(
    session: AsyncSession, *, vin: str, for_update: bool = False
) -> SafetyCase | None:
    """The car's theft case not yet closed (reported, tracking, or waiting for reactivation)."""
    stmt = (
        select(SafetyCase)
        .where(
            SafetyCase.vin == vin,
            SafetyCase.kind == CaseKind.theft.value,
            SafetyCase.state != CaseState.closed.value,
        )
        .order_by(SafetyCase.opened_at.desc())
        .limit(1)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def add_entry(
    session: AsyncSession,
    *,
    case_id: uuid.UUID,
    at: datetime,
    actor_type: str,
    actor_id: str | None,
    action: str,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        SafetyCaseEntry(
            case_id=case_id,
            at=at,
            actor_type=actor_type,
            actor_id=actor_id,
            action=action,
            detail=detail or {},
        )
    )
    await session.flush()
    live.mark_changed(session)


async def entries_of(session: AsyncSession, case_id: uuid.UUID) -> list[SafetyCaseEntry]:
    stmt = (
        select(SafetyCaseEntry)
        .where(SafetyCaseEntry.case_id == case_id)
        .order_by(SafetyCaseEntry.id)
    )
    return list((await session.scalars(stmt)).all())


async def last_entry_id(session: AsyncSession) -> int:
    found = await session.scalar(
        select(SafetyCaseEntry.id).order_by(SafetyCaseEntry.id.desc()).limit(1)
    )
    return int(found or 0)


async def entries_after(
    session: AsyncSession, *, after_id: int, kinds: Sequence[str], limit: int
) -> list[tuple[SafetyCaseEntry, SafetyCase]]:
    stmt = (
        select(SafetyCaseEntry, SafetyCase)
        .join(SafetyCase, SafetyCase.id == SafetyCaseEntry.case_id)
        .where(SafetyCaseEntry.id > after_id, SafetyCase.kind.in_(list(kinds)))
        .order_by(SafetyCaseEntry.id)
        .limit(limit)
    )
    return [(entry, case) for entry, case in (await session.execute(stmt)).all()]


async def add_position(session: AsyncSession, values: dict[str, Any]) -> None:
    stmt = (
        dialect_insert(session, SafetyPosition)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["case_id", "ts"])
    )
    await session.execute(stmt)


async def positions_of(
    session: AsyncSession, case_id: uuid.UUID, *, limit: int
) -> list[SafetyPosition]:
    stmt = (
        select(SafetyPosition)
        .where(SafetyPosition.case_id == case_id)
        .order_by(SafetyPosition.ts.desc())
        .limit(limit)
    )
    return list(reversed((await session.scalars(stmt)).all()))


async def system_of(
    session: AsyncSession, vin: str, *, for_update: bool = False
) -> EmergencySystem | None:
    stmt = select(EmergencySystem).where(EmergencySystem.vin == vin)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def police_link(session: AsyncSession, token_hash: str) -> PoliceLink | None:
    return await session.scalar(select(PoliceLink).where(PoliceLink.token_hash == token_hash))


async def latest_reactivation(
    session: AsyncSession, *, case_id: uuid.UUID, account_id: uuid.UUID
) -> Reactivation | None:
    stmt = (
        select(Reactivation)
        .where(Reactivation.case_id == case_id, Reactivation.account_id == account_id)
        .order_by(Reactivation.created_at.desc())
        .limit(1)
        .with_for_update()
    )
    return await session.scalar(stmt)


# --- the owner's data export (safety.data_export) ---


async def export_rows(
    session: AsyncSession, account_id: uuid.UUID, cars: Mapping[str, Sequence[Span]]
) -> dict[str, Sequence[object]]:
    """The safety cases the owner reported or that were about its cars in its tenure, with
    their attempts, entries, positions, police links and reactivations, and the cars'
    emergency-system state while the account is their primary account."""
    cases = list(
        (
            await session.scalars(
                select(SafetyCase)
                .where(
                    or_(
                        SafetyCase.account_id == account_id,
                        during_per_car(SafetyCase.vin, SafetyCase.opened_at, cars),
                    )
                )
                .order_by(SafetyCase.opened_at, SafetyCase.id)
            )
        ).all()
    )
    ids = [row.id for row in cases]

    async def rows(model: Any, *order: Any) -> list[object]:
        stmt = select(model).where(model.case_id.in_(ids)).order_by(*order)
        return list((await session.scalars(stmt)).all())

    current = [vin for vin, spans in cars.items() if any(span.end is None for span in spans)]
    systems = (
        await session.scalars(select(EmergencySystem).where(EmergencySystem.vin.in_(current)))
    ).all()
    return {
        "safety_cases": cases,
        "safety_attempts": await rows(SafetyAttempt, SafetyAttempt.id),
        "safety_case_entries": await rows(SafetyCaseEntry, SafetyCaseEntry.id),
        "safety_positions": await rows(SafetyPosition, SafetyPosition.id),
        "safety_police_links": await rows(PoliceLink, PoliceLink.created_at),
        "safety_reactivations": await rows(Reactivation, Reactivation.created_at),
        "safety_systems": list(systems),
    }


# --- erasure (rights) ------------------------------------------------------------------------


async def pseudonymise(session: AsyncSession, *, account_id: uuid.UUID, pseudonym: str) -> None:
    """Safety cases stay (what happened in an emergency or a theft, and what the agents did),
    no longer linked to the account: the case forgets it, the timeline names the pseudonym;
    open reactivation codes go."""
    await session.execute(delete(Reactivation).where(Reactivation.account_id == account_id))
    await session.execute(
        update(SafetyCase).where(SafetyCase.account_id == account_id).values(account_id=None)
    )
    await session.execute(
        update(SafetyCaseEntry)
        .where(SafetyCaseEntry.actor_id == str(account_id))
        .values(actor_id=pseudonym)
    )
    await session.flush()
