"""The notifications' tasks: deliver an e-mail from the outbox, push a notification, and the
daily purge of old inbox entries and e-mails.

Both read what they send in a short transaction of their own and talk to the outside world with
no database transaction open: on SQLite an open write transaction would hold the database's only
write lock for as long as a slow relay or push service takes to answer.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import aiosmtplib
import structlog

from linkplus.jobs import JobContext, RetryLater, Schedule, ScheduledRun, enqueue, run_again, task
from linkplus.models.notifications import Notification
from linkplus.notifications import repository, service
from linkplus.notifications.mail import Attachment, OutgoingMail, build_message
from linkplus.notifications.schemas import DeliverEmailJob, DeliverEmailsJob, DeliverPushJob
from linkplus.seams.mail import PushChannel, PushTarget

log = structlog.get_logger("linkplus.notifications")

RETRY_ALONE_AFTER = timedelta(seconds=10)
"""When an e-mail of a ``DeliverEmailsJob`` that the relay refused is tried again, in a job of its
own (then with the worker's back-off)."""


@task()
async def deliver_email(ctx: JobContext, job: DeliverEmailJob) -> None:
    """Send one outbox row. A row already sent is never sent again.

    The attempt count and the last error are written in their own transactions, because a failed
    attempt rolls the job's transaction back (that is what makes the worker retry it).
    """
    transport = ctx.runtime.mail
    if transport is None:
        return
    email_id = job.email_id
    async with ctx.runtime.db.transaction() as session:
        email = await repository.get_email(session, email_id)
        if email is None or email.sent_at is not None:
            return
        await repository.count_delivery_attempt(session, email_id)
        # Only mails queued with attachments have rows to read (the payload says so).
        files = await repository.attachments_of(session, email_id) if job.attachments else []
        outgoing = OutgoingMail(
            message_key=email.id.hex,
            to=email.to_address,
            subject=email.subject,
            text=email.text_body,
            html=email.html_body,
            attachments=[Attachment(f.filename, f.mime_type, f.content) for f in files],
        )
    message = build_message(outgoing, sender=ctx.runtime.settings.mail_from, sent_at=ctx.now)
    try:
        await transport.send(message)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        async with ctx.runtime.db.transaction() as session:
            await repository.record_delivery_failure(session, email_id, reason[:2000])
        if isinstance(exc, aiosmtplib.SMTPException | OSError):
            # The relay is down or refused: expected now and then, retried with back-off.
            raise RetryLater(reason) from exc
        raise
    await repository.mark_email_sent(ctx.session, email_id, now=ctx.now)


@task()
async def deliver_emails(ctx: JobContext, job: DeliverEmailsJob) -> None:
    """Send several outbox rows (none with attachments) one after another, reading and
    counting them together. One the relay does not take now gets a
    ``DeliverEmailJob`` of its own, due ``RETRY_ALONE_AFTER`` later (then retried with the
    worker's back-off); the rest are marked sent. A row already sent is never sent again."""
    transport = ctx.runtime.mail
    if transport is None:
        return
    async with ctx.runtime.db.transaction() as session:
        emails = [
            e for e in await repository.emails_by_ids(session, job.email_ids) if not e.sent_at
        ]
        await repository.count_delivery_attempts(session, [email.id for email in emails])
        outgoing = [
            OutgoingMail(
                message_key=email.id.hex,
                to=email.to_address,
                subject=email.subject,
                text=email.text_body,
                html=email.html_body,
            )
            for email in emails
        ]
    sent: list[uuid.UUID] = []
    failed: list[tuple[uuid.UUID, str]] = []
    for email, mail in zip(emails, outgoing, strict=True):
        message = build_message(mail, sender=ctx.runtime.settings.mail_from, sent_at=ctx.now)
        try:
            await transport.send(message)
        except Exception as exc:  # this one is retried on its own; the others go on
            failed.append((email.id, f"{type(exc).__name__}: {exc}"))
            continue
        sent.append(email.id)
    await repository.mark_emails_sent(ctx.session, sent, now=ctx.now)
    for email_id, reason in failed:
        log.warning("email_delivery_deferred", email_id=str(email_id), error=reason[:200])
        await repository.record_delivery_failure(ctx.session, email_id, reason[:2000])
        await enqueue(
            ctx.session,
            DeliverEmailJob(email_id=email_id),
            now=ctx.now,
            run_at=ctx.now + RETRY_ALONE_AFTER,
            dedupe_key=f"email:{email_id}",
        )


@task()
async def deliver_push(ctx: JobContext, job: DeliverPushJob) -> None:
    """Fan a notification out to the account's browsers: one job per subscription.

    Separate jobs mean that one unreachable push service is retried on its own, and the browsers
    that already got the message do not get it again.
    """
    channel = ctx.runtime.push
    if channel is None:
        return
    if job.subscription_id is None:
        await _fan_out(ctx, job.notification_id)
        return
    await _push_to_one(ctx, channel, job.notification_id, job.subscription_id)


async def _fan_out(ctx: JobContext, notification_id: uuid.UUID) -> None:
    notification = await repository.get_notification(ctx.session, notification_id)
    if notification is None:
        return
    subscriptions = await repository.list_push_subscriptions(
        ctx.session, account_id=notification.account_id
    )
    for subscription in subscriptions:
        await enqueue(
            ctx.session,
            DeliverPushJob(notification_id=notification_id, subscription_id=subscription.id),
            now=ctx.now,
            dedupe_key=f"push:{notification_id}:{subscription.id}",
        )


def push_message(notification: Notification) -> dict[str, Any]:
    """What a browser's service worker receives for a notification (static/sw.js shows it)."""
    return {
        "id": str(notification.id),
        "category": notification.category,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "link": notification.link,
    }


async def _push_to_one(
    ctx: JobContext, channel: PushChannel, notification_id: uuid.UUID, subscription_id: uuid.UUID
) -> None:
    async with ctx.runtime.db.transaction() as session:
        notification = await repository.get_notification(session, notification_id)
        subscription = await repository.get_push_subscription(session, subscription_id)
        if notification is None or subscription is None:
            return
        if subscription.account_id != notification.account_id:
            return  # the browser was handed to another account since: not theirs to see
        target = PushTarget(subscription.endpoint, subscription.p256dh, subscription.auth)
        message = push_message(notification)
    try:
        outcome = await channel.send(target, message)
    except OSError as exc:  # unreachable or timed out (requests' errors are OSErrors too)
        raise RetryLater(f"push service unreachable: {exc}") from exc
    if outcome.gone:
        log.info(
            "push_subscription_gone", subscription_id=str(subscription_id), status=outcome.status
        )
        await repository.delete_push_subscription(ctx.session, subscription_id=subscription_id)


@task("notifications.purge")
async def purge(ctx: JobContext, run: ScheduledRun) -> None:
    report = await service.purge(ctx.session, settings=ctx.runtime.settings, now=ctx.now)
    log.info("notifications_purged", inbox=report.inbox, emails=report.emails, more=report.more)
    if report.more:
        await run_again(ctx, purge)


TASKS = [deliver_email, deliver_emails, deliver_push]
SCHEDULES = [Schedule("notifications.daily_purge", purge, daily_at="03:35")]
