"""What makes the web app installable and able to reach the owner: the web app manifest, the
service worker, the offline page it keeps, and the push opt-in's endpoints.

The manifest and the worker are served from the site's root, not from ``/static/``: a worker's
scope is at most the folder it is served from, and the whole site must be in it (the
``Service-Worker-Allowed`` header says so explicitly). The offline page is the same for
everyone (no account, nothing personal) because the worker keeps it on the device.

The push opt-in (``static/push.js``) posts the browser's subscription here with the page's
form token in ``X-CSRF-Token``: the web app signs in with a cookie, while the API's
``/api/v1/push-subscriptions`` wants a bearer token. Both call the same service.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.responses import JSONResponse, Response

from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import Forbidden
from linkplus.notifications import service as notifications
from linkplus.notifications.schemas import PushSubscriptionIn, PushSubscriptionOut
from linkplus.web import csrf
from linkplus.web.sessions import OwnerDep, Visitor, owner_account, render, visitor_without_session

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(__file__).parent / "static"
MANIFEST_TYPE = "application/manifest+json"
# The browser checks for a new worker at most once a day whatever this says; no-cache makes it
# ask every time it checks, so a deployed change reaches the owner on their next visit.
_REVALIDATE = {"Cache-Control": "no-cache"}


class PushTokenRefused(Forbidden):
    code = "csrf_refused"
    title = "The page's token is missing or old"


def _file(name: str) -> bytes:
    return (STATIC_DIR / name).read_bytes()


@router.get("/manifest.webmanifest")
async def manifest() -> Response:
    return Response(_file("manifest.webmanifest"), media_type=MANIFEST_TYPE, headers=_REVALIDATE)


@router.get("/sw.js")
async def service_worker() -> Response:
    return Response(
        _file("sw.js"),
        media_type="text/javascript",
        headers={**_REVALIDATE, "Service-Worker-Allowed": "/"},
    )


@router.get("/offline")
async def offline(request: Request, runtime: RuntimeDep) -> Response:
    visitor = visitor_without_session(request, runtime.settings)
    # Kept by the worker on the device: no cookie of its own (the visitor's form cookie is of
    # no use on a page without forms) and no personal data.
    visitor.new_csrf_cookie = None
    return render(request, visitor, "offline.html")


async def _token_checked(
    visitor: OwnerDep,
    token: Annotated[str | None, Header(alias="X-CSRF-Token")] = None,
) -> Visitor:
    if not csrf.is_valid(visitor.secret_key, visitor.csrf_binding, token):
        raise PushTokenRefused(
            "This page is too old to change your push settings. Reload it and try again."
        )
    return visitor


CheckedOwner = Annotated[Visitor, Depends(_token_checked)]


@router.post("/account/push-subscriptions", status_code=status.HTTP_201_CREATED)
async def subscribe(
    subscription: PushSubscriptionIn,
    visitor: CheckedOwner,
    session: SessionDep,
    runtime: RuntimeDep,
) -> JSONResponse:
    stored = await notifications.subscribe_push(
        session,
        now=runtime.clock.now(),
        account_id=owner_account(visitor).id,
        data=subscription,
    )
    out = PushSubscriptionOut(id=stored.id, endpoint=stored.endpoint, created_at=stored.created_at)
    return JSONResponse(out.model_dump(mode="json"), status_code=status.HTTP_201_CREATED)


@router.delete("/account/push-subscriptions", status_code=status.HTTP_204_NO_CONTENT)
async def unsubscribe(
    visitor: CheckedOwner,
    session: SessionDep,
    endpoint: Annotated[str, Query(max_length=1000, description="the subscription's endpoint")],
) -> Response:
    await notifications.unsubscribe_push(
        session, account_id=owner_account(visitor).id, endpoint=endpoint
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
