"""The development mailbox: every e-mail the platform wrote, readable in the browser.

Mounted only when ``settings.dev_mailbox`` is on (the demo), so elsewhere the path does not exist.
Mail is shown as its plain-text part with the links made clickable; the HTML part is never
rendered, so a mail cannot run anything in this page.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from linkplus.deps import SessionDep
from linkplus.errors import NotFound
from linkplus.notifications import service as notifications
from linkplus.web.sessions import VisitorDep, render

router = APIRouter(prefix="/dev/mailbox", include_in_schema=False)
SHOWN = 100  # the most the outbox service hands out at once


@router.get("")
async def mailbox(request: Request, visitor: VisitorDep, session: SessionDep) -> Response:
    mails = await notifications.outbox(session, limit=SHOWN)
    return render(request, visitor, "dev/mailbox.html", mails=mails)


@router.get("/{mail_id}")
async def mail(
    mail_id: str, request: Request, visitor: VisitorDep, session: SessionDep
) -> Response:
    try:
        email_id = uuid.UUID(mail_id)
    except ValueError:
        email_id = None  # not an id at all: answered like an id that is not there
    found = None
    if email_id is not None:
        found = await notifications.get_outbound_email(session, email_id=email_id)
    if found is None:
        raise NotFound("There is no such e-mail in the outbox.")
    return render(request, visitor, "dev/mail.html", mail=found)
