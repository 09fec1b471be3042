"""The development mailbox opens any mail of the outbox, not only those on its first page."""

from __future__ import annotations

from datetime import timedelta

import httpx

from linkplus.notifications import service as notifications
from linkplus.runtime import Runtime
from linkplus.web.mailbox import SHOWN


async def test_a_mail_older_than_the_listed_ones_still_opens(
    mailbox_client: httpx.AsyncClient, runtime: Runtime
) -> None:
    now = runtime.clock.now()
    async with runtime.db.transaction() as session:
        old = await notifications.queue_email(
            session,
            now=now - timedelta(hours=1),
            to="first@example.com",
            subject="The very first mail",
            text="Written before all the others.",
        )
        for number in range(SHOWN):
            await notifications.queue_email(
                session, now=now, to="later@example.com", subject=f"Mail {number}", text="Later."
            )
    listing = await mailbox_client.get("/dev/mailbox")
    assert listing.status_code == 200
    assert "Mail 0" in listing.text
    assert f"/dev/mailbox/{old.id}" not in listing.text  # beyond the newest SHOWN
    opened = await mailbox_client.get(f"/dev/mailbox/{old.id}")
    assert opened.status_code == 200, opened.text
    assert "The very first mail" in opened.text
    assert "Written before all the others." in opened.text
    assert (await mailbox_client.get("/dev/mailbox/not-an-id")).status_code == 404
