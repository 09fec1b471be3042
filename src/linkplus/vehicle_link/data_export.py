"""The vehicle link's part of the owner's data export: what the account's cars reported in its
tenure (twin, signal history, positions, events, trip uploads, post-trip checks, the parked
position) and the cars' answers to the account's own commands. The cars' credentials stay out
(they are the car's, not the owner's)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.kit.spans import Span
from linkplus.models.exported import DomainExport, table_of
from linkplus.vehicle_link import repository


async def export(
    session: AsyncSession, cars: Mapping[str, Sequence[Span]], command_ids: Sequence[uuid.UUID]
) -> DomainExport:
    rows = await repository.export_rows(session, cars, command_ids)
    return DomainExport("vehicle_link", [table_of(name, found) for name, found in rows.items()])
