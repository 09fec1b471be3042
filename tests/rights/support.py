"""An account with data in every table of the platform, for the export's completeness test.

One row per table, made from the tables' own metadata in foreign-key order: every column gets a
value of its type that names its table and column (so a value found in the export can only have
come from that column), foreign keys point at the row made for the table they name, and the
columns that tie a row to an owner (``account_id``, ``vin``, the audit log's actor) point at the
account and its car. Every moment lies inside the account's tenure with the car, except for one
extra position from before the account had the car, which the export must leave out.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.base import Base
from linkplus.models.twin import PositionFix
from linkplus.runtime import Runtime
from linkplus.trips import packing
from linkplus.trips.samples import TripSamples


@dataclass(frozen=True)
class Everything:
    account_id: uuid.UUID
    vin: str
    before_tenure: datetime  # the position made then must not be exported


def _samples() -> bytes:
    three = np.array([0.0, 0.0, 0.0])
    samples = TripSamples(
        t=np.array([0.0, 1.0, 2.0]),
        lat=np.array([48.1371, 48.1372, 48.1373]),
        lon=np.array([11.5754, 11.5755, 11.5756]),
        speed_kmh=np.array([10.0, 12.0, 14.0]),
        accel_long_ms2=three,
        accel_lat_ms2=three,
        speed_limit_kmh=np.array([50.0, 50.0, 50.0]),
        location_shared=np.array([True, True, True]),
    )
    return packing.pack(samples, np.array([False, False, False]))


def _value(table: sa.Table, column: sa.Column[Any], moment: datetime, serial: int) -> Any:
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl_instance
    python: type | None
    try:
        python = kind.python_type
    except NotImplementedError:
        python = None
    if isinstance(kind, sa.JSON) or python in (dict, list):
        return {"from": f"{table.name}.{column.name}"}
    if python is datetime:
        return moment
    if python is date:
        return moment.date()
    if python is bool:
        return True
    if python is int:
        return 7000 + serial
    if python is float:
        return 1.25 + serial
    if python is uuid.UUID:
        return uuid.uuid4()
    if python is bytes:
        return f"{table.name}.{column.name}".encode()
    length = getattr(kind, "length", None) or 60
    text = f"{table.name}.{column.name}"
    if length < len(text):
        text = f"{serial:0{length}d}"[-length:]
    return text


async def account_with_everything(
    runtime: Runtime, *, added_at: datetime, password_hash: str
) -> Everything:
    """Fill every table with one row tied to a new account and its car (added ``added_at``)."""
    account_id = uuid.uuid4()
    vin = "WLPEXP0RT00000001"
    moment = added_at + timedelta(days=1)
    tied: dict[str, Any] = {"account_id": account_id, "vin": vin}
    overrides: dict[str, dict[str, Any]] = {
        "accounts": {
            "id": account_id,
            "email": "everything@example.com",
            "password_hash": password_hash,
            "email_confirmed_at": added_at,
        },
        "vehicles": {"vin": vin},
        "garage_entries": {"added_at": added_at},
        "primary_accounts": {"since": added_at},
        "past_primary_periods": {"started_at": added_at, "ended_at": added_at},
        "sign_in_sessions": {"audience": "owner"},
        "audit_log": {"actor_type": "owner", "actor_id": str(account_id)},
        "trips": {"samples": _samples()},
        # what the invoice's PDF needs to render, and its table's checks
        "invoice_documents": {
            "kind": "invoice",
            "currency": "EUR",
            "locale": "de_DE",
            "vat_rate": "0.19",
            "number": "DE-2026-000042",
            "seller": {
                "legal_name": "linkplus GmbH",
                "street": "Werkstrasse 1",
                "postcode": "80331",
                "city": "Munich",
                "country": "DE",
                "vat_id": "DE123456789",
                "registration": "HRB 1",
                "email": "billing@linkplus.example",
            },
            "buyer": {
                "name": "Eve Everything",
                "street": "Hauptstrasse 9",
                "postcode": "10115",
                "city": "Berlin",
                "country": "DE",
                "vat_id": None,
            },
            "net_minor": 1000,
            "vat_minor": 190,
            "gross_minor": 1190,
        },
        "invoice_lines": {"net_minor": 1000, "vat_minor": 190, "gross_minor": 1190},
        "data_exports": {"state": "ready"},
        "key_revocations": {"command_id": uuid.uuid4()},  # ahead of remote_commands' row
    }
    made: dict[str, dict[str, Any]] = {}
    async with runtime.db.transaction() as session:
        for serial, table in enumerate(Base.metadata.sorted_tables):
            row = _row(table, moment, serial, tied, made, overrides.get(table.name, {}))
            await session.execute(sa.insert(table).values(row))
            made[table.name] = row
        await _credit_note(session, made["invoice_documents"])
        await _position_before(session, vin, added_at - timedelta(days=2))
    return Everything(account_id, vin, added_at - timedelta(days=2))


def _row(
    table: sa.Table,
    moment: datetime,
    serial: int,
    tied: dict[str, Any],
    made: dict[str, dict[str, Any]],
    override: dict[str, Any],
) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for index, column in enumerate(table.columns):
        if column.name in override:
            row[column.name] = override[column.name]
        elif column.foreign_keys:
            target = next(iter(column.foreign_keys)).column
            if target.table.name == table.name:
                row[column.name] = None  # a row pointing at itself (a credit note's invoice)
            elif column.name in tied and target.table.name in ("accounts", "vehicles"):
                row[column.name] = tied[column.name]
            else:
                row[column.name] = made[target.table.name][target.name]
        elif column.name in tied:
            row[column.name] = tied[column.name]
        elif column.name == "command_id":
            row[column.name] = made["remote_commands"]["id"]
        elif column.autoincrement is True and column.primary_key:
            continue
        else:
            row[column.name] = _value(table, column, moment, serial * 100 + index)
    return row


async def _position_before(session: AsyncSession, vin: str, at: datetime) -> None:
    session.add(PositionFix(vin=vin, ts=at, latitude=52.52, longitude=13.405))
    await session.flush()


async def _credit_note(session: AsyncSession, invoice: dict[str, Any]) -> None:
    """A credit note correcting the invoice, so ``corrects_id`` holds a value too."""
    table = Base.metadata.tables["invoice_documents"]
    note = dict(invoice)
    note.update(
        id=uuid.uuid4(),
        kind="credit_note",
        number="DE-2026-C00001",
        sequence=invoice["sequence"] + 1,
        corrects_id=invoice["id"],
        idempotency_key="invoice_documents.idempotency_key.credit",
    )
    await session.execute(sa.insert(table).values(note))
