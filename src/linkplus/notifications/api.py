"""Owner API: the inbox, notification preferences and Web Push subscriptions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from linkplus.auth.deps import CurrentOwner
from linkplus.deps import NowDep, RuntimeDep, SessionDep
from linkplus.errors import problem_responses
from linkplus.notifications import service
from linkplus.notifications.schemas import (
    InboxPage,
    MarkedRead,
    NotificationOut,
    NotificationPreferencesIn,
    NotificationPreferencesOut,
    PushPublicKey,
    PushSubscriptionIn,
    PushSubscriptionOut,
    UnreadCount,
)

# A push subscription or key that is not there (404).
router = APIRouter(tags=["notifications"], responses=problem_responses(404))


@router.get("/notifications", response_model=InboxPage)
async def list_notifications(
    owner: CurrentOwner,
    session: SessionDep,
    unread: bool = False,
    before: Annotated[
        datetime | None, Query(description="next_before of the previous page")
    ] = None,
    before_id: Annotated[
        uuid.UUID | None, Query(description="next_before_id of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
) -> InboxPage:
    items = await service.inbox(
        session,
        account_id=owner.id,
        unread_only=unread,
        limit=limit,
        before=before,
        before_id=before_id,
    )
    more = len(items) == limit
    return InboxPage(
        items=[NotificationOut.of(item) for item in items],
        next_before=items[-1].created_at if more else None,
        next_before_id=items[-1].id if more else None,
    )


@router.get("/notifications/unread-count", response_model=UnreadCount)
async def count_unread(owner: CurrentOwner, session: SessionDep) -> UnreadCount:
    return UnreadCount(unread=await service.unread_count(session, account_id=owner.id))


@router.post("/notifications/read-all", response_model=MarkedRead)
async def read_all(owner: CurrentOwner, session: SessionDep, now: NowDep) -> MarkedRead:
    return MarkedRead(marked=await service.mark_all_read(session, now=now, account_id=owner.id))


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut)
async def read_one(
    notification_id: uuid.UUID, owner: CurrentOwner, session: SessionDep, now: NowDep
) -> NotificationOut:
    notification = await service.mark_read(
        session, now=now, account_id=owner.id, notification_id=notification_id
    )
    return NotificationOut.of(notification)


@router.get("/notifications/preferences", response_model=NotificationPreferencesOut)
async def get_preferences(owner: CurrentOwner, session: SessionDep) -> NotificationPreferencesOut:
    return await service.get_preferences(session, account_id=owner.id)


@router.patch("/notifications/preferences", response_model=NotificationPreferencesOut)
async def change_preferences(
    changes: NotificationPreferencesIn, owner: CurrentOwner, session: SessionDep
) -> NotificationPreferencesOut:
    return await service.set_preferences(session, account_id=owner.id, changes=changes)


@router.post(
    "/push-subscriptions", response_model=PushSubscriptionOut, status_code=status.HTTP_201_CREATED
)
async def subscribe(
    subscription: PushSubscriptionIn, owner: CurrentOwner, session: SessionDep, now: NowDep
) -> PushSubscriptionOut:
    stored = await service.subscribe_push(session, now=now, account_id=owner.id, data=subscription)
    return PushSubscriptionOut(id=stored.id, endpoint=stored.endpoint, created_at=stored.created_at)


@router.delete("/push-subscriptions", status_code=status.HTTP_204_NO_CONTENT)
async def unsubscribe(
    owner: CurrentOwner,
    session: SessionDep,
    endpoint: Annotated[str, Query(max_length=1000, description="the subscription's endpoint")],
) -> Response:
    await service.unsubscribe_push(session, account_id=owner.id, endpoint=endpoint)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/push/public-key", response_model=PushPublicKey)
async def push_public_key(runtime: RuntimeDep) -> PushPublicKey:
    """Public: the browser needs it to subscribe, and it is no secret."""
    return PushPublicKey(public_key=service.push_public_key(runtime.settings))
