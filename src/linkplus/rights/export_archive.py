"""The export's zip: what each domain handed over, written as files, with a manifest.

Layout (docs/privacy-rights.md):

    README.txt                     what is in the file, the formats, what is left out and why
    manifest.json                  schema version, when made, and every other file's sha256 and size
    <domain>.json                  the domain's tables: {"schema_version", "domain", "tables":
                                   {table: {"columns", "rows", "withheld"}}, "files"}
    <domain>/<table>.csv           the same rows as CSV (one per table with rows)
    trips/gpx/<trip id>.gpx        each trip's route (GPX 1.1)
    invoices/pdf/<number>.pdf      each invoice and credit note as issued

The zip is written to a temporary name beside its final one and renamed into place once
complete, so a crash never leaves a half-written file under the name the download serves.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from linkplus.models.exported import DomainExport, ExportedTable, JsonValue

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Written:
    size_bytes: int
    sha256: str


def domain_document(part: DomainExport) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "domain": part.domain,
        "tables": {
            table.table: {
                "columns": table.columns,
                "rows": table.rows,
                "withheld": table.withheld,
            }
            for table in part.tables
        },
        "files": sorted(part.files),
    }


def _cell(value: JsonValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def table_csv(table: ExportedTable) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_cell(row[name]) for name in table.columns])
    return out.getvalue().encode("utf-8")


def archive_files(
    parts: Sequence[DomainExport], *, readme: str, made_at: datetime, account_id: str
) -> dict[str, bytes]:
    """Every file of the zip by its path, the manifest last (it lists all the others)."""
    files: dict[str, bytes] = {"README.txt": readme.encode("utf-8")}
    for part in parts:
        files[f"{part.domain}.json"] = json.dumps(
            domain_document(part), ensure_ascii=False, indent=1, sort_keys=False
        ).encode("utf-8")
        for table in part.tables:
            if table.rows:
                files[f"{part.domain}/{table.table}.csv"] = table_csv(table)
        for path, content in part.files.items():
            if path in files:
                raise ValueError(f"two files named {path!r} in the export")
            files[path] = content
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "made_at": made_at.isoformat(),
        "account_id": account_id,
        "files": [
            {
                "path": path,
                "size": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
            }
            for path, content in sorted(files.items())
        ],
    }
    files["manifest.json"] = json.dumps(manifest, indent=1).encode("utf-8")
    return files


def write_zip(files: dict[str, bytes], target: Path, *, made_at: datetime) -> Written:
    """Write ``files`` as ``target`` (a temporary name first, then renamed); its size and hash."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    stamp = made_at.timetuple()[:6]
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in files.items():
            archive.writestr(zipfile.ZipInfo(path, date_time=stamp), content, zipfile.ZIP_DEFLATED)
    digest = hashlib.sha256()
    with partial.open("rb") as written:
        for chunk in iter(lambda: written.read(1 << 16), b""):
            digest.update(chunk)
        os.fsync(written.fileno())
    partial.replace(target)
    return Written(target.stat().st_size, digest.hexdigest())
