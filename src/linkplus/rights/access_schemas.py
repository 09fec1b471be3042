"""What the owner sees of the staff access records: never who the staff member was."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class AccessRecordOut(BaseModel):
    at: datetime
    role: str = Field(description="The staff member's role, in words (no name, no id).")
    organisation: str = Field(description="Where they work: dealer, customer centre, ...")
    what: str = Field(description="What they saw (stable code).")
    what_words: str
    reason: str = Field(description="Why (stable code from the list staff choose from).")
    reason_words: str = Field(description="The reason as the owner reads it.")
    automatic: bool = Field(description="True when a safety case the agent held was the reason.")


class AccessRecordPage(BaseModel):
    records: list[AccessRecordOut]
    next_before: int | None = Field(
        description="Pass as 'before' for the next (older) page; null on the last page."
    )
