"""Recording audit entries inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.audit import AuditEntry


async def record(
    session: AsyncSession,
    *,
    now: datetime,
    actor_type: str,
    actor_id: str | None,
    action: str,
    subject_type: str | None = None,
    subject_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry. The request id comes from the logging context of the current request."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    session.add(
        AuditEntry(
            at=now,
            actor_type=actor_type,
            actor_id=actor_id,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            request_id=request_id,
            details=details or {},
        )
    )
    await session.flush()


async def record_many(session: AsyncSession, entries: list[dict[str, Any]]) -> None:
    """Append several entries in one statement; each a dict of ``record``'s keyword arguments
    (``now`` included). The request id comes from the logging context, as in ``record``."""
    if not entries:
        return
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    await session.execute(
        insert(AuditEntry).values(
            [
                {
                    "at": entry["now"],
                    "actor_type": entry["actor_type"],
                    "actor_id": entry.get("actor_id"),
                    "action": entry["action"],
                    "subject_type": entry.get("subject_type"),
                    "subject_id": entry.get("subject_id"),
                    "request_id": request_id,
                    "details": entry.get("details") or {},
                }
                for entry in entries
            ]
        )
    )


async def entries_for(
    session: AsyncSession,
    *,
    subject_type: str | None = None,
    subject_id: str | None = None,
    action: str | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if subject_type is not None:
        stmt = stmt.where(AuditEntry.subject_type == subject_type)
    if subject_id is not None:
        stmt = stmt.where(AuditEntry.subject_id == subject_id)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    return list((await session.scalars(stmt)).all())
