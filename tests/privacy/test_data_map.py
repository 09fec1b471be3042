"""The personal-data map classifies every table and column of the migrated database, its rules
are checked when it is read, and docs/privacy.md is generated from it."""

from __future__ import annotations

import copy
import importlib.util
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import Column, MetaData, String, Table, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from linkplus.bootstrap import register_tasks
from linkplus.jobs.registry import SCHEDULES
from linkplus.models import Base
from linkplus.privacy import data_map
from linkplus.privacy.data_map import DataMapError, load, parse

ROOT = Path(__file__).resolve().parents[2]
# Alembic's own bookkeeping: not the platform's data.
NOT_MAPPED = {"alembic_version"}


def _document() -> dict[str, Any]:
    with data_map.DATA_FILE.open("rb") as handle:
        return tomllib.load(handle)


def _schema_of(connection: Connection) -> dict[str, list[str]]:
    inspector = inspect(connection)
    return {
        table: [column["name"] for column in inspector.get_columns(table)]
        for table in inspector.get_table_names()
        if table not in NOT_MAPPED
    }


async def test_every_table_and_column_of_the_migrated_database_is_in_the_map(
    database_url: str,
) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            schema = await connection.run_sync(_schema_of)
    finally:
        await engine.dispose()
    assert len(schema) >= len(Base.metadata.tables)
    assert load().differences(schema) == []


def test_the_check_names_a_column_and_a_table_nobody_classified() -> None:
    """On a copy of the ORM metadata with one column and one table more, and one table fewer,
    the comparison names exactly those three."""
    metadata = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    metadata.tables["accounts"].append_column(Column("nickname", String(40)))
    Table("loyalty_points", metadata, Column("account_id", String(36)))
    metadata.remove(metadata.tables["schedules"])
    schema = {name: list(table.columns.keys()) for name, table in metadata.tables.items()}

    assert load().differences(schema) == [
        "column accounts.nickname is not in the data map",
        "table loyalty_points is not in the data map",
        "table schedules is in the data map but not in the database",
    ]


def test_the_check_names_a_column_the_database_does_not_have() -> None:
    schema = {name: list(table.columns.keys()) for name, table in Base.metadata.tables.items()}
    schema["trips"] = [column for column in schema["trips"] if column != "samples"]
    assert load().differences(schema) == [
        "column trips.samples is in the data map but not in the database"
    ]


def test_the_owner_identifiers_are_classified_as_the_issue_names_them() -> None:
    """Spot checks of the categories the erasure scan and the export rely on."""
    tables = load().tables
    expected = {
        ("accounts", "email"): "contact",
        ("accounts", "phone"): "contact",
        ("accounts", "first_name"): "identity",
        ("accounts", "password_hash"): "credential",
        ("vehicle_positions", "latitude"): "location",
        ("trips", "samples"): "location",
        ("trips", "score_trip"): "driving_behaviour",
        ("payment_cards", "provider_token"): "payment_token",
        ("subscription_charges", "provider_token"): "payment_token",
        ("vehicles", "registration_plate"): "vehicle_data",
        ("notifications", "body"): "communication",
    }
    found = {key: tables[key[0]].columns[key[1]].category for key in expected}
    assert found == expected
    assert tables["schedules"].personal is False
    assert ("accounts", "email", "contact") in load().personal_columns()
    assert all(category is not None for _, _, category in load().personal_columns())


def test_kept_records_name_their_rule() -> None:
    tables = load().tables
    assert tables["invoice_documents"].erasure == "keep"
    assert "Tax law" in tables["invoice_documents"].kept_because
    assert tables["audit_log"].erasure == "pseudonymise"
    assert tables["safety_cases"].erasure == "pseudonymise"
    assert load().retention["tax_records"].setting == "invoice_retention_years"


def test_every_purge_the_map_names_is_a_scheduled_job() -> None:
    register_tasks()
    named = {job for rule in load().retention.values() for job in rule.purged_by}
    assert named
    assert named <= set(SCHEDULES), f"not scheduled: {sorted(named - set(SCHEDULES))}"


def _with(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(_document())
    change(document)
    return document


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["tables"]["trips"]["columns"].update(route="gps"),
            "column trips.route: category 'gps' is not one of",
        ),
        (
            lambda d: d["tables"]["trips"].update(legal_basis="because"),
            "table trips: legal_basis 'because' is not one of",
        ),
        (
            lambda d: d["tables"]["trips"].update(retention="forever"),
            "table trips: retention 'forever' is not a rule of [retention]",
        ),
        (
            lambda d: d["tables"]["trips"].update(erasure="shred"),
            "table trips: erasure 'shred' is not one of",
        ),
        (
            lambda d: d["tables"]["invoice_documents"].update(kept_because=""),
            "table invoice_documents: erasure 'keep' needs kept_because",
        ),
        (
            lambda d: d["tables"]["schedules"].update(erasure="delete"),
            "table schedules: no column is personal",
        ),
        (
            lambda d: d["tables"]["trips"].update(erasure="not_personal"),
            "table trips: erasure is not_personal but it has personal columns",
        ),
        (
            lambda d: d["tables"]["trips"].pop("purpose"),
            "table trips: missing keys ['purpose']",
        ),
        (
            lambda d: d["retention"]["location"].update(default=30),
            "Settings.location_retention_days defaults to 90",
        ),
        (
            lambda d: d["retention"]["location"].update(setting="location_days"),
            "setting 'location_days' is not a field of Settings",
        ),
    ],
)
def test_a_wrong_map_is_refused_naming_the_table_and_column(change: Any, message: str) -> None:
    parse(_document())  # the shipped map itself is accepted
    with pytest.raises(DataMapError) as refused:
        parse(_with(change))
    assert message in str(refused.value)


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("privacy_map", ROOT / "tools/privacy_map.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_privacy_is_generated_from_the_current_map() -> None:
    assert _tool().main(["--check"]) == 0, "run `python tools/privacy_map.py`"


def test_the_docs_check_fails_on_a_stale_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = _tool()
    stale = tmp_path / "privacy.md"
    text = (ROOT / "docs" / "privacy.md").read_text()
    stale.write_text(text.replace("#### `trips`", "#### `journeys`"))
    monkeypatch.setattr(tool, "DOC", stale)
    assert tool.main(["--check"]) == 1
    assert tool.main([]) == 0
    assert stale.read_text() == text
