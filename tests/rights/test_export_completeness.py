"""The export completeness test (issue 15): for an account with data in every domain, every
personal column of the personal-data map appears in the export.

How it is checked: every domain's JSON file names its source tables and their columns
(``models/exported.py``). The account is given one row in every table (tests/rights/support.py,
values that name their table and column). Then, for each personal column of the map
(``privacy.data_map.load().personal_columns()``):

- its table is exported, unless it is one of ``rights.export.NOT_EXPORTED`` (each with its
  reason, in the zip's README and in docs/privacy-rights.md);
- the column is in the exported table, unless it is one of the credentials this test allows to
  be withheld (``ALLOWED_WITHHELD``), each with its reason in the README;
- the value stored in the database for the account's row is the value in the export (as JSON:
  times ISO 8601, ids as text, bytes base64), or, for a trip's samples, the GPX file it names.

And the tenure rule holds: a position from before the account had the car is not exported.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from linkplus.accounts.passwords import hash_password
from linkplus.jobs.worker import Worker
from linkplus.models.accounts import Account
from linkplus.models.base import Base
from linkplus.models.exported import json_value
from linkplus.privacy import data_map
from linkplus.rights import export
from linkplus.runtime import Runtime
from tests.rights.support import account_with_everything
from tests.support import DEFAULT_PASSWORD, bearer_for

DOCS = Path(__file__).resolve().parents[2] / "docs" / "privacy-rights.md"

# The only columns of personal tables the export may leave out: credentials (hashes and tokens
# that would only help someone who finds a lost export file).
ALLOWED_WITHHELD = {
    ("accounts", "password_hash"),
    ("refresh_tokens", "token_hash"),
    ("account_tokens", "token_hash"),
    ("push_subscriptions", "auth"),
    ("payment_cards", "provider_token"),
    ("payment_cards", "fingerprint"),
    ("subscription_charges", "provider_token"),
    ("safety_police_links", "token_hash"),
    ("safety_reactivations", "code_hash"),
    ("staff_access_records", "staff_id"),  # staff stay private: the owner sees role and why
    ("staff_access_records", "staff_session"),
    ("key_invites", "code_hash"),
    ("chargers", "password_hash"),  # the charger's password: a new one can be set
}


async def _exported_zip(
    client: httpx.AsyncClient, runtime: Runtime, worker: Worker, account: Any
) -> zipfile.ZipFile:
    headers = await bearer_for(runtime, account)
    asked = await client.post("/api/v1/privacy/exports", headers=headers)
    assert asked.status_code == 202, asked.text
    await worker.run_due()
    shown = (
        await client.get(f"/api/v1/privacy/exports/{asked.json()['id']}", headers=headers)
    ).json()
    assert shown["state"] == "ready", shown
    got = await client.post(
        shown["download_url"], headers=headers, json={"password": DEFAULT_PASSWORD}
    )
    assert got.status_code == 200, got.text
    return zipfile.ZipFile(io.BytesIO(got.content))


async def test_every_personal_column_of_the_data_map_appears_in_the_export(
    client: httpx.AsyncClient, runtime: Runtime, worker: Worker
) -> None:
    now = runtime.clock.now()
    everything = await account_with_everything(
        runtime,
        added_at=now - timedelta(days=10),
        password_hash=hash_password(runtime.settings, DEFAULT_PASSWORD),
    )
    async with runtime.db.read() as session:
        account = await session.get(Account, everything.account_id)
    assert account is not None
    # What the database holds before the export (the export itself adds a notification, an
    # e-mail and audit entries, made after it was built); the position from before the
    # account's tenure is left out of what the export must show.
    stored: dict[str, list[dict[str, Any]]] = {}
    async with runtime.db.read() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(sa.select(table))).mappings().all()
            stored[table.name] = [dict(row) for row in rows]
    stored["vehicle_positions"] = [
        row for row in stored["vehicle_positions"] if row["ts"] != everything.before_tenure
    ]
    archive = await _exported_zip(client, runtime, worker, account)

    exported: dict[str, dict[str, Any]] = {}
    for name in archive.namelist():
        if "/" not in name and name.endswith(".json") and name != "manifest.json":
            for table, body in json.loads(archive.read(name))["tables"].items():
                assert table not in exported, f"{table} exported twice"
                exported[table] = body

    missing: list[str] = []
    the_map = data_map.load()
    personal = the_map.personal_columns()
    assert personal, "the map names no personal column"
    for table, column, _category in personal:
        if table in export.NOT_EXPORTED:
            continue
        body = exported.get(table)
        if body is None:
            missing.append(f"{table}: table not in the export")
            continue
        if column in body["withheld"]:
            if (table, column) not in ALLOWED_WITHHELD:
                missing.append(f"{table}.{column}: withheld, and not a credential")
            continue
        if column not in body["columns"]:
            missing.append(f"{table}.{column}: column not in the export")
            continue
        values = [row[column] for row in stored[table] if row[column] is not None]
        if not values:
            missing.append(f"{table}.{column}: no value stored (the test's account lacks it)")
            continue
        shown = [row[column] for row in body["rows"]]
        for value in values:
            if table == "trips" and column == "samples":
                assert all(isinstance(item, dict) and "file" in item for item in shown)
                gpx = archive.read(shown[0]["file"]).decode()
                assert 'lat="48.1371' in gpx
                continue
            if json_value(value) not in shown:
                missing.append(f"{table}.{column}: stored {value!r} not in the export {shown!r}")
    assert not missing, "\n".join(missing)

    readme = archive.read("README.txt").decode()
    docs = DOCS.read_text()
    for table, column in ALLOWED_WITHHELD:
        assert f"{table}.{column}" in readme
        assert f"{table}.{column}" in docs or f"`{table}.{column}`" in docs, (table, column)
    for table in export.NOT_EXPORTED:
        assert f"- {table}:" in readme
        assert f"`{table}`" in docs or table.startswith("sandbox_"), table

    positions = exported["vehicle_positions"]["rows"]
    assert [
        row["ts"] for row in positions if row["ts"] == everything.before_tenure.isoformat()
    ] == []
    assert len(positions) == 1
