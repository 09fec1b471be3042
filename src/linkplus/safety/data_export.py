"""The safety domain's part of the owner's data export: the cases the owner reported or that
were about its cars in its tenure, as the owner may see them (the eCall data set as base64, the
positions, the entries), and the cars' emergency-system state. Staff appear by id only."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.kit.spans import Span
from linkplus.models.exported import DomainExport, table_of
from linkplus.safety import repository

WITHHELD = {
    "safety_police_links": {
        "token_hash": "the hash of the police link's secret (a credential); when the link was "
        "made, expires and was revoked are exported",
    },
    "safety_reactivations": {
        "code_hash": "the hash of the reactivation code (a credential)",
    },
}


async def export(
    session: AsyncSession, account_id: uuid.UUID, cars: Mapping[str, Sequence[Span]]
) -> DomainExport:
    rows = await repository.export_rows(session, account_id, cars)
    return DomainExport(
        "safety",
        [table_of(name, found, withheld=WITHHELD.get(name)) for name, found in rows.items()],
    )
