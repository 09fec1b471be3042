"""What the digital-key API takes and gives. Every input model refuses unknown fields."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from linkplus.accounts.schemas import Email, TimeZone
from linkplus.jobs import JobPayload
from linkplus.keys.rules import MAX_SPEED_KMH, MIN_SPEED_KMH, SHARE_CODE_LENGTH
from linkplus.kit.parsing import StrictInt, display_text

PUBLIC_KEY_PATTERN = r"^[A-Za-z0-9_-]{87}$"  # 65 bytes, unpadded base64url
CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"

PublicKey = Annotated[
    str,
    Field(
        pattern=PUBLIC_KEY_PATTERN,
        description="The phone's ECDSA P-256 public key: the uncompressed point (65 bytes, "
        "WebCrypto's raw export) in unpadded base64url.",
    ),
]
KeyName = Annotated[str, Field(min_length=1, max_length=60), display_text()]
Clock = Annotated[str, Field(pattern=CLOCK_PATTERN, description="HH:MM, 24-hour")]
Weekday = Annotated[int, StrictInt(1, 7)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OwnerKeyIn(_In):
    public_key: PublicKey
    name: KeyName = "My phone"


class InviteIn(_In):
    """An invitation; the limits apply to ``limited`` only (a full driver has none but the
    validity)."""

    email: Email
    role: Literal["full", "limited"]
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    days: Annotated[list[Weekday], Field(min_length=1, max_length=7)] | None = None
    hours_from: Clock | None = None
    hours_to: Clock | None = None
    time_zone: TimeZone | None = None
    max_speed_kmh: Annotated[int, StrictInt(MIN_SPEED_KMH, MAX_SPEED_KMH)] | None = None


class AcceptIn(_In):
    share_code: Annotated[
        str, Field(min_length=SHARE_CODE_LENGTH, max_length=SHARE_CODE_LENGTH + 2)
    ]
    public_key: PublicKey
    name: KeyName = "My phone"


class LimitsOut(BaseModel):
    days: list[int] | None
    hours_from: str | None
    hours_to: str | None
    time_zone: str
    max_speed_kmh: int | None


class KeyOut(BaseModel):
    id: uuid.UUID
    vin: str
    role: str
    state: Literal["active", "suspended", "revoked"]
    name: str
    holder: str | None = Field(description="The holder's e-mail (the owner's view only).")
    parent_id: uuid.UUID | None
    not_before: datetime
    not_after: datetime
    limits: LimitsOut
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    revocation: Literal["pending", "confirmed"] | None = Field(
        description="For a revoked key: pending until the car acknowledged it, then confirmed."
    )
    confirmed_at: datetime | None
    certificate: str | None = Field(description="The key certificate (the holder's view only).")


class InviteOut(BaseModel):
    id: uuid.UUID
    vin: str
    email: str
    role: str
    state: str
    limits: LimitsOut
    not_before: datetime
    not_after: datetime
    created_at: datetime
    expires_at: datetime


class InviteCreatedOut(InviteOut):
    share_code: str = Field(
        description="Shown once: pass it on by another channel (in person, by phone); the "
        "invitee enters it to accept."
    )


class HandoverOut(BaseModel):
    """The previous owner's keys, revoked when the car changed hands (counted, not listed)."""

    keys: int
    requested_at: datetime
    confirmed_at: datetime | None


class CarKeysOut(BaseModel):
    vin: str
    cap: int
    service_active: bool
    suspended: bool
    keys: list[KeyOut]
    invites: list[InviteOut]
    handover: list[HandoverOut]


class InviteForMeOut(BaseModel):
    """What the invitee sees before accepting."""

    id: uuid.UUID
    model: str
    role: str
    limits: LimitsOut
    not_before: datetime
    not_after: datetime
    expires_at: datetime
    state: str


# --- job payloads (the tasks are in ``tasks.py``) --------------------------------------------


class SendRevocationJob(JobPayload):
    """Sign and publish a revocation's ``key_revoke`` command; retried while the broker is away,
    and due again ``RESEND_AFTER`` after a send the car has not confirmed."""

    task: ClassVar[str] = "keys.send_revocation"
    max_attempts: ClassVar[int] = 1000
    revocation_id: uuid.UUID
