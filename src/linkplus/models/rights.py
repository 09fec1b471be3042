"""The owner's data exports (GDPR art. 15 and 20): one row per requested export.

The zip itself is a file in the data dir (``exports/<id>.zip``), not a column: it can be tens of
megabytes, is read once or twice, and is deleted when the link expires; the row keeps what the
owner is shown (state, when it expires) and the file's SHA-256, checked when it is served.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base, new_uuid


class ExportState(StrEnum):
    queued = "queued"  # asked for; the build job has not finished
    ready = "ready"  # the file is in the data dir until expires_at
    failed = "failed"  # the build job gave up (the owner may ask again)
    expired = "expired"  # the link ran out and the file is deleted


# At most one export per account is in progress: a second request while one is queued is refused
# by the database too, so two requests at the same moment cannot both start one.
_IN_PROGRESS = text("state = 'queued'")


class DataExport(Base):
    __tablename__ = "data_exports"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))
    schema_version: Mapped[int]
    requested_at: Mapped[datetime]
    ready_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    downloads: Mapped[int] = mapped_column(default=0)
    last_downloaded_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_data_exports_account", "account_id"),
        Index(
            "uq_data_exports_one_in_progress",
            "account_id",
            unique=True,
            sqlite_where=_IN_PROGRESS,
            postgresql_where=_IN_PROGRESS,
        ),
    )
