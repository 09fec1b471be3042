"""Digital keys: the phone keys of a car (the owner's and invited drivers'), the invitations with
their share codes, and the revocations sent to the car as signed commands."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base, JSONDoc, new_uuid


class KeyRole(StrEnum):
    owner = "owner"  # the primary account's own phone key (one per car)
    full = "full"  # an invited driver without limits (may share on)
    limited = "limited"  # an invited driver with days, hours, validity and a speed cap


class KeyState(StrEnum):
    active = "active"
    revoked = "revoked"


class InviteState(StrEnum):
    open = "open"
    accepted = "accepted"
    cancelled = "cancelled"
    locked = "locked"  # too many wrong share codes


class DigitalKey(Base):
    """One phone key of one car: its public key and the certificate the car's key authority
    signed for it. ``parent_id`` is the key it was shared from (revoking that revokes this)."""

    __tablename__ = "digital_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    vin: Mapped[str] = mapped_column(String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("digital_keys.id", ondelete="SET NULL")
    )
    invite_id: Mapped[uuid.UUID | None]
    role: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(60))
    public_key: Mapped[str] = mapped_column(String(100))
    certificate: Mapped[str] = mapped_column(Text)
    not_before: Mapped[datetime]
    not_after: Mapped[datetime]
    limits: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(16))  # owner, holder, ownership, cascade
    revocation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("key_revocations.id", ondelete="SET NULL")
    )

    __table_args__ = (
        Index("ix_digital_keys_vin_state", "vin", "state"),
        Index("ix_digital_keys_account", "account_id"),
        Index("ix_digital_keys_parent", "parent_id"),
    )


class KeyInvite(Base):
    """An invitation to drive a car: sent by e-mail, accepted by the invitee's own account with
    the share code the inviter passed on by another channel (only its hash is kept)."""

    __tablename__ = "key_invites"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    vin: Mapped[str] = mapped_column(String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"))
    inviter_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("digital_keys.id", ondelete="SET NULL")
    )
    email: Mapped[str] = mapped_column(String(254))
    code_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    limits: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    not_before: Mapped[datetime]
    not_after: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))
    tries: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    accepted_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )

    __table_args__ = (Index("ix_key_invites_vin_state", "vin", "state"),)


class KeyRevocation(Base):
    """Keys withdrawn from a car in one signed ``key_revoke`` command. ``command_id`` is the id
    of the command now on its way (a new one when it had to be sent again); ``confirmed_at`` is
    when the car acknowledged it."""

    __tablename__ = "key_revocations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    vin: Mapped[str] = mapped_column(String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"))
    command_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    key_ids: Mapped[list[str]] = mapped_column(JSONDoc)
    reason: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    confirmed_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_key_revocations_vin", "vin"),)
