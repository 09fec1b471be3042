"""All SQL of the services domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.services import SellChecklistMark, ServiceActivation


async def add(session: AsyncSession, row: ServiceActivation | SellChecklistMark) -> None:
    session.add(row)
    await session.flush()


async def activations_for(
    session: AsyncSession, *, vin: str, account_id: uuid.UUID
) -> list[ServiceActivation]:
    stmt = select(ServiceActivation).where(
        ServiceActivation.vin == vin, ServiceActivation.account_id == account_id
    )
    return list((await session.scalars(stmt)).all())


async def get_activation(
    session: AsyncSession, *, vin: str, account_id: uuid.UUID, package: str
) -> ServiceActivation | None:
    stmt = select(ServiceActivation).where(
        ServiceActivation.vin == vin,
        ServiceActivation.account_id == account_id,
        ServiceActivation.package == package,
    )
    return (await session.scalars(stmt)).first()


async def not_deactivated(
    session: AsyncSession, *, account_id: uuid.UUID, vin: str | None = None
) -> list[ServiceActivation]:
    """The account's activations not stopped yet (on one car, or on all of them)."""
    stmt = select(ServiceActivation).where(
        ServiceActivation.account_id == account_id, ServiceActivation.deactivated_at.is_(None)
    )
    if vin is not None:
        stmt = stmt.where(ServiceActivation.vin == vin)
    return list((await session.scalars(stmt.order_by(ServiceActivation.vin))).all())


async def marks(
    session: AsyncSession, *, account_id: uuid.UUID, vin: str
) -> list[SellChecklistMark]:
    stmt = select(SellChecklistMark).where(
        SellChecklistMark.account_id == account_id, SellChecklistMark.vin == vin
    )
    return list((await session.scalars(stmt)).all())


async def delete_marks(session: AsyncSession, *, account_id: uuid.UUID, vin: str) -> None:
    await session.execute(
        delete(SellChecklistMark).where(
            SellChecklistMark.account_id == account_id, SellChecklistMark.vin == vin
        )
    )


# --- the owner's data export (connected_services.data_export) ---


async def export_rows(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Sequence[object]]:
    """The account's service activations and its sell-checklist marks."""
    activations = (
        await session.scalars(
            select(ServiceActivation)
            .where(ServiceActivation.account_id == account_id)
            .order_by(ServiceActivation.started_at, ServiceActivation.id)
        )
    ).all()
    marks = (
        await session.scalars(
            select(SellChecklistMark)
            .where(SellChecklistMark.account_id == account_id)
            .order_by(SellChecklistMark.marked_at)
        )
    ).all()
    return {"service_activations": list(activations), "sell_checklist_marks": list(marks)}


# --- erasure (rights) ------------------------------------------------------------------------


async def erase_services(session: AsyncSession, *, account_id: uuid.UUID, vin: str | None) -> None:
    """The account's service activations and sell-checklist marks (one car, or all)."""
    for model in (ServiceActivation, SellChecklistMark):
        stmt = delete(model).where(model.account_id == account_id)
        if vin is not None:
            stmt = stmt.where(model.vin == vin)
        await session.execute(stmt)
    await session.flush()
