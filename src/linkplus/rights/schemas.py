"""Inputs and outputs of the owner's data rights, and their job payloads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from linkplus.jobs import JobPayload

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
