"""The five sections of the bottom bar. Vehicle is My Garage (``web.garage_pages``); Map is
``web.map_pages``; Support is ``web.support_pages``; Notifications is the inbox."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import NotFound
from linkplus.notifications import service as notifications
from linkplus.web.map_pages import router as map_router
from linkplus.web.rendering import is_internal_link, see_other
from linkplus.web.sessions import FormDep, OwnerDep, VisitorDep, owner_account, render

router = APIRouter(include_in_schema=False)
router.include_router(map_router)  # the Map section and its data (``web.map_pages``)


@router.get("/")
async def home(visitor: VisitorDep) -> Response:
    if visitor.account is None:
        return see_other("/signin")
    if not visitor.confirmed:
        return see_other("/activation-email")
    return see_other("/vehicle")


@router.get("/notifications")
async def inbox(
    request: Request, visitor: OwnerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    account = owner_account(visitor)
    unread_only = request.query_params.get("show") == "unread"
    entries = await notifications.inbox(session, account_id=account.id, unread_only=unread_only)
    public_url = runtime.settings.public_url
    return render(
        request,
        visitor,
        "notifications.html",
        section="notifications",
        entries=entries,
        unread_only=unread_only,
        safe_link=lambda link: link if is_internal_link(link, public_url) else None,
    )


@router.post("/notifications/read-all")
async def mark_all_read(
    visitor: OwnerDep, _form: FormDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    account = owner_account(visitor)
    await notifications.mark_all_read(session, now=runtime.clock.now(), account_id=account.id)
    return see_other("/notifications", done="all_read")


@router.post("/notifications/{notification_id}/read")
async def mark_read(
    notification_id: str,
    visitor: OwnerDep,
    _form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    account = owner_account(visitor)
    try:
        parsed = uuid.UUID(notification_id)
    except ValueError as exc:
        raise NotFound("There is nothing at this address.") from exc
    await notifications.mark_read(
        session, now=runtime.clock.now(), account_id=account.id, notification_id=parsed
    )
    return see_other("/notifications")
