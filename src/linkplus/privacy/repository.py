"""All SQL of the privacy domain."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.db import during, during_per_car
from linkplus.kit.spans import Span
from linkplus.models.privacy import Consent, LocationHold, PrivacyModeChange


async def add(session: AsyncSession, row: Consent | PrivacyModeChange | LocationHold) -> None:
    session.add(row)
    await session.flush()


async def consents(session: AsyncSession, account_id: uuid.UUID) -> list[Consent]:
    """Every acceptance of the account, newest first."""
    stmt = (
        select(Consent)
        .where(Consent.account_id == account_id)
        .order_by(Consent.accepted_at.desc(), Consent.id)
    )
    return list((await session.scalars(stmt)).all())


async def standing_consents(session: AsyncSession, account_id: uuid.UUID) -> list[Consent]:
    """Acceptances not withdrawn, newest first."""
    stmt = (
        select(Consent)
        .where(Consent.account_id == account_id, Consent.withdrawn_at.is_(None))
        .order_by(Consent.accepted_at.desc(), Consent.id)
    )
    return list((await session.scalars(stmt)).all())


async def withdraw(
    session: AsyncSession, *, account_id: uuid.UUID, document: str, now: datetime
) -> list[Consent]:
    """Mark every standing acceptance of ``document`` withdrawn; returns those rows."""
    stmt = select(Consent).where(
        Consent.account_id == account_id,
        Consent.document == document,
        Consent.withdrawn_at.is_(None),
    )
    rows = list((await session.scalars(stmt)).all())
    for row in rows:
        row.withdrawn_at = now
    await session.flush()
    return rows


async def privacy_change_at(
    session: AsyncSession, *, vin: str, at: datetime
) -> PrivacyModeChange | None:
    """The change in force at ``at``: the latest one at or before it."""
    stmt = (
        select(PrivacyModeChange)
        .where(PrivacyModeChange.vin == vin, PrivacyModeChange.changed_at <= at)
        .order_by(PrivacyModeChange.changed_at.desc(), PrivacyModeChange.id.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def latest_privacy_change(session: AsyncSession, *, vin: str) -> PrivacyModeChange | None:
    stmt = (
        select(PrivacyModeChange)
        .where(PrivacyModeChange.vin == vin)
        .order_by(PrivacyModeChange.changed_at.desc(), PrivacyModeChange.id.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def privacy_history(
    session: AsyncSession, *, vin: str, spans: Iterable[Span], before: datetime | None, limit: int
) -> list[PrivacyModeChange]:
    """The car's changes made in the given stretches (one account's time with the car)."""
    stmt = select(PrivacyModeChange).where(
        PrivacyModeChange.vin == vin, during(PrivacyModeChange.changed_at, spans)
    )
    if before is not None:
        stmt = stmt.where(PrivacyModeChange.changed_at < before)
    stmt = stmt.order_by(PrivacyModeChange.changed_at.desc(), PrivacyModeChange.id.desc()).limit(
        limit
    )
    return list((await session.scalars(stmt)).all())


async def latest_location_sharing(
    session: AsyncSession, vins: Iterable[str]
) -> dict[str, tuple[datetime, bool]]:
    """Per car, the latest privacy-mode change (when, and whether sharing is on), for a whole
    batch of cars in one query. Cars without a change are absent (they share, the default)."""
    wanted = sorted(set(vins))
    if not wanted:
        return {}
    ranked = (
        select(
            PrivacyModeChange.vin,
            PrivacyModeChange.changed_at,
            PrivacyModeChange.location_sharing,
            func.row_number()
            .over(
                partition_by=PrivacyModeChange.vin,
                order_by=(PrivacyModeChange.changed_at.desc(), PrivacyModeChange.id.desc()),
            )
            .label("rank"),
        )
        .where(PrivacyModeChange.vin.in_(wanted))
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.vin, ranked.c.changed_at, ranked.c.location_sharing).where(
            ranked.c.rank == 1
        )
    )
    return {vin: (changed_at, sharing) for vin, changed_at, sharing in rows}


# --- location holds -----------------------------------------------------------------------------


async def open_hold(
    session: AsyncSession, *, vin: str, purpose: str, reference: str
) -> LocationHold | None:
    return await session.scalar(
        select(LocationHold).where(
            LocationHold.vin == vin,
            LocationHold.purpose == purpose,
            LocationHold.reference == reference,
            LocationHold.ended_at.is_(None),
        )
    )


async def end_holds(session: AsyncSession, *, reference: str, at: datetime) -> int:
    result = await session.execute(
        update(LocationHold)
        .where(LocationHold.reference == reference, LocationHold.ended_at.is_(None))
        .values(ended_at=at)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def holds_since(
    session: AsyncSession, vins: Iterable[str], *, since: datetime
) -> list[LocationHold]:
    """The holds of ``vins`` still running or ended after ``since``."""
    wanted = sorted(set(vins))
    if not wanted:
        return []
    stmt = (
        select(LocationHold)
        .where(
            LocationHold.vin.in_(wanted),
            or_(LocationHold.ended_at.is_(None), LocationHold.ended_at > since),
        )
        .order_by(LocationHold.started_at)
    )
    return list((await session.scalars(stmt)).all())


# --- the owner's data export (privacy.data_export) ---


async def export_rows(
    session: AsyncSession, account_id: uuid.UUID, cars: Mapping[str, Sequence[Span]]
) -> dict[str, Sequence[object]]:
    """Every consent with its history (acceptances and withdrawals), the privacy-mode changes
    and the location holds of the account's cars in its tenure."""
    consents = (
        await session.scalars(
            select(Consent)
            .where(Consent.account_id == account_id)
            .order_by(Consent.accepted_at, Consent.id)
        )
    ).all()
    changes = (
        await session.scalars(
            select(PrivacyModeChange)
            .where(during_per_car(PrivacyModeChange.vin, PrivacyModeChange.changed_at, cars))
            .order_by(PrivacyModeChange.changed_at, PrivacyModeChange.id)
        )
    ).all()
    holds = (
        await session.scalars(
            select(LocationHold)
            .where(during_per_car(LocationHold.vin, LocationHold.started_at, cars))
            .order_by(LocationHold.started_at, LocationHold.id)
        )
    ).all()
    return {
        "consents": list(consents),
        "privacy_mode_changes": list(changes),
        "location_holds": list(holds),
    }


# --- erasure (rights) ------------------------------------------------------------------------


async def forget_privacy_changes(
    session: AsyncSession, *, account_id: uuid.UUID, vin: str | None
) -> None:
    """The privacy-mode changes the account made (on one car, or on all) forget it: the rows
    stay, as the car's history says whether location was shared at a time (the data map's
    rule for ``privacy_mode_changes``)."""
    stmt = update(PrivacyModeChange).where(PrivacyModeChange.account_id == account_id)
    if vin is not None:
        stmt = stmt.where(PrivacyModeChange.vin == vin)
    await session.execute(stmt.values(account_id=None))
    await session.flush()


async def erase_consents(session: AsyncSession, *, account_id: uuid.UUID) -> None:
    """Every consent the account gave, with its history."""
    await session.execute(delete(Consent).where(Consent.account_id == account_id))
    await session.flush()
