"""Helpers of the maintenance tests: the owner's inbox and warnings as stored."""

from __future__ import annotations

from sqlalchemy import select

from linkplus.models.maintenance import VehicleWarning
from linkplus.models.notifications import Notification
from linkplus.runtime import Runtime
from tests.remote_e2e.support import RemoteLink


async def inbox(link: RemoteLink, label: str, kind: str) -> list[Notification]:
    account_id = link.cars[label].owner.account.id
    async with link.runtime.db.read() as session:
        rows = await session.scalars(
            select(Notification)
            .where(Notification.account_id == account_id, Notification.kind == kind)
            .order_by(Notification.created_at)
        )
        return list(rows.all())


async def stored_warnings(runtime: Runtime, vin: str) -> list[VehicleWarning]:
    async with runtime.db.read() as session:
        rows = await session.scalars(
            select(VehicleWarning)
            .where(VehicleWarning.vin == vin)
            .order_by(VehicleWarning.source, VehicleWarning.code)
        )
        return list(rows.all())
