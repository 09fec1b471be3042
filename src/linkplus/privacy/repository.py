"""All SQL of the privacy domain."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.privacy import Consent, PrivacyModeChange


async def add(session: AsyncSession, row: Consent | PrivacyModeChange) -> None:
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
    session: AsyncSession, *, vin: str, before: datetime | None, limit: int
) -> list[PrivacyModeChange]:
    stmt = select(PrivacyModeChange).where(PrivacyModeChange.vin == vin)
    if before is not None:
        stmt = stmt.where(PrivacyModeChange.changed_at < before)
    stmt = stmt.order_by(PrivacyModeChange.changed_at.desc(), PrivacyModeChange.id.desc()).limit(
        limit
    )
    return list((await session.scalars(stmt)).all())
