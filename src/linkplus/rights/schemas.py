"""Inputs and outputs of the owner's data rights, and their job payloads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from linkplus.jobs import JobPayload
from linkplus.models.rights import DataExport, ExportState

# --- export ----------------------------------------------------------------------------------


class ExportOut(BaseModel):
    id: uuid.UUID
    state: ExportState
    schema_version: int
    requested_at: datetime
    ready_at: datetime | None
    expires_at: datetime | None = Field(description="After this the file is deleted.")
    size_bytes: int | None
    sha256: str | None = Field(description="SHA-256 of the zip, hex.")
    downloads: int
    download_url: str | None = Field(
        description="POST the password here to download the zip (while ready)."
    )

    @classmethod
    def of(cls, row: DataExport) -> ExportOut:
        ready = row.state == ExportState.ready.value
        return cls(
            id=row.id,
            state=ExportState(row.state),
            schema_version=row.schema_version,
            requested_at=row.requested_at,
            ready_at=row.ready_at,
            expires_at=row.expires_at,
            size_bytes=row.size_bytes,
            sha256=row.sha256,
            downloads=row.downloads,
            download_url=f"/api/v1/privacy/exports/{row.id}/download" if ready else None,
        )


class DownloadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=1, max_length=1024)


class BuildExportJob(JobPayload):
    task: ClassVar[str] = "rights.build_export"
    max_attempts: ClassVar[int] = 3

    export_id: uuid.UUID


# --- erasure ---------------------------------------------------------------------------------


class ErasureIn(BaseModel):
    """Asking to erase the account needs the password again."""

    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=1, max_length=200)


class ErasedOut(BaseModel):
    what: str
    detail: str


class KeptOut(BaseModel):
    what: str
    fields: str
    rule: str
    kept_for: str
    period: int | None = None
    unit: str = ""


class ErasureRequestOut(BaseModel):
    id: uuid.UUID
    state: str
    requested_at: datetime
    erase_after: datetime
    cancellable: bool


class ErasurePreviewOut(BaseModel):
    """What erasing the account would do now, and the request when there is one."""

    grace_days: int
    erased: list[ErasedOut]
    kept: list[KeptOut]
    request: ErasureRequestOut | None


class EraseAccountJob(JobPayload):
    task: ClassVar[str] = "rights.erase_account"
    max_attempts: ClassVar[int] = 200  # it waits (RetryLater) for refunds and the account's jobs
    request_id: uuid.UUID


class RemindErasureJob(JobPayload):
    task: ClassVar[str] = "rights.remind_erasure"
    request_id: uuid.UUID
