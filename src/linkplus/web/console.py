"""The staff console: its own sign-in and its own cookie (``lp_staff``).

Staff sessions never share a cookie with owner sessions, so signing in to the console in a
browser where an owner is signed in changes nothing for the owner, and the other way round.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from linkplus.accounts import service as accounts
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.web import csrf
from linkplus.web.rendering import see_other
from linkplus.web.sessions import (
    STAFF_COOKIE,
    Refused,
    Visitor,
    attempt,
    checked_form,
    clear_cookie,
    form_secret,
    form_text,
    render,
    set_cookie,
    visitor_without_session,
)

router = APIRouter(prefix="/console", include_in_schema=False)


async def _console_visitor(request: Request, runtime: RuntimeDep, session: SessionDep) -> Visitor:
    request.state.authenticated = True  # nothing on the console may be cached
    cookie = request.cookies.get(STAFF_COOKIE)
    if cookie:
        staff = await accounts.staff_for_web_session(session, runtime, cookie_token=cookie)
        if staff is not None:
            return Visitor(
                account=None,
                staff=staff,
                session_cookie=cookie,
                csrf_binding=csrf.binding_for_session(cookie),
                secret_key=runtime.settings.resolved_secret_key,
            )
    return visitor_without_session(request, runtime.settings)


ConsoleVisitorDep = Annotated[Visitor, Depends(_console_visitor)]


async def _console_form(request: Request, visitor: ConsoleVisitorDep) -> FormData:
    return await checked_form(request, visitor)


ConsoleFormDep = Annotated[FormData, Depends(_console_form)]


@router.get("")
async def landing(request: Request, visitor: ConsoleVisitorDep) -> Response:
    if visitor.staff is None:
        return see_other("/console/signin")
    return render(request, visitor, "console/landing.html", staff=visitor.staff)


@router.get("/signin")
async def signin_form(request: Request, visitor: ConsoleVisitorDep) -> Response:
    if visitor.staff is not None:
        return see_other("/console")
    return render(request, visitor, "console/signin.html")


@router.post("/signin")
async def signin(
    request: Request,
    visitor: ConsoleVisitorDep,
    form: ConsoleFormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    email = form_text(form, "email")

    async def sign_in() -> accounts.IssuedTokens:
        staff = await accounts.authenticate_staff(
            session, runtime, email=email, password=form_secret(form, "password")
        )
        issued = await accounts.start_staff_session(
            session, runtime, staff, channel="web", user_agent=request.headers.get("user-agent")
        )
        return issued

    outcome = await attempt(session, visitor, sign_in())
    if isinstance(outcome, Refused):
        return render(
            request,
            visitor,
            "console/signin.html",
            values={"email": email},
            error=outcome.detail,
            status=outcome.status,
        )
    response = see_other("/console")
    set_cookie(response, runtime.settings, STAFF_COOKIE, outcome.refresh_token)
    return response


@router.post("/signout")
async def signout(
    visitor: ConsoleVisitorDep, _form: ConsoleFormDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    if visitor.staff is not None and visitor.session_cookie is not None:
        await accounts.end_web_session(session, runtime, cookie_token=visitor.session_cookie)
    response = see_other("/console/signin")
    clear_cookie(response, runtime.settings, STAFF_COOKIE)
    return response
