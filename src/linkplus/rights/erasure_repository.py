"""All SQL of the erasure requests."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.erasure import ErasureRequest, ErasureState


async def add(session: AsyncSession, request: ErasureRequest) -> None:
    session.add(request)
    await session.flush()


async def get(session: AsyncSession, request_id: uuid.UUID) -> ErasureRequest | None:
    return await session.get(ErasureRequest, request_id, with_for_update=True)


async def open_for(session: AsyncSession, account_id: uuid.UUID) -> ErasureRequest | None:
    """The account's request still pending or being carried out."""
    stmt = (
        select(ErasureRequest)
        .where(
            ErasureRequest.account_id == account_id,
            ErasureRequest.state.in_((ErasureState.pending, ErasureState.erasing)),
        )
        .with_for_update()
    )
    return (await session.scalars(stmt)).first()


async def due(session: AsyncSession, now: datetime) -> list[ErasureRequest]:
    """Requests whose grace period is over and that have not finished."""
    stmt = select(ErasureRequest).where(
        ErasureRequest.state.in_((ErasureState.pending, ErasureState.erasing)),
        ErasureRequest.erase_after <= now,
    )
    return list((await session.scalars(stmt)).all())


async def of_account(session: AsyncSession, account_id: uuid.UUID) -> list[ErasureRequest]:
    """Every erasure request the account made (cancelled ones too), oldest first: the export."""
    stmt = (
        select(ErasureRequest)
        .where(ErasureRequest.account_id == account_id)
        .order_by(ErasureRequest.requested_at)
    )
    return list((await session.scalars(stmt)).all())
