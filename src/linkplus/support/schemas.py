"""The support API's shapes (inputs refuse unknown fields)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from linkplus.kit.parsing import display_text
from linkplus.support.categories import Category

MESSAGE_MAX = 4000

Message = Annotated[str, Field(min_length=2, max_length=MESSAGE_MAX), display_text(multiline=True)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CategoryOut(BaseModel):
    code: str
    title: str
    hint: str
    names_car: bool
    names_invoice: bool


class CaseIn(_In):
    category: Category
    subject: Annotated[str, Field(min_length=3, max_length=120), display_text()]
    message: Message
    vin: Annotated[str, Field(max_length=17)] | None = None
    invoice_id: uuid.UUID | None = None


class MessageIn(_In):
    message: Message


class MessageOut(BaseModel):
    author: str  # owner, agent
    body: str
    created_at: datetime


class CaseSummaryOut(BaseModel):
    id: uuid.UUID
    reference: str  # what the owner and the agent say on the phone
    category: str
    subject: str
    state: str  # open, answered, closed
    opened_at: datetime
    updated_at: datetime


class CaseOut(CaseSummaryOut):
    vin: str | None
    invoice_number: str | None
    messages: list[MessageOut]


class QueueEntryOut(BaseModel):
    """What the agents' queue shows before a case is opened: nothing of the owner."""

    id: uuid.UUID
    reference: str
    category: str
    state: str
    opened_at: datetime
    updated_at: datetime
    names_car: bool
    names_invoice: bool


class StaffCaseOut(CaseOut):
    account_email: str
    account_name: str
