"""Several owners told at once (``notify_many``, the gateway's batch of command results): each
gets the inbox entry and the e-mail ``notify`` would give, the e-mails go out in one job, and
one the relay refuses is retried on its own without holding up or repeating the others."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import select

from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.jobs import Job
from linkplus.models.notifications import Category, OutboundEmail
from linkplus.notifications import service
from linkplus.notifications.schemas import DeliverEmailJob, DeliverEmailsJob
from linkplus.runtime import Runtime
from linkplus.seams.mail import MailTransport
from tests.notifications.support import new_owner
from tests.support import Mailbox


@dataclass
class RefusingFor:
    """The real relay, but refusing mail to one address (a full mailbox at the other end)."""

    relay: MailTransport
    address: str

    async def send(self, message: EmailMessage) -> None:
        if self.address in str(message["To"]):
            raise OSError("451 mailbox busy, try later")
        await self.relay.send(message)


async def jobs_named(runtime: Runtime, name: str) -> list[Job]:
    async with runtime.db.transaction() as session:
        return list((await session.scalars(select(Job).where(Job.name == name))).all())


async def test_owners_told_together_get_their_mail_and_a_refused_one_is_retried_alone(
    runtime: Runtime, worker: Worker, clock: ManualClock, mailbox: Mailbox
) -> None:
    first, second = await new_owner(runtime), await new_owner(runtime)
    notices = [
        service.Notice(
            account_id=who.account.id,
            category=Category.vehicle_alerts,
            kind="remote_command",
            title=f"Car {index}: Lock done",
            body="Your car is locked.",
            link="http://testserver/cars/X",
        )
        for index, who in enumerate((first, second))
    ]
    async with runtime.db.transaction() as session:
        told = await service.notify_many(session, now=clock.now(), notices=notices)
    assert [n.account_id for n in told] == [first.account.id, second.account.id]
    async with runtime.db.transaction() as session:
        for who in (first, second):
            [entry] = await service.inbox(session, account_id=who.account.id)
            assert entry.kind == "remote_command"
    assert len(await jobs_named(runtime, DeliverEmailsJob.task)) == 1  # one job for both

    relay = runtime.mail
    assert relay is not None
    runtime.mail = RefusingFor(relay, second.email)
    assert await worker.run_due() == 1
    assert [str(m["To"]) for m in mailbox.messages] == [first.email]
    async with runtime.db.transaction() as session:
        rows = {e.to_address: e for e in (await session.scalars(select(OutboundEmail))).all()}
    assert rows[first.email].sent_at == clock.now()
    assert rows[second.email].sent_at is None
    assert rows[second.email].last_error is not None
    assert "mailbox busy" in rows[second.email].last_error
    [retry] = await jobs_named(runtime, DeliverEmailJob.task)
    assert retry.payload == {"email_id": str(rows[second.email].id), "attachments": False}
    assert retry.run_at == clock.now() + timedelta(seconds=10)

    runtime.mail = relay  # the other end has room again
    assert await worker.run_due() == 0  # not due yet
    clock.advance(seconds=10)
    assert await worker.run_due() == 1
    clock.advance(timedelta(hours=1))
    assert await worker.run_due() == 0  # nothing left, nobody mailed twice
    assert sorted(str(m["To"]) for m in mailbox.messages) == sorted([first.email, second.email])
    async with runtime.db.transaction() as session:
        sent = await session.get(OutboundEmail, rows[second.email].id)
        assert sent is not None
        assert sent.sent_at is not None
