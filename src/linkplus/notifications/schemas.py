"""Request and response bodies of the notifications API."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from linkplus.jobs import JobPayload
from linkplus.kit.parsing import InputRefused, parse_web_address
from linkplus.models.notifications import Notification

# --- inbox -----------------------------------------------------------------------------------


class NotificationOut(BaseModel):
    id: uuid.UUID
    category: str
    kind: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read: bool
    read_at: datetime | None

    @classmethod
    def of(cls, notification: Notification) -> NotificationOut:
        return cls(
            id=notification.id,
            category=notification.category,
            kind=notification.kind,
            title=notification.title,
            body=notification.body,
            link=notification.link,
            created_at=notification.created_at,
            read=notification.read_at is not None,
            read_at=notification.read_at,
        )


class InboxPage(BaseModel):
    """One page, newest first. Pass ``next_before`` and ``next_before_id`` back for the next."""

    items: list[NotificationOut]
    next_before: datetime | None
    next_before_id: uuid.UUID | None


class UnreadCount(BaseModel):
    unread: int


class MarkedRead(BaseModel):
    marked: int


# --- preferences -----------------------------------------------------------------------------


class ChannelChoice(BaseModel):
    """Switch e-mail and/or push for one category; a channel left out keeps its setting."""

    model_config = ConfigDict(extra="forbid")

    email: bool | None = None
    push: bool | None = None


class NotificationPreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Accepted so that switching it off gets a clear answer; it cannot be switched off.
    account: ChannelChoice | None = None
    vehicle_alerts: ChannelChoice | None = None
    billing: ChannelChoice | None = None
    marketing: ChannelChoice | None = None


class CategoryPreferences(BaseModel):
    email: bool
    push: bool
    inbox: bool = True  # every notification is kept in the inbox
    required: bool = False  # security and account messages: cannot be switched off


class NotificationPreferencesOut(BaseModel):
    account: CategoryPreferences
    vehicle_alerts: CategoryPreferences
    billing: CategoryPreferences
    marketing: CategoryPreferences


# --- push ------------------------------------------------------------------------------------


def _b64url_bytes(value: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("must be base64url text") from exc


class PushSubscriptionKeys(BaseModel):
    model_config = ConfigDict(extra="forbid")

    p256dh: str = Field(min_length=80, max_length=200)
    auth: str = Field(min_length=16, max_length=100)

    @field_validator("p256dh")
    @classmethod
    def _public_key(cls, value: str) -> str:
        raw = _b64url_bytes(value)
        if len(raw) != 65 or raw[0] != 4:
            raise ValueError("must be the browser's P-256 public key (65 bytes, base64url)")
        return value

    @field_validator("auth")
    @classmethod
    def _auth_secret(cls, value: str) -> str:
        if len(_b64url_bytes(value)) != 16:
            raise ValueError("must be the browser's 16-byte auth secret (base64url)")
        return value


class PushSubscriptionIn(BaseModel):
    """What the browser's ``PushSubscription.toJSON()`` gives; send it unchanged."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    endpoint: str = Field(max_length=1000)
    keys: PushSubscriptionKeys
    expiration_time: int | None = Field(default=None, alias="expirationTime")

    @field_validator("endpoint")
    @classmethod
    def _push_service_url(cls, value: str) -> str:
        """Only public HTTPS push services: the server will POST to this address."""
        try:
            address = parse_web_address(value, field="endpoint", schemes=("https",))
        except InputRefused as refused:
            raise ValueError(
                "must be the https:// address of the browser's push service: " + refused.message
            ) from None
        host = address.host
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            raise ValueError("must name the push service by host name, not by IP address")
        if "." not in host or host.endswith((".local", ".localhost", ".internal")):
            raise ValueError("must be a public push service address")
        # Kept as the browser wrote it: the browser names the subscription by this exact text.
        return value


class PushSubscriptionOut(BaseModel):
    id: uuid.UUID
    endpoint: str
    created_at: datetime


class PushPublicKey(BaseModel):
    """The VAPID public key: pass it as ``applicationServerKey`` to ``pushManager.subscribe``."""

    public_key: str


# --- job payloads (the tasks are in ``tasks.py``) --------------------------------------------


class DeliverEmailJob(JobPayload):
    """Send one outbox row; ``attachments`` says it has attachment rows to read."""

    task: ClassVar[str] = "notifications.deliver_email"
    max_attempts: ClassVar[int] = 12
    email_id: uuid.UUID
    attachments: bool = False


class DeliverEmailsJob(JobPayload):
    """Send several outbox rows without attachments (the e-mails of one batch of notifications,
    ``service.notify_many``). One that cannot be sent now gets a ``DeliverEmailJob`` of its own,
    retried on its own; the others are not held up by it."""

    task: ClassVar[str] = "notifications.deliver_emails"
    max_attempts: ClassVar[int] = 12
    email_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)


class DeliverPushJob(JobPayload):
    """Push one notification: to every browser of the account (fanned out into one job per
    browser), or to the one ``subscription_id`` names."""

    task: ClassVar[str] = "notifications.deliver_push"
    max_attempts: ClassVar[int] = 6
    notification_id: uuid.UUID
    subscription_id: uuid.UUID | None = None
