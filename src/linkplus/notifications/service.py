"""Notifications: the inbox, the e-mail outbox, push subscriptions and preferences.

Other domains call ``notify`` (an owner should learn about something) and ``queue_email`` (a
message to an address, such as an activation link). Both only write rows and queue jobs in the
caller's transaction: nothing leaves the platform unless that transaction commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.config import Settings
from linkplus.db import PurgeBudget
from linkplus.jobs import JobPayload, enqueue, enqueue_many
from linkplus.kit.clock import utc
from linkplus.models.notifications import (
    Category,
    Notification,
    NotificationPreference,
    OutboundEmail,
    OutboundEmailAttachment,
    PushSubscription,
)
from linkplus.notifications import preferences, repository
from linkplus.notifications.errors import (
    NotificationNotFound,
    PushNotConfigured,
    PushSubscriptionNotFound,
)
from linkplus.notifications.mail import Attachment
from linkplus.notifications.push import vapid_public_key
from linkplus.notifications.schemas import (
    CategoryPreferences,
    DeliverEmailJob,
    DeliverEmailsJob,
    DeliverPushJob,
    NotificationPreferencesIn,
    NotificationPreferencesOut,
    PushSubscriptionIn,
)

MAX_PAGE = 100
_EMAILS_PER_JOB = 500
_TITLE_MAX = 200
_KIND_MAX = 64
_SUBJECT_MAX = 300

_CATEGORY_NAMES = {
    Category.account: "account",
    Category.vehicle_alerts: "vehicle alert",
    Category.billing: "billing",
    Category.marketing: "news and offers",
}

# --- e-mail ----------------------------------------------------------------------------------


async def queue_email(
    session: AsyncSession,
    *,
    now: datetime,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    account_id: uuid.UUID | None = None,
    category: Category = Category.account,
    attachments: Sequence[Attachment] = (),
) -> OutboundEmail:
    """Put a message in the outbox and queue its delivery (after the caller's commit).

    Attachments are stored with the message, so every delivery attempt sends the same files.
    """
    address = _single_address(to)
    email = await repository.add_email(
        session,
        OutboundEmail(
            account_id=account_id,
            to_address=address,
            # Header values cannot hold line breaks; a subject is one line.
            subject=_shorten(" ".join(subject.split()), _SUBJECT_MAX),
            text_body=text,
            html_body=html,
            category=category.value,
            created_at=now,
            attempts=0,
        ),
    )
    if attachments:
        await repository.add_attachments(
            session,
            [
                OutboundEmailAttachment(
                    email_id=email.id,
                    position=position,
                    filename=attachment.filename,
                    mime_type=attachment.mime_type,
                    content=attachment.content,
                )
                for position, attachment in enumerate(attachments)
            ],
        )
    await enqueue(
        session,
        DeliverEmailJob(email_id=email.id, attachments=bool(attachments)),
        now=now,
        dedupe_key=f"email:{email.id}",
    )
    return email


async def outbox(session: AsyncSession, *, limit: int = 50) -> list[OutboundEmail]:
    """The newest e-mails, sent or not: what the demo's /dev/mailbox shows."""
    return await repository.latest_emails(session, limit=_page_size(limit))


async def get_outbound_email(session: AsyncSession, *, email_id: uuid.UUID) -> OutboundEmail | None:
    """One e-mail of the outbox, however old: /dev/mailbox links stay valid past the first page."""
    return await repository.get_email(session, email_id)


# --- inbox -----------------------------------------------------------------------------------


async def notify(
    session: AsyncSession,
    *,
    now: datetime,
    account_id: uuid.UUID,
    category: Category,
    kind: str,
    title: str,
    body: str,
    link: str | None = None,
) -> Notification:
    """Tell an owner: always in the inbox, by e-mail and push as their preferences say."""
    if len(kind) > _KIND_MAX:
        raise ValueError(f"notification kind longer than {_KIND_MAX} characters: {kind!r}")
    address = await repository.account_email(session, account_id)
    if address is None:
        raise LookupError(f"no account {account_id}")
    notification = await repository.add_notification(
        session,
        Notification(
            account_id=account_id,
            category=category.value,
            kind=kind,
            title=_shorten(title, _TITLE_MAX),
            body=body,
            link=link,
            created_at=now,
            read_at=None,
        ),
    )
    channels = await _channels(session, account_id, category)
    if channels.email:
        await queue_email(
            session,
            now=now,
            to=address,
            subject=title,
            text=_email_text(category, body, link),
            account_id=account_id,
            category=category,
        )
    if channels.push and await repository.has_push_subscriptions(session, account_id=account_id):
        await enqueue(
            session,
            DeliverPushJob(notification_id=notification.id),
            now=now,
            dedupe_key=f"push:{notification.id}",
        )
    return notification


@dataclass(frozen=True)
class Notice:
    """One message for ``notify_many``: ``notify``'s arguments but the time."""

    account_id: uuid.UUID
    category: Category
    kind: str
    title: str
    body: str
    link: str | None = None


async def notify_many(
    session: AsyncSession, *, now: datetime, notices: Sequence[Notice]
) -> list[Notification]:
    """``notify`` for several notices at once (the owners' messages of one gateway batch), in the
    same number of statements however many there are: the accounts' addresses, their
    preferences and push subscriptions are read together, the inbox entries and e-mails are
    written together, and the e-mails go out with one delivery job (``DeliverEmailsJob``). An
    account that no longer exists is skipped (its car answered after it was erased)."""
    if not notices:
        return []
    for notice in notices:
        if len(notice.kind) > _KIND_MAX:
            raise ValueError(f"notification kind longer than {_KIND_MAX} characters")
    accounts = [notice.account_id for notice in notices]
    addresses = await repository.account_emails(session, accounts)
    stored = await repository.preferences_of(
        session, accounts, [notice.category.value for notice in notices]
    )
    with_push = await repository.accounts_with_push(session, accounts)
    notifications: list[Notification] = []
    emails: list[OutboundEmail] = []
    pushed: list[Notification] = []
    for notice in notices:
        address = addresses.get(notice.account_id)
        if address is None:
            continue
        notification = Notification(
            id=uuid.uuid4(),
            account_id=notice.account_id,
            category=notice.category.value,
            kind=notice.kind,
            title=_shorten(notice.title, _TITLE_MAX),
            body=notice.body,
            link=notice.link,
            created_at=now,
            read_at=None,
        )
        notifications.append(notification)
        row = stored.get((notice.account_id, notice.category.value))
        channels = preferences.effective(
            notice.category,
            None if row is None else preferences.Channels(email=row.email, push=row.push),
        )
        if channels.email:
            emails.append(
                OutboundEmail(
                    id=uuid.uuid4(),
                    account_id=notice.account_id,
                    to_address=_single_address(address),
                    subject=_shorten(" ".join(notice.title.split()), _SUBJECT_MAX),
                    text_body=_email_text(notice.category, notice.body, notice.link),
                    html_body=None,
                    category=notice.category.value,
                    created_at=now,
                    attempts=0,
                )
            )
        if channels.push and notice.account_id in with_push:
            pushed.append(notification)
    await repository.add_all(session, notifications, emails)
    jobs: list[tuple[JobPayload, str]] = [
        (DeliverPushJob(notification_id=n.id), f"push:{n.id}") for n in pushed
    ]
    for start in range(0, len(emails), _EMAILS_PER_JOB):
        chunk = [email.id for email in emails[start : start + _EMAILS_PER_JOB]]
        jobs.append((DeliverEmailsJob(email_ids=chunk), f"emails:{chunk[0]}"))
    await enqueue_many(session, jobs, now=now)
    return notifications


async def inbox(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    unread_only: bool = False,
    limit: int = 50,
    before: datetime | None = None,
    before_id: uuid.UUID | None = None,
) -> list[Notification]:
    """Newest first. For the next page pass the last entry's ``created_at`` and ``id``."""
    return await repository.list_notifications(
        session,
        account_id=account_id,
        unread_only=unread_only,
        limit=_page_size(limit),
        before=None if before is None else utc(before),
        before_id=before_id,
    )


async def unread_count(session: AsyncSession, *, account_id: uuid.UUID) -> int:
    return await repository.count_unread(session, account_id=account_id)


async def mark_read(
    session: AsyncSession, *, now: datetime, account_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification:
    notification = await repository.get_account_notification(
        session, account_id=account_id, notification_id=notification_id
    )
    if notification is None:
        raise NotificationNotFound("This notification does not exist. Reload your inbox.")
    if notification.read_at is None:
        notification.read_at = now
        await session.flush()
    return notification


async def mark_all_read(session: AsyncSession, *, now: datetime, account_id: uuid.UUID) -> int:
    return await repository.mark_all_read(session, account_id=account_id, now=now)


# --- preferences -----------------------------------------------------------------------------


async def get_preferences(
    session: AsyncSession, *, account_id: uuid.UUID
) -> NotificationPreferencesOut:
    stored = {
        row.category: preferences.Channels(email=row.email, push=row.push)
        for row in await repository.list_preferences(session, account_id=account_id)
    }
    shown: dict[str, CategoryPreferences] = {}
    for category in Category:
        channels = preferences.effective(category, stored.get(category.value))
        shown[category.value] = CategoryPreferences(
            email=channels.email, push=channels.push, required=category in preferences.REQUIRED
        )
    return NotificationPreferencesOut.model_validate(shown)


async def set_preferences(
    session: AsyncSession, *, account_id: uuid.UUID, changes: NotificationPreferencesIn
) -> NotificationPreferencesOut:
    """Apply the switches given; refuses the whole change if it would silence account mail."""
    planned: list[tuple[Category, NotificationPreference | None, preferences.Channels]] = []
    for category in Category:
        choice = getattr(changes, category.value)
        if choice is None:
            continue
        row = await repository.get_preference(
            session, account_id=account_id, category=category.value
        )
        current = preferences.effective(
            category, None if row is None else preferences.Channels(row.email, row.push)
        )
        wanted = preferences.changed(category, current, email=choice.email, push=choice.push)
        planned.append((category, row, wanted))
    # Written only once every category is known to be acceptable.
    for category, row, wanted in planned:
        if category in preferences.REQUIRED:
            continue  # nothing to store: required categories always use their defaults
        if row is None:
            row = NotificationPreference(account_id=account_id, category=category.value)
        row.email, row.push = wanted.email, wanted.push
        await repository.save_preference(session, row)
    return await get_preferences(session, account_id=account_id)


async def _channels(
    session: AsyncSession, account_id: uuid.UUID, category: Category
) -> preferences.Channels:
    row = await repository.get_preference(session, account_id=account_id, category=category.value)
    stored = None if row is None else preferences.Channels(email=row.email, push=row.push)
    return preferences.effective(category, stored)


# --- push ------------------------------------------------------------------------------------


def push_public_key(settings: Settings) -> str:
    if not settings.vapid_private_key:
        raise PushNotConfigured(
            "This server does not send push notifications. You will still find every "
            "notification in your inbox, and by e-mail if you switched that on."
        )
    return vapid_public_key(settings.vapid_private_key)


async def subscribe_push(
    session: AsyncSession, *, now: datetime, account_id: uuid.UUID, data: PushSubscriptionIn
) -> PushSubscription:
    """Store a browser's subscription. A browser is one endpoint: whoever subscribed last owns it
    (a shared computer where someone else signs in must not keep showing the first person's
    notifications)."""
    subscription = await repository.get_push_subscription_by_endpoint(session, data.endpoint)
    if subscription is None:
        subscription = PushSubscription(
            account_id=account_id,
            endpoint=data.endpoint,
            p256dh=data.keys.p256dh,
            auth=data.keys.auth,
            created_at=now,
        )
    else:
        subscription.account_id = account_id
        subscription.p256dh, subscription.auth = data.keys.p256dh, data.keys.auth
    return await repository.add_push_subscription(session, subscription)


async def unsubscribe_push(session: AsyncSession, *, account_id: uuid.UUID, endpoint: str) -> None:
    deleted = await repository.delete_account_push_subscription(
        session, account_id=account_id, endpoint=endpoint
    )
    if not deleted:
        raise PushSubscriptionNotFound(
            "This browser is not subscribed to your notifications; nothing to remove."
        )


# --- helpers ---------------------------------------------------------------------------------


def _page_size(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE))


def _single_address(to: str) -> str:
    address = to.strip()
    if "\r" in address or "\n" in address or address.count("@") != 1:
        raise ValueError(f"not a single e-mail address: {to!r}")
    return address


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _email_text(category: Category, body: str, link: str | None) -> str:
    """The notification as an e-mail: the message, its link when one can be opened from a mail
    program, and why the owner gets it."""
    lines = [body]
    if link and link.startswith(("https://", "http://")):
        lines += ["", link]
    lines += ["", "--"]
    if category in preferences.REQUIRED:
        lines.append("This message is about your linkplus account and is always sent.")
    else:
        lines.append(
            f"You get this e-mail because {_CATEGORY_NAMES[category]} e-mails are switched on. "
            "You can switch them off under Account > Notifications."
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class NotificationsPurge:
    inbox: int
    emails: int
    more: bool


async def purge(session: AsyncSession, *, settings: Settings, now: datetime) -> NotificationsPurge:
    """Inbox entries older than ``notification_retention_days`` and e-mails older than
    ``sent_email_retention_days`` (docs/privacy.md); idempotent, it deletes by age."""
    budget = PurgeBudget.of(settings)
    inbox = await repository.delete_notifications_before(
        session, now - timedelta(days=settings.notification_retention_days), budget=budget
    )
    emails = await repository.delete_emails_before(
        session, now - timedelta(days=settings.sent_email_retention_days), budget=budget
    )
    return NotificationsPurge(inbox=inbox.rows, emails=emails.rows, more=inbox.more or emails.more)
