"""The shape in which every domain hands its part of an owner's data export to ``rights``.

Each domain's ``data_export`` module reads the account's rows through its own repository and
returns them as ``ExportedTable``: the source table's name, its columns, and each row as
column -> JSON value. Naming the source table and columns is what makes the export checkable
against the personal-data map (tests/rights/test_export_completeness.py), and it tells the owner
exactly where each value was kept.

A column left out on purpose (a password hash, a token's hash, a payment provider's token) is
named in ``withheld`` with the reason, which the export's README repeats; nothing else may be
missing.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeAlias

from sqlalchemy import inspect

from linkplus.models.base import Base

# A JSON value as the export writes it.
JsonValue: TypeAlias = bool | int | float | str | list[Any] | dict[str, Any] | None


@dataclass(frozen=True)
class FileReference:
    """A column whose value is exported as a file of its own in the zip (a trip's samples as
    GPX): the row carries ``{"file": path}`` and the file is in ``DomainExport.files``."""

    path: str


@dataclass
class ExportedTable:
    table: str
    columns: list[str]
    rows: list[dict[str, JsonValue]]
    withheld: dict[str, str] = field(default_factory=dict)  # column -> why it is not exported


@dataclass
class DomainExport:
    """One domain's part: its tables, and files (GPX, PDF) by their path in the zip."""

    domain: str
    tables: list[ExportedTable] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)


def json_value(value: object) -> JsonValue:
    """A stored value as JSON: times in ISO 8601 (UTC), ids as text, bytes as base64."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, FileReference):
        return {"file": value.path}
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    raise TypeError(f"no JSON form for {type(value).__name__}")


def table_of(
    table: str,
    rows: Sequence[object],
    *,
    withheld: Mapping[str, str] | None = None,
    replaced: Mapping[str, Iterable[object]] | None = None,
) -> ExportedTable:
    """``rows`` (ORM objects of ``table``) with every mapped column but those ``withheld``.

    ``replaced`` gives, per column, one value per row to write instead of the stored one (a
    ``FileReference`` for a trip's samples)."""
    kept_out = dict(withheld or {})
    columns = _columns(table, rows)
    exported_columns = [name for name in columns if name not in kept_out]
    substitutes = {name: list(values) for name, values in (replaced or {}).items()}
    out: list[dict[str, JsonValue]] = []
    for index, row in enumerate(rows):
        record: dict[str, JsonValue] = {}
        for name in exported_columns:
            value = substitutes[name][index] if name in substitutes else getattr(row, name)
            record[name] = json_value(value)
        out.append(record)
    return ExportedTable(table, exported_columns, out, kept_out)


def _columns(table: str, rows: Sequence[object]) -> list[str]:
    mapped = Base.metadata.tables.get(table)
    if mapped is None:
        raise LookupError(f"no table {table!r}")
    if rows:
        mapper = inspect(type(rows[0]))
        if mapper.local_table.name != table:
            raise ValueError(f"rows of {mapper.local_table.name!r} given as {table!r}")
        return [attr.key for attr in mapper.column_attrs]
    return [column.name for column in mapped.columns]
