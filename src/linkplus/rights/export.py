"""The owner's data export (GDPR art. 15 and 20, the EU Data Act): asking for it, making it,
downloading it, and deleting it when its link runs out.

- Asking: one export in progress per account (a second request is refused with 409
  ``export_in_progress``, naming the running one; a unique index makes this hold for two
  requests at the same moment too). The request queues ``rights.build_export``.
- Making (``build``): every domain's ``data_export`` module reads the account's rows through its
  own repository, scoped by the account's tenure with each car (docs/garage.md, "Whose data");
  ``export_archive`` writes the zip into the data dir (``exports/<id>.zip``). The reads run in a
  read-only transaction and the file is written with no transaction open, so a large export
  holds no database lock. The owner is then told (inbox, and e-mail and push as the
  preferences say), with a link to the export page.
- Downloading needs the password again (checked and throttled as sign-in is) and is streamed.
- The link works ``export_link_days`` (7); the daily job ``rights.purge_exports`` deletes the
  file then and marks the export expired.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus import jobs
from linkplus.accounts import data_export as accounts_export
from linkplus.accounts import service as accounts
from linkplus.audit import data_export as audit_export
from linkplus.audit import service as audit
from linkplus.charging import data_export as charging_export
from linkplus.config import Settings
from linkplus.connected_services import data_export as services_export
from linkplus.dealers import data_export as dealers_export
from linkplus.garage import data_export as garage_export
from linkplus.invoices import data_export as invoices_export
from linkplus.keys import data_export as keys_export
from linkplus.maintenance import data_export as maintenance_export
from linkplus.models.accounts import Account
from linkplus.models.exported import DomainExport, table_of
from linkplus.models.notifications import Category
from linkplus.models.rights import DataExport, ExportState
from linkplus.notifications import data_export as notifications_export
from linkplus.notifications import service as notifications
from linkplus.payments import data_export as payments_export
from linkplus.privacy import data_export as privacy_export
from linkplus.remote import data_export as remote_export
from linkplus.rights import erasure_repository, export_archive, repository
from linkplus.rights.errors import ExportExpired, ExportInProgress, ExportNotFound, ExportNotReady
from linkplus.rights.schemas import BuildExportJob, ExportOut
from linkplus.runtime import Runtime
from linkplus.safety import data_export as safety_export
from linkplus.subscriptions import data_export as subscriptions_export
from linkplus.support import data_export as support_export
from linkplus.trips import data_export as trips_export
from linkplus.vehicle_link import data_export as vehicle_link_export
from linkplus.vehicles import data_export as vehicles_export

EXPORT_PAGE = "/privacy/export"
LIST_LIMIT = 20
# An export still queued after this long had its job die; the purge marks it failed so the
# owner may ask again (the build itself takes seconds to minutes).
STALE_AFTER = timedelta(days=1)

# Tables that hold personal data the export leaves out, each with the reason (repeated in the
# zip's README and in docs/privacy-rights.md). Every other table with personal data in the
# personal-data map is exported (tests/rights/test_export_completeness.py).
NOT_EXPORTED: dict[str, str] = {
    "staff_accounts": "staff members' own accounts, not the owner's data",
    "sign_in_throttles": "failed sign-in counts keyed by a one-way hash of the address; they "
    "name no account and are forgotten within a day",
    "registration_throttles": "sign-up counts keyed by a one-way hash of a network address; "
    "they name no account",
    "address_notices": "when a notice was last mailed to an address, keyed by a one-way hash "
    "of it; it names no account",
    "telematics_credentials": "the car's own credentials for the vehicle link (hashes), not "
    "the owner's data and a secret",
    "jobs": "the platform's internal work queue; it holds ids only, and the work it did is in "
    "the other files",
    "schedules": "the platform's timetable of recurring work; no personal data",
    "invoice_number_counters": "the last invoice number per country and year; no personal data",
    "vehicle_messages_seen": "ids of the car's messages kept 48 hours to drop repeats; no content",
    "sandbox_card_sessions": "the built-in test payment provider's own records (in production "
    "the provider holds these, not the platform)",
    "sandbox_cards": "the built-in test payment provider's own records",
    "sandbox_challenges": "the built-in test payment provider's own records",
    "sandbox_charges": "the built-in test payment provider's own records",
    "sandbox_refunds": "the built-in test payment provider's own records",
    "sandbox_faults": "the built-in test payment provider's own records",
    "data_exports": "the exports themselves: listed on the export page, with their hashes",
}


@dataclass(frozen=True)
class DownloadFile:
    path: Path
    filename: str


def export_path(settings: Settings, export_id: uuid.UUID) -> Path:
    """Where an export's zip lives: beside the other files of the installation."""
    return settings.data_dir / "exports" / f"{export_id}.zip"


# --- asking ----------------------------------------------------------------------------------


async def request_export(session: AsyncSession, runtime: Runtime, account: Account) -> ExportOut:
    """Start an export of everything the platform holds about ``account``."""
    now = runtime.clock.now()
    running = await repository.export_in_progress(session, account.id)
    if running is not None:
        raise ExportInProgress(running.id)
    row = DataExport(
        account_id=account.id,
        state=ExportState.queued.value,
        schema_version=export_archive.SCHEMA_VERSION,
        requested_at=now,
        downloads=0,
    )
    try:
        async with session.begin_nested():
            await repository.add_export(session, row)
    except IntegrityError as exc:  # another request started one at the same moment
        running = await repository.export_in_progress(session, account.id)
        raise ExportInProgress(running.id if running else row.id) from exc
    await jobs.enqueue(session, BuildExportJob(export_id=row.id), now=now)
    await audit.record(
        session,
        now=now,
        actor_type="owner",
        actor_id=str(account.id),
        action="privacy.export_requested",
        subject_type="account",
        subject_id=str(account.id),
        details={"export_id": str(row.id)},
    )
    return ExportOut.of(row)


async def exports_of(session: AsyncSession, account: Account) -> list[ExportOut]:
    """The account's exports, newest first."""
    rows = await repository.exports_of_account(session, account.id, limit=LIST_LIMIT)
    return [ExportOut.of(row) for row in rows]


async def export_of(session: AsyncSession, account: Account, export_id: uuid.UUID) -> ExportOut:
    return ExportOut.of(await _owned(session, account, export_id))


async def _owned(session: AsyncSession, account: Account, export_id: uuid.UUID) -> DataExport:
    row = await repository.export_of_account(session, account_id=account.id, export_id=export_id)
    if row is None:
        raise ExportNotFound()
    return row


# --- downloading -----------------------------------------------------------------------------


async def open_download(
    session: AsyncSession,
    runtime: Runtime,
    account: Account,
    export_id: uuid.UUID,
    *,
    password: str,
) -> DownloadFile:
    """The zip of one of the account's ready exports, after the password is checked again
    (``WrongPassword``, throttled like sign-in)."""
    row = await _owned(session, account, export_id)
    await accounts.confirm_password(session, runtime, account, password=password)
    now = runtime.clock.now()
    if row.state == ExportState.expired.value or (
        row.expires_at is not None and row.expires_at <= now
    ):
        raise ExportExpired()
    if row.state != ExportState.ready.value:
        raise ExportNotReady(row.state)
    path = export_path(runtime.settings, row.id)
    if not path.is_file():
        raise ExportExpired()
    row.downloads += 1
    row.last_downloaded_at = now
    await audit.record(
        session,
        now=now,
        actor_type="owner",
        actor_id=str(account.id),
        action="privacy.export_downloaded",
        subject_type="account",
        subject_id=str(account.id),
        details={"export_id": str(row.id)},
    )
    await session.flush()
    made = (row.ready_at or row.requested_at).date().isoformat()
    return DownloadFile(path, f"linkplus-data-export-{made}.zip")


# --- making ----------------------------------------------------------------------------------


async def gather(
    session: AsyncSession, account_id: uuid.UUID, *, now: datetime
) -> list[DomainExport]:
    """Every domain's part, for the cars in the account's garage within its tenure."""
    tenures = await garage_export.tenures(session, account_id)
    cars = {vin: tenure.spans for vin, tenure in tenures.items()}
    remote_part = await remote_export.export(session, account_id, cars)
    command_ids = [
        uuid.UUID(str(row["id"]))
        for table in remote_part.tables
        if table.table == "remote_commands"
        for row in table.rows
    ]
    return [
        await accounts_export.export(session, account_id),
        await notifications_export.export(session, account_id),
        await dealers_export.export(session, account_id),
        await garage_export.export(session, account_id),
        await vehicles_export.export(session, sorted(cars)),
        await privacy_export.export(session, account_id, cars),
        await services_export.export(session, account_id),
        await vehicle_link_export.export(session, cars, command_ids),
        remote_part,
        await trips_export.export(session, account_id, cars, now=now),
        await payments_export.export(session, account_id),
        await invoices_export.export(session, account_id),
        await subscriptions_export.export(session, account_id),
        await safety_export.export(session, account_id, cars),
        await keys_export.export(session, account_id),
        await maintenance_export.export(session, account_id, cars),
        await support_export.export(session, account_id),
        await charging_export.export(session, account_id),
        await audit_export.export(session, account_id),
        DomainExport(
            "rights",
            [
                table_of(
                    "erasure_requests", await erasure_repository.of_account(session, account_id)
                )
            ],
        ),
    ]


def readme(parts: Sequence[DomainExport], *, link_days: int) -> str:
    """The README in the zip: what each file is, the formats, and what is left out and why."""
    lines = [
        "Your linkplus data export",
        "=========================",
        "",
        f"Schema version {export_archive.SCHEMA_VERSION}. Everything the platform holds about "
        "your account, and about your cars for the time they were yours (as the primary "
        "account, since you last added them).",
        "",
        "Files",
        "-----",
        "manifest.json       every other file with its size and SHA-256",
        "<part>.json         one per part of the platform: for each source table its columns and "
        "rows (times in UTC, ISO 8601; binary values in base64)",
        "<part>/<table>.csv  the same rows as CSV (UTF-8; JSON values as JSON text)",
        "trips/gpx/*.gpx     each trip's route (GPX 1.1); the trips table names the file",
        "invoices/pdf/*.pdf  each invoice and credit note as issued",
        "",
        "Parts: " + ", ".join(part.domain for part in parts),
        "",
        "Left out on purpose",
        "-------------------",
    ]
    for part in parts:
        for table in part.tables:
            for column, why in sorted(table.withheld.items()):
                lines.append(f"- {table.table}.{column}: {why}")
    lines += ["", "Tables not exported", "-------------------"]
    lines += [f"- {table}: {why}" for table, why in sorted(NOT_EXPORTED.items())]
    lines += [
        "",
        f"The download link works for {link_days} days; then the file is deleted from our "
        "servers. Ask for a new export at any time.",
        "",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class Built:
    export_id: uuid.UUID
    size_bytes: int
    sha256: str


async def build_file(runtime: Runtime, export_id: uuid.UUID) -> Built | None:
    """Write the zip of a queued export (None: no such export, or not queued any more). Reads
    in a read-only transaction; writes the file with no transaction open."""
    now = runtime.clock.now()
    async with runtime.db.read() as session:
        row = await repository.get_export(session, export_id)
        if row is None or row.state != ExportState.queued.value:
            return None
        account_id = row.account_id
        parts = await gather(session, account_id, now=now)
    files = export_archive.archive_files(
        parts,
        readme=readme(parts, link_days=runtime.settings.export_link_days),
        made_at=now,
        account_id=str(account_id),
    )
    written = await asyncio.to_thread(
        export_archive.write_zip,
        files,
        export_path(runtime.settings, export_id),
        made_at=now,
    )
    return Built(export_id, written.size_bytes, written.sha256)


async def mark_ready(session: AsyncSession, runtime: Runtime, built: Built) -> None:
    """Record the written file and tell the owner; a file for an export that is no longer
    queued (given up meanwhile) is deleted instead."""
    now = runtime.clock.now()
    row = await repository.get_export(session, built.export_id)
    if row is None or row.state != ExportState.queued.value:
        export_path(runtime.settings, built.export_id).unlink(missing_ok=True)
        return
    row.state = ExportState.ready.value
    row.ready_at = now
    row.expires_at = now + timedelta(days=runtime.settings.export_link_days)
    row.size_bytes = built.size_bytes
    row.sha256 = built.sha256
    await session.flush()
    await notifications.notify(
        session,
        now=now,
        account_id=row.account_id,
        category=Category.account,
        kind="privacy.export_ready",
        title="Your data export is ready",
        body=(
            "The copy of your data you asked for is ready to download until "
            f"{row.expires_at:%d %B %Y}. Open the export page and enter your password to "
            "download it."
        ),
        link=EXPORT_PAGE,
    )


async def purge_expired(session: AsyncSession, runtime: Runtime) -> int:
    """Delete the files of exports whose link ran out and mark them expired; give up exports
    whose job died. Returns how many files were deleted."""
    now = runtime.clock.now()
    expired = await repository.expired_exports(session, now)
    for row in expired:
        export_path(runtime.settings, row.id).unlink(missing_ok=True)
        row.state = ExportState.expired.value
        row.deleted_at = now
    await session.flush()
    await repository.give_up_stale(session, requested_before=now - STALE_AFTER)
    return len(expired)


async def forget_account(session: AsyncSession, runtime: Runtime, account_id: uuid.UUID) -> int:
    """For the erasure of the account: delete its export files and rows (a file outlives its
    row otherwise, and the hourly purge finds files by their rows). Returns the files deleted."""
    rows = await repository.exports_of_account(session, account_id, limit=None)
    deleted = 0
    for row in rows:
        path = export_path(runtime.settings, row.id)
        if path.exists():
            path.unlink(missing_ok=True)
            deleted += 1
        await session.delete(row)
    await session.flush()
    return deleted
