"""The remote domain's part of the owner's data export: the account's own commands (with each
state change), climate schedules, and its cars' remote state."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.kit.spans import Span
from linkplus.models.exported import DomainExport, table_of
from linkplus.remote import repository


async def export(
    session: AsyncSession, account_id: uuid.UUID, cars: Mapping[str, Sequence[Span]]
) -> DomainExport:
    rows = await repository.export_rows(session, account_id, cars)
    return DomainExport("remote", [table_of(name, found) for name, found in rows.items()])
