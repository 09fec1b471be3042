"""All SQL of the maintenance feature."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.db import dialect_insert, during, during_per_car
from linkplus.kit.spans import Span
from linkplus.models.garage import PrimaryAccount
from linkplus.models.maintenance import (
    ServiceNotice,
    ServiceRecord,
    ServiceSource,
    VehicleWarning,
)

# --- warnings ----------------------------------------------------------------------------------


async def open_warnings(session: AsyncSession, vin: str) -> list[VehicleWarning]:
    stmt = (
        select(VehicleWarning)
        .where(VehicleWarning.vin == vin, VehicleWarning.cleared_at.is_(None))
        .order_by(VehicleWarning.raised_at, VehicleWarning.code)
    )
    return list((await session.scalars(stmt)).all())


async def add_warnings(session: AsyncSession, rows: Sequence[VehicleWarning]) -> None:
    session.add_all(rows)
    await session.flush()


async def clear_warnings(
    session: AsyncSession, ids: Sequence[uuid.UUID], *, cleared_at: datetime
) -> None:
    if ids:
        await session.execute(
            update(VehicleWarning)
            .where(VehicleWarning.id.in_(ids), VehicleWarning.cleared_at.is_(None))
            .values(cleared_at=cleared_at)
        )


async def warnings_between(
    session: AsyncSession, vin: str, *, since: datetime, until: datetime
) -> list[VehicleWarning]:
    """Warnings raised before ``until`` and not cleared before ``since``: those of a month."""
    stmt = (
        select(VehicleWarning)
        .where(
            VehicleWarning.vin == vin,
            VehicleWarning.raised_at < until,
            (VehicleWarning.cleared_at.is_(None)) | (VehicleWarning.cleared_at >= since),
        )
        .order_by(VehicleWarning.raised_at)
    )
    return list((await session.scalars(stmt)).all())


# --- service history ---------------------------------------------------------------------------


async def add_service_record(session: AsyncSession, record: ServiceRecord) -> None:
    session.add(record)
    await session.flush()


async def service_records(session: AsyncSession, vin: str) -> list[ServiceRecord]:
    stmt = (
        select(ServiceRecord)
        .where(ServiceRecord.vin == vin)
        .order_by(ServiceRecord.serviced_on.desc(), ServiceRecord.created_at.desc())
    )
    return list((await session.scalars(stmt)).all())


async def last_full_service(session: AsyncSession, vin: str) -> ServiceRecord | None:
    """The newest full service on record, by either source."""
    stmt = (
        select(ServiceRecord)
        .where(ServiceRecord.vin == vin, ServiceRecord.is_service.is_(True))
        .order_by(ServiceRecord.serviced_on.desc(), ServiceRecord.created_at.desc())
        .limit(1)
    )
    return await session.scalar(stmt)


# --- reminders ---------------------------------------------------------------------------------


async def cars_with_primary(session: AsyncSession) -> list[tuple[str, uuid.UUID]]:
    """Every car with a primary account (who the reminders go to). Read-only use of the
    garage's table: the reminders run over the whole fleet once a day."""
    stmt = select(PrimaryAccount.vin, PrimaryAccount.account_id).order_by(PrimaryAccount.vin)
    return [(vin, account_id) for vin, account_id in (await session.execute(stmt)).all()]


async def sent_stages(session: AsyncSession, vin: str, cycle: str) -> set[str]:
    stmt = select(ServiceNotice.stage).where(ServiceNotice.vin == vin, ServiceNotice.cycle == cycle)
    return set((await session.scalars(stmt)).all())


async def add_notice(
    session: AsyncSession,
    *,
    vin: str,
    cycle: str,
    stage: str,
    account_id: uuid.UUID,
    sent_at: datetime,
) -> bool:
    """Record the notice; False when it was already recorded (a second run of the same day)."""
    stmt = (
        dialect_insert(session, ServiceNotice)
        .values(
            id=uuid.uuid4(),
            vin=vin,
            cycle=cycle,
            stage=stage,
            account_id=account_id,
            sent_at=sent_at,
        )
        .on_conflict_do_nothing(index_elements=["vin", "cycle", "stage"])
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


# --- an owner's data (export and erasure) --------------------------------------------------------


async def owner_records(session: AsyncSession, account_id: uuid.UUID) -> list[ServiceRecord]:
    stmt = (
        select(ServiceRecord)
        .where(ServiceRecord.account_id == account_id)
        .order_by(ServiceRecord.serviced_on)
    )
    return list((await session.scalars(stmt)).all())


async def notices_of(session: AsyncSession, account_id: uuid.UUID) -> list[ServiceNotice]:
    stmt = (
        select(ServiceNotice)
        .where(ServiceNotice.account_id == account_id)
        .order_by(ServiceNotice.sent_at)
    )
    return list((await session.scalars(stmt)).all())


async def warnings_told_to(session: AsyncSession, account_id: uuid.UUID) -> list[VehicleWarning]:
    stmt = (
        select(VehicleWarning)
        .where(VehicleWarning.notified_account_id == account_id)
        .order_by(VehicleWarning.raised_at)
    )
    return list((await session.scalars(stmt)).all())


async def erase_account(session: AsyncSession, account_id: uuid.UUID) -> None:
    """The owner's own records go; the notices and warnings forget whom they told."""
    await session.execute(
        delete(ServiceRecord).where(
            ServiceRecord.account_id == account_id,
            ServiceRecord.source == ServiceSource.owner.value,
        )
    )
    await session.execute(
        update(ServiceNotice).where(ServiceNotice.account_id == account_id).values(account_id=None)
    )
    await session.execute(
        update(VehicleWarning)
        .where(VehicleWarning.notified_account_id == account_id)
        .values(notified_account_id=None)
    )


async def export_rows(
    session: AsyncSession, account_id: uuid.UUID, cars: Mapping[str, Sequence[Span]]
) -> dict[str, Sequence[object]]:
    """The warnings the account's cars showed in its tenure, the account's own service records
    and the dealer's visits in its tenure, and the reminders it was sent."""
    warnings = (
        await session.scalars(
            select(VehicleWarning)
            .where(during_per_car(VehicleWarning.vin, VehicleWarning.raised_at, cars))
            .order_by(VehicleWarning.raised_at)
        )
    ).all()
    records = (
        await session.scalars(
            select(ServiceRecord)
            .where(
                (ServiceRecord.account_id == account_id)
                | (
                    (ServiceRecord.source == ServiceSource.dealer.value)
                    & during_per_car(ServiceRecord.vin, ServiceRecord.created_at, cars)
                )
            )
            .order_by(ServiceRecord.serviced_on)
        )
    ).all()
    return {
        "vehicle_warnings": list(warnings),
        "service_records": list(records),
        "service_notices": await notices_of(session, account_id),
    }


async def erase_car_records(
    session: AsyncSession, *, account_id: uuid.UUID, vin: str, spans: Sequence[Span]
) -> None:
    """The car leaves the account: the warnings it showed then, the account's own records of
    it and the reminders about it go. The dealer's visits stay with the car (its service book;
    they name no person)."""
    await session.execute(
        delete(VehicleWarning).where(
            VehicleWarning.vin == vin, during(VehicleWarning.raised_at, spans)
        )
    )
    await session.execute(
        delete(ServiceRecord).where(
            ServiceRecord.vin == vin, ServiceRecord.account_id == account_id
        )
    )
    await session.execute(
        delete(ServiceNotice).where(
            ServiceNotice.vin == vin, ServiceNotice.account_id == account_id
        )
    )
