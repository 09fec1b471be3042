"""E-mail: outbox row first, then delivery by a job to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime

from sqlalchemy import select

from linkplus.jobs import enqueue
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.jobs import Job, JobState
from linkplus.models.notifications import Category, OutboundEmail
from linkplus.notifications import service
from linkplus.notifications.mail import SmtpTransport
from linkplus.notifications.schemas import DeliverEmailJob
from linkplus.runtime import Runtime
from tests.notifications.support import Owner, notify
from tests.servers import free_port
from tests.support import Mailbox


async def queue(runtime: Runtime, **overrides: object) -> OutboundEmail:
    fields: dict[str, object] = {
        "to": "driver@example.com",
        "subject": "Activate your account",
        "text": "Open https://linkplus.example/activate?token=abc to activate.",
    }
    fields.update(overrides)
    async with runtime.db.transaction() as session:
        return await service.queue_email(session, now=runtime.clock.now(), **fields)  # type: ignore[arg-type]


async def stored(runtime: Runtime, email: OutboundEmail) -> OutboundEmail:
    async with runtime.db.transaction() as session:
        row = await session.get(OutboundEmail, email.id)
        assert row is not None
        return row


async def email_jobs(runtime: Runtime) -> list[Job]:
    async with runtime.db.transaction() as session:
        query = select(Job).where(Job.name == DeliverEmailJob.task).order_by(Job.id)
        return list((await session.scalars(query)).all())


async def test_a_queued_mail_arrives_with_proper_headers(
    runtime: Runtime, worker: Worker, mailbox: Mailbox
) -> None:
    email = await queue(runtime, html="<p>Open the <a href='https://x.example'>link</a></p>")
    assert mailbox.messages == []  # nothing leaves before the worker runs

    assert await worker.run_due() == 1

    message = mailbox.last_to("driver@example.com")
    assert str(message["From"]) == runtime.settings.mail_from
    assert str(message["To"]) == "driver@example.com"
    assert str(message["Subject"]) == "Activate your account"
    assert parsedate_to_datetime(str(message["Date"])) == runtime.clock.now()
    assert str(message["Message-ID"]) == f"<{email.id.hex}@linkplus.local>"
    assert message.get_content_type() == "multipart/alternative"
    assert mailbox.link_in(message) == "https://linkplus.example/activate?token=abc"
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert "<a href='https://x.example'>link</a>" in str(html.get_content())
    row = await stored(runtime, email)
    assert row.sent_at == runtime.clock.now()
    assert row.attempts == 1
    assert row.last_error is None


async def test_plain_text_only_mail(runtime: Runtime, worker: Worker, mailbox: Mailbox) -> None:
    await queue(runtime, subject="Line one\nline two")
    await worker.run_due()
    message = mailbox.last_to("driver@example.com")
    assert message.get_content_type() == "text/plain"
    assert str(message["Subject"]) == "Line one line two"  # a header is one line


async def test_nothing_is_sent_when_the_transaction_rolls_back(
    runtime: Runtime, worker: Worker, mailbox: Mailbox
) -> None:
    class Abandon(Exception):
        pass

    try:
        async with runtime.db.transaction() as session:
            await service.queue_email(
                session, now=runtime.clock.now(), to="x@example.com", subject="s", text="t"
            )
            raise Abandon
    except Abandon:
        pass
    assert await worker.run_due() == 0
    assert mailbox.messages == []
    async with runtime.db.transaction() as session:
        assert await service.outbox(session) == []


async def test_relay_down_is_retried_with_back_off_and_delivered_once(
    runtime: Runtime, worker: Worker, clock: ManualClock, mailbox: Mailbox
) -> None:
    working = runtime.mail
    runtime.mail = SmtpTransport.from_url(f"smtp://127.0.0.1:{free_port()}?timeout=5")
    email = await queue(runtime)

    await worker.run_due()

    failed = await stored(runtime, email)
    assert failed.sent_at is None
    assert failed.attempts == 1
    assert failed.last_error
    [job] = await email_jobs(runtime)
    assert job.state == JobState.queued
    assert job.run_at == clock.now() + timedelta(seconds=10)

    runtime.mail = working  # the relay is back
    assert await worker.run_due() == 0  # not due yet: back-off
    assert mailbox.messages == []
    clock.advance(seconds=10)
    assert await worker.run_due() == 1

    assert len(mailbox.to("driver@example.com")) == 1
    delivered = await stored(runtime, email)
    assert delivered.sent_at == clock.now()
    assert delivered.attempts == 2
    assert delivered.last_error is None
    [job] = await email_jobs(runtime)
    assert job.state == JobState.done

    # The job arriving again (a worker that died after sending, an operator's re-run) sends nothing.
    async with runtime.db.transaction() as session:
        await enqueue(session, DeliverEmailJob(email_id=email.id), now=clock.now())
    clock.advance(hours=1)
    assert await worker.run_due() == 1
    assert len(mailbox.to("driver@example.com")) == 1


async def test_outbox_only_mode_keeps_the_mail_for_the_dev_mailbox(
    runtime: Runtime, worker: Worker, clock: ManualClock, mailbox: Mailbox
) -> None:
    runtime.mail = None
    older = await queue(runtime, to="first@example.com")
    clock.advance(minutes=1)
    newer = await queue(runtime, to="second@example.com", category=Category.billing)

    assert await worker.run_due() == 2

    assert mailbox.messages == []
    async with runtime.db.transaction() as session:
        listed = await service.outbox(session)
    assert [e.id for e in listed] == [newer.id, older.id]
    assert [e.sent_at for e in listed] == [None, None]
    assert listed[0].category == "billing"
    assert listed[1].text_body.startswith("Open https://linkplus.example/activate")
    assert all(job.state == JobState.done for job in await email_jobs(runtime))


async def test_a_notification_mail_goes_to_the_accounts_address(
    runtime: Runtime, worker: Worker, mailbox: Mailbox, owner: Owner
) -> None:
    await notify(
        runtime,
        owner,
        title="Charging finished",
        body="Your car is charged to 80 %.",
        link="https://linkplus.example/vehicles/1",
    )
    await worker.run_due()

    message = mailbox.last_to(owner.email)
    assert str(message["Subject"]) == "Charging finished"
    text = mailbox.text(message)
    assert text.startswith("Your car is charged to 80 %.")
    assert mailbox.link_in(message) == "https://linkplus.example/vehicles/1"
    assert "vehicle alert e-mails are switched on" in text
    async with runtime.db.transaction() as session:
        [row] = await service.outbox(session)
    assert row.account_id == owner.account.id
    assert row.category == "vehicle_alerts"
