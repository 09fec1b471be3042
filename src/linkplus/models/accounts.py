"""Owner and staff accounts, their sessions and single-use tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base, new_uuid


class Audience(StrEnum):
    owner = "owner"
    staff = "staff"


class StaffRole(StrEnum):
    dealer = "dealer"
    agent = "agent"
    emergency_agent = "emergency_agent"
    svt_agent = "svt_agent"
    supervisor = "supervisor"
    admin = "admin"


class Account(Base):
    """An owner's account: one for the app and the web portal."""

    __tablename__ = "accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    email: Mapped[str] = mapped_column(String(320))
    # Case-folded address: the uniqueness key, so "A@x.com" and "a@x.com" are one account.
    email_key: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))
    language: Mapped[str] = mapped_column(String(35))
    # IANA zone name (``Europe/Berlin``): the app shows times in it.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    phone: Mapped[str | None] = mapped_column(String(20))
    email_confirmed_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class StaffAccount(Base):
    """Dealer and customer-centre staff. Created only by ``linkplus staff create``."""

    __tablename__ = "staff_accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class SignInSession(Base):
    """A signed-in device or browser: one refresh-token family.

    Each refresh rotates the token; presenting a token that was already rotated means it leaked, so
    the whole family is revoked. Access tokens name their session (``sid``) and stop working when
    it is revoked.
    """

    __tablename__ = "sign_in_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    audience: Mapped[str] = mapped_column(String(8))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE")
    )
    staff_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE")
    )
    channel: Mapped[str] = mapped_column(String(8))  # api or web
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (Index("ix_sign_in_sessions_account", "account_id"),)


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sign_in_sessions.id", ondelete="CASCADE"), index=True
    )
    issued_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]


class TokenPurpose(StrEnum):
    activation = "activation"
    password_reset = "password_reset"  # noqa: S105 - a purpose name
    email_change = "email_change"


class AccountToken(Base):
    """A single-use token sent by e-mail. Only its hash is stored."""

    __tablename__ = "account_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(16))
    new_email: Mapped[str | None] = mapped_column(String(320))  # for email_change
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SignInThrottle(Base):
    """Failed sign-ins per e-mail key (whether or not an account exists, so answers match)."""

    __tablename__ = "sign_in_throttles"

    email_key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    failures_in_window: Mapped[int] = mapped_column(default=0)
    # The hour before the current window: the rolling-hour cap looks at both (accounts/throttle).
    previous_window_failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime]
    blocked_until: Mapped[datetime | None]


class RegistrationThrottle(Base):
    """Registrations per client (its IP address, keyed by HMAC): the hourly cap
    (accounts/throttle)."""

    __tablename__ = "registration_throttles"

    client_key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_started_at: Mapped[datetime]
    attempts_in_window: Mapped[int] = mapped_column(default=0)
    previous_window_attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime]


class AddressNotice(Base):
    """When an address's owner was last told that someone used it (registering again, or asking
    to move another account to it): at most one such notice per address per hour.

    Keyed by an HMAC of the normalised address, so the table does not list addresses."""

    __tablename__ = "address_notices"

    email_key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_sent_at: Mapped[datetime]
