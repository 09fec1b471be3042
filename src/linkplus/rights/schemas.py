"""The rights package's request and response models, and its job payloads."""

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
