"""The privacy domain's part of the owner's data export: every consent with its history (each
acceptance with when it was withdrawn), the privacy-mode history and the location holds of the
account's cars in its tenure."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.kit.spans import Span
from linkplus.models.exported import DomainExport, table_of
from linkplus.privacy import repository


async def export(
    session: AsyncSession, account_id: uuid.UUID, cars: Mapping[str, Sequence[Span]]
) -> DomainExport:
    rows = await repository.export_rows(session, account_id, cars)
    return DomainExport("privacy", [table_of(name, found) for name, found in rows.items()])
