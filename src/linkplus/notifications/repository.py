"""All SQL of the notifications domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.db import PurgeBudget, Purged, delete_in_batches
from linkplus.models.accounts import Account
from linkplus.models.notifications import (
    Notification,
    NotificationPreference,
    OutboundEmail,
    OutboundEmailAttachment,
    PushSubscription,
)

# --- accounts (shared model, read only) ------------------------------------------------------


async def account_email(session: AsyncSession, account_id: uuid.UUID) -> str | None:
    """The account's current address: mail goes where the owner reads it today."""
    account = await session.get(Account, account_id)
    return account.email if account is not None else None


async def account_emails(
    session: AsyncSession, account_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """``account_email`` for several accounts in one statement."""
    if not account_ids:
        return {}
    rows = await session.execute(
        select(Account.id, Account.email).where(Account.id.in_(list(set(account_ids))))
    )
    return dict(rows.all())


# --- inbox -----------------------------------------------------------------------------------


async def add_notification(session: AsyncSession, notification: Notification) -> Notification:
    session.add(notification)
    await session.flush()
    return notification


async def get_notification(
    session: AsyncSession, notification_id: uuid.UUID
) -> Notification | None:
    return await session.get(Notification, notification_id)


async def get_account_notification(
    session: AsyncSession, *, account_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification | None:
    return await session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.account_id == account_id
        )
    )


async def list_notifications(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    unread_only: bool,
    limit: int,
    before: datetime | None,
    before_id: uuid.UUID | None,
) -> list[Notification]:
    """Newest first; ``id`` breaks ties so that a page boundary never skips an entry."""
    stmt = select(Notification).where(Notification.account_id == account_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    if before is not None:
        if before_id is None:
            stmt = stmt.where(Notification.created_at < before)
        else:
            stmt = stmt.where(
                or_(
                    Notification.created_at < before,
                    and_(Notification.created_at == before, Notification.id < before_id),
                )
            )
    stmt = stmt.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    return list((await session.scalars(stmt)).all())


async def count_unread(session: AsyncSession, *, account_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.account_id == account_id, Notification.read_at.is_(None))
    )
    return int(count or 0)


async def mark_all_read(session: AsyncSession, *, account_id: uuid.UUID, now: datetime) -> int:
    result = await session.execute(
        update(Notification)
        .where(Notification.account_id == account_id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- preferences -----------------------------------------------------------------------------


async def list_preferences(
    session: AsyncSession, *, account_id: uuid.UUID
) -> list[NotificationPreference]:
    stmt = select(NotificationPreference).where(NotificationPreference.account_id == account_id)
    return list((await session.scalars(stmt)).all())


async def get_preference(
    session: AsyncSession, *, account_id: uuid.UUID, category: str
) -> NotificationPreference | None:
    return await session.get(NotificationPreference, (account_id, category))


async def preferences_of(
    session: AsyncSession, account_ids: Sequence[uuid.UUID], categories: Sequence[str]
) -> dict[tuple[uuid.UUID, str], NotificationPreference]:
    """The stored preferences of several accounts for ``categories``, by (account, category)."""
    if not account_ids or not categories:
        return {}
    stmt = select(NotificationPreference).where(
        NotificationPreference.account_id.in_(list(set(account_ids))),
        NotificationPreference.category.in_(list(set(categories))),
    )
    return {(row.account_id, row.category): row for row in (await session.scalars(stmt)).all()}


async def save_preference(session: AsyncSession, preference: NotificationPreference) -> None:
    session.add(preference)
    await session.flush()


# --- e-mail outbox ---------------------------------------------------------------------------


async def add_email(session: AsyncSession, email: OutboundEmail) -> OutboundEmail:
    session.add(email)
    await session.flush()
    return email


async def add_all(
    session: AsyncSession, notifications: Sequence[Notification], emails: Sequence[OutboundEmail]
) -> None:
    """Inbox entries and outbox e-mails in one flush (one multi-row INSERT per table)."""
    session.add_all([*notifications, *emails])
    await session.flush()


async def emails_by_ids(
    session: AsyncSession, email_ids: Sequence[uuid.UUID]
) -> list[OutboundEmail]:
    if not email_ids:
        return []
    stmt = select(OutboundEmail).where(OutboundEmail.id.in_(list(set(email_ids))))
    return list((await session.scalars(stmt)).all())


async def count_delivery_attempts(session: AsyncSession, email_ids: Sequence[uuid.UUID]) -> None:
    if not email_ids:
        return
    await session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id.in_(list(email_ids)))
        .values(attempts=OutboundEmail.attempts + 1)
        .execution_options(synchronize_session=False)
    )


async def mark_emails_sent(
    session: AsyncSession, email_ids: Sequence[uuid.UUID], *, now: datetime
) -> None:
    if not email_ids:
        return
    await session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id.in_(list(email_ids)), OutboundEmail.sent_at.is_(None))
        .values(sent_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )


async def get_email(session: AsyncSession, email_id: uuid.UUID) -> OutboundEmail | None:
    return await session.get(OutboundEmail, email_id)


async def add_attachments(
    session: AsyncSession, attachments: list[OutboundEmailAttachment]
) -> None:
    session.add_all(attachments)
    await session.flush()


async def attachments_of(
    session: AsyncSession, email_id: uuid.UUID
) -> list[OutboundEmailAttachment]:
    stmt = (
        select(OutboundEmailAttachment)
        .where(OutboundEmailAttachment.email_id == email_id)
        .order_by(OutboundEmailAttachment.position)
    )
    return list((await session.scalars(stmt)).all())


async def count_delivery_attempt(session: AsyncSession, email_id: uuid.UUID) -> None:
    await session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == email_id)
        .values(attempts=OutboundEmail.attempts + 1)
        .execution_options(synchronize_session=False)
    )


async def record_delivery_failure(session: AsyncSession, email_id: uuid.UUID, error: str) -> None:
    await session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == email_id)
        .values(last_error=error)
        .execution_options(synchronize_session=False)
    )


async def mark_email_sent(session: AsyncSession, email_id: uuid.UUID, *, now: datetime) -> None:
    await session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == email_id, OutboundEmail.sent_at.is_(None))
        .values(sent_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )


async def latest_emails(session: AsyncSession, *, limit: int) -> list[OutboundEmail]:
    stmt = (
        select(OutboundEmail)
        .order_by(OutboundEmail.created_at.desc(), OutboundEmail.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


# --- push subscriptions ----------------------------------------------------------------------


async def get_push_subscription_by_endpoint(
    session: AsyncSession, endpoint: str
) -> PushSubscription | None:
    return await session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    )


async def get_push_subscription(
    session: AsyncSession, subscription_id: uuid.UUID
) -> PushSubscription | None:
    return await session.get(PushSubscription, subscription_id)


async def add_push_subscription(
    session: AsyncSession, subscription: PushSubscription
) -> PushSubscription:
    session.add(subscription)
    await session.flush()
    return subscription


async def list_push_subscriptions(
    session: AsyncSession, *, account_id: uuid.UUID
) -> list[PushSubscription]:
    stmt = (
        select(PushSubscription)
        .where(PushSubscription.account_id == account_id)
        .order_by(PushSubscription.created_at, PushSubscription.id)
    )
    return list((await session.scalars(stmt)).all())


async def has_push_subscriptions(session: AsyncSession, *, account_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(PushSubscription.id).where(PushSubscription.account_id == account_id).limit(1)
    )
    return found is not None


async def accounts_with_push(
    session: AsyncSession, account_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of the accounts have at least one push subscription."""
    if not account_ids:
        return set()
    found = await session.scalars(
        select(PushSubscription.account_id)
        .where(PushSubscription.account_id.in_(list(set(account_ids))))
        .distinct()
    )
    return set(found.all())


async def delete_push_subscription(session: AsyncSession, *, subscription_id: uuid.UUID) -> None:
    await session.execute(
        delete(PushSubscription)
        .where(PushSubscription.id == subscription_id)
        .execution_options(synchronize_session="fetch")
    )


async def delete_account_push_subscription(
    session: AsyncSession, *, account_id: uuid.UUID, endpoint: str
) -> bool:
    result = await session.execute(
        delete(PushSubscription)
        .where(PushSubscription.account_id == account_id, PushSubscription.endpoint == endpoint)
        .execution_options(synchronize_session="fetch")
    )
    return bool(getattr(result, "rowcount", 0))


# --- the owner's data export (notifications.data_export) ---


async def export_rows(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Sequence[object]]:
    """The inbox, the e-mails sent to the account (with their attachments), its browsers'
    push subscriptions and its preferences."""
    inbox = (
        await session.scalars(
            select(Notification)
            .where(Notification.account_id == account_id)
            .order_by(Notification.created_at, Notification.id)
        )
    ).all()
    emails = list(
        (
            await session.scalars(
                select(OutboundEmail)
                .where(OutboundEmail.account_id == account_id)
                .order_by(OutboundEmail.created_at, OutboundEmail.id)
            )
        ).all()
    )
    attachments = (
        await session.scalars(
            select(OutboundEmailAttachment)
            .where(OutboundEmailAttachment.email_id.in_([row.id for row in emails]))
            .order_by(OutboundEmailAttachment.email_id, OutboundEmailAttachment.position)
        )
    ).all()
    pushes = (
        await session.scalars(
            select(PushSubscription)
            .where(PushSubscription.account_id == account_id)
            .order_by(PushSubscription.created_at)
        )
    ).all()
    preferences = (
        await session.scalars(
            select(NotificationPreference)
            .where(NotificationPreference.account_id == account_id)
            .order_by(NotificationPreference.category)
        )
    ).all()
    return {
        "notifications": list(inbox),
        "outbound_emails": emails,
        "outbound_email_attachments": list(attachments),
        "push_subscriptions": list(pushes),
        "notification_preferences": list(preferences),
    }


# --- retention -------------------------------------------------------------------------------


async def delete_notifications_before(
    session: AsyncSession, before: datetime, *, budget: PurgeBudget
) -> Purged:
    return await delete_in_batches(
        session, Notification.id, where=Notification.created_at < before, budget=budget
    )


async def delete_emails_before(
    session: AsyncSession, before: datetime, *, budget: PurgeBudget
) -> Purged:
    """Mail delivered before ``before``, and mail written before it that was never delivered
    (delivery gives up within hours); attachments go with their mail (ON DELETE CASCADE)."""
    old = or_(
        OutboundEmail.sent_at < before,
        and_(OutboundEmail.sent_at.is_(None), OutboundEmail.created_at < before),
    )
    return await delete_in_batches(session, OutboundEmail.id, where=old, budget=budget)


# --- erasure (rights) ------------------------------------------------------------------------


async def erase_car_notifications(
    session: AsyncSession, *, account_id: uuid.UUID, vin: str
) -> None:
    """The account's inbox entries that point at the car."""
    await session.execute(
        delete(Notification).where(
            Notification.account_id == account_id, Notification.link.contains(vin)
        )
    )
    await session.flush()


async def erase_account_messages(
    session: AsyncSession, *, account_id: uuid.UUID, addresses: list[str]
) -> None:
    """The inbox, every e-mail sent to the account or to its addresses (with attachments),
    the push subscriptions and the preferences."""
    mails = select(OutboundEmail.id).where(
        or_(
            OutboundEmail.account_id == account_id,
            func.lower(OutboundEmail.to_address).in_([a.lower() for a in addresses]),
        )
    )
    ids = list((await session.scalars(mails)).all())
    if ids:
        await session.execute(
            delete(OutboundEmailAttachment).where(OutboundEmailAttachment.email_id.in_(ids))
        )
        await session.execute(delete(OutboundEmail).where(OutboundEmail.id.in_(ids)))
    for model in (Notification, PushSubscription, NotificationPreference):
        await session.execute(delete(model).where(model.account_id == account_id))
    await session.flush()
