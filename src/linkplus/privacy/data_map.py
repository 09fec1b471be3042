"""The personal-data map (``data/data_map.toml``): every column of every table, whether it is
personal data and of which category, and per table its purpose, legal basis, retention rule and
what erasing an account does to it.

Export, erasure and the generated ``docs/privacy.md`` read the map through ``load()``; the data-map
test compares it with the migrated database, so a table or column nobody classified fails the
build. Pure: the file is read once; ``parse`` checks a document and names the table and column of
anything wrong in it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from linkplus.config import Settings

DATA_FILE = Path(__file__).parent / "data" / "data_map.toml"

CATEGORIES = (
    "identity",
    "contact",
    "location",
    "driving_behaviour",
    "payment_token",
    "vehicle_data",
    "credential",
    "communication",
)
NOT_PERSONAL = "none"
LEGAL_BASES = ("contract", "consent", "legal_obligation", "legitimate_interest", "vital_interest")
ERASURE_ACTIONS = ("delete", "pseudonymise", "keep", "not_personal")
# Erasure actions that leave (part of) a row behind: each must name the rule that keeps it.
KEPT = ("keep", "pseudonymise")
UNITS = ("days", "hours", "years")

_TABLE_KEYS = {
    "domain",
    "purpose",
    "legal_basis",
    "retention",
    "erasure",
    "kept_because",
    "columns",
}
_RETENTION_KEYS = {"setting", "default", "unit", "purged_by", "rule"}


class DataMapError(ValueError):
    """The map file is wrong; the message names the table (and column) and what to write."""


@dataclass(frozen=True)
class ColumnEntry:
    name: str
    category: str | None  # None: not personal data

    @property
    def personal(self) -> bool:
        return self.category is not None


@dataclass(frozen=True)
class RetentionRule:
    """How long one kind of data is kept: the setting that says it (``""`` for a rule with no
    period, such as "while the account exists") and the scheduled jobs that enforce it."""

    name: str
    setting: str
    default: int
    unit: str
    purged_by: tuple[str, ...]
    rule: str


@dataclass(frozen=True)
class TableEntry:
    name: str
    domain: str
    purpose: str
    legal_basis: str
    retention: str
    erasure: str
    kept_because: str
    columns: dict[str, ColumnEntry]

    @property
    def personal(self) -> bool:
        return any(column.personal for column in self.columns.values())


@dataclass(frozen=True)
class DataMap:
    tables: dict[str, TableEntry]
    retention: dict[str, RetentionRule]

    def personal_columns(self) -> list[tuple[str, str, str]]:
        """Every personal column as (table, column, category), in the map's order."""
        return [
            (table.name, column.name, column.category)
            for table in self.tables.values()
            for column in table.columns.values()
            if column.category is not None
        ]

    def differences(self, schema: Mapping[str, Iterable[str]]) -> list[str]:
        """What differs between the map and a database's tables and their columns: each table or
        column the map lacks, and each the map names that the database does not have."""
        found: list[str] = []
        for table, columns in sorted(schema.items()):
            entry = self.tables.get(table)
            if entry is None:
                found.append(f"table {table} is not in the data map")
                continue
            names = set(columns)
            found.extend(
                f"column {table}.{column} is not in the data map"
                for column in sorted(names - set(entry.columns))
            )
            found.extend(
                f"column {table}.{column} is in the data map but not in the database"
                for column in sorted(set(entry.columns) - names)
            )
        found.extend(
            f"table {table} is in the data map but not in the database"
            for table in sorted(set(self.tables) - set(schema))
        )
        return found


@cache
def load() -> DataMap:
    """The map shipped with the code, read and checked once."""
    return load_from(DATA_FILE)


def load_from(path: Path) -> DataMap:
    with path.open("rb") as handle:
        try:
            document = tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise DataMapError(f"{path.name} is not valid TOML: {exc}") from exc
    return parse(document)


def parse(document: Mapping[str, Any]) -> DataMap:
    retention = {
        name: _retention(name, body) for name, body in _section(document, "retention").items()
    }
    tables = {
        name: _table(name, body, retention) for name, body in _section(document, "tables").items()
    }
    return DataMap(tables=tables, retention=retention)


def _section(document: Mapping[str, Any], key: str) -> dict[str, Any]:
    section = document.get(key)
    if not isinstance(section, dict) or not section:
        raise DataMapError(f"The data map needs a [{key}] section with at least one entry.")
    unknown = set(document) - {"retention", "tables"}
    if unknown:
        raise DataMapError(
            f"Unknown top-level keys {sorted(unknown)}: the map has only [retention] and [tables]."
        )
    return section


def _retention(name: str, body: Any) -> RetentionRule:
    where = f"retention rule {name!r}"
    _keys(where, body, _RETENTION_KEYS)
    setting, default, unit = body["setting"], body["default"], body["unit"]
    purged_by = body["purged_by"]
    if not isinstance(purged_by, list) or not all(isinstance(job, str) for job in purged_by):
        raise DataMapError(f"{where}: purged_by is a list of schedule names.")
    if setting == "":
        if default != 0 or unit != "" or purged_by:
            raise DataMapError(
                f'{where}: a rule without a setting has default = 0, unit = "" and no purge.'
            )
    else:
        field = Settings.model_fields.get(setting)
        if field is None:
            raise DataMapError(f"{where}: setting {setting!r} is not a field of Settings.")
        if field.default != default:
            raise DataMapError(
                f"{where}: default = {default!r} but Settings.{setting} defaults to "
                f"{field.default!r}; write the setting's default."
            )
        if unit not in UNITS:
            raise DataMapError(f"{where}: unit {unit!r} is not one of {', '.join(UNITS)}.")
    rule = _text(where, body, "rule")
    return RetentionRule(name, setting, default, unit, tuple(purged_by), rule)


def _table(name: str, body: Any, retention: Mapping[str, RetentionRule]) -> TableEntry:
    where = f"table {name}"
    _keys(where, body, _TABLE_KEYS)
    domain = _text(where, body, "domain")
    purpose = _text(where, body, "purpose")
    legal_basis = _choice(where, body, "legal_basis", LEGAL_BASES)
    erasure = _choice(where, body, "erasure", ERASURE_ACTIONS)
    if body["retention"] not in retention:
        raise DataMapError(
            f"{where}: retention {body['retention']!r} is not a rule of [retention] "
            f"({', '.join(sorted(retention))})."
        )
    kept_because = body["kept_because"]
    if not isinstance(kept_because, str):
        raise DataMapError(f"{where}: kept_because is text.")
    if erasure in KEPT and not kept_because.strip():
        raise DataMapError(f"{where}: erasure {erasure!r} needs kept_because naming the rule.")
    if erasure not in KEPT and kept_because:
        raise DataMapError(f"{where}: kept_because is only for erasure keep or pseudonymise.")
    raw_columns = body["columns"]
    if not isinstance(raw_columns, dict) or not raw_columns:
        raise DataMapError(f"{where}: [tables.{name}.columns] lists every column.")
    columns = {column: _column(name, column, value) for column, value in raw_columns.items()}
    personal = any(column.personal for column in columns.values())
    if erasure == "not_personal" and personal:
        raise DataMapError(
            f"{where}: erasure is not_personal but it has personal columns; "
            "say what erasure does to them."
        )
    if erasure != "not_personal" and not personal:
        raise DataMapError(f"{where}: no column is personal, so its erasure is not_personal.")
    return TableEntry(
        name=name,
        domain=domain,
        purpose=purpose,
        legal_basis=legal_basis,
        retention=body["retention"],
        erasure=erasure,
        kept_because=kept_because,
        columns=columns,
    )


def _column(table: str, name: str, value: Any) -> ColumnEntry:
    if value == NOT_PERSONAL:
        return ColumnEntry(name, None)
    if value not in CATEGORIES:
        raise DataMapError(
            f"column {table}.{name}: category {value!r} is not one of "
            f"{', '.join(CATEGORIES)} or {NOT_PERSONAL!r}."
        )
    return ColumnEntry(name, value)


def _keys(where: str, body: Any, expected: set[str]) -> None:
    if not isinstance(body, dict):
        raise DataMapError(f"{where}: expected a table of keys {sorted(expected)}.")
    missing, unknown = expected - set(body), set(body) - expected
    if missing or unknown:
        raise DataMapError(
            f"{where}: missing keys {sorted(missing)}, unknown keys {sorted(unknown)}."
        )


def _text(where: str, body: Mapping[str, Any], key: str) -> str:
    value = body[key]
    if not isinstance(value, str) or not value.strip():
        raise DataMapError(f"{where}: {key} must be non-empty text.")
    return value


def _choice(where: str, body: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = body[key]
    if value not in allowed:
        raise DataMapError(f"{where}: {key} {value!r} is not one of {', '.join(allowed)}.")
    return str(value)
