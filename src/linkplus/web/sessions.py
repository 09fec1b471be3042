"""Who is looking at a page: the cookie session, the CSRF binding, and the page guards.

The ``lp_session`` cookie holds the refresh token of a ``channel="web"`` sign-in session; the
accounts service turns it back into an account (or nothing, once revoked or expired). Everything
about cookies lives here so their flags are set in exactly one place.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from linkplus.accounts import service as accounts
from linkplus.config import Settings
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import ProblemError
from linkplus.models.accounts import Account, StaffAccount
from linkplus.web import csrf
from linkplus.web.i18n import DEFAULT_LANGUAGE, Reader
from linkplus.web.notices import notice_for
from linkplus.web.rendering import html_page

SESSION_COOKIE = "lp_session"
STAFF_COOKIE = "lp_staff"  # the console's own session, never the same as an owner's
DAY_SECONDS = 24 * 60 * 60

T = TypeVar("T")

# Pages that are not translated (the staff console, the police link, the developer mailbox):
# English words, so English dates and numbers, whatever the browser asks for.
ENGLISH_ONLY = ("console/", "police/", "dev/")


class SignInNeeded(Exception):  # a redirect signal, not an error
    """The page needs a signed-in owner; the handler sends the browser to the sign-in form."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class ConfirmationNeeded(Exception):  # a redirect signal, not an error
    """Signed in, but the e-mail address is not confirmed: only the confirm page is open."""


class CsrfRefused(Exception):  # answered with a friendly 403 page
    """A form came back without a valid token (an old tab, or another site posting here)."""


@dataclass
class Visitor:
    """The person behind one request, signed in or not, and what their forms must carry."""

    account: Account | None
    session_cookie: str | None
    csrf_binding: str
    secret_key: str
    new_csrf_cookie: str | None = None
    staff: StaffAccount | None = None  # on console pages, the signed-in staff member

    @property
    def signed_in(self) -> bool:
        return self.account is not None

    @property
    def confirmed(self) -> bool:
        return self.account is not None and self.account.email_confirmed_at is not None

    def csrf_token(self) -> str:
        return csrf.issue(self.secret_key, self.csrf_binding)

    def reader(self, request: Request) -> Reader:
        """Whose language and time zone the page speaks: the account's, else the browser's
        language (and UTC)."""
        now = request.app.state.runtime.clock.now()
        if self.account is not None:
            account = self.account
            return Reader.of(account.language, account.time_zone, country=account.country, now=now)
        return Reader.from_browser(request.headers.get("accept-language"), now=now)


def _secure_cookies(settings: Settings) -> bool:
    return settings.public_url.startswith("https://")


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.web_session_days * DAY_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure_cookies(settings),
    )


def set_cookie(response: Response, settings: Settings, name: str, value: str) -> None:
    """Any other cookie of the web app, with the same flags as the session cookie."""
    response.set_cookie(
        name,
        value,
        max_age=settings.web_session_days * DAY_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure_cookies(settings),
    )


def clear_cookie(response: Response, settings: Settings, name: str) -> None:
    response.delete_cookie(
        name, path="/", httponly=True, samesite="lax", secure=_secure_cookies(settings)
    )


def visitor_without_session(request: Request, settings: Settings) -> Visitor:
    """A visitor bound to the random ``lp_csrf`` cookie, made on first sight."""
    existing = request.cookies.get(csrf.CSRF_COOKIE)
    fresh = None
    if not existing or len(existing) > 64:
        existing = fresh = csrf.new_cookie_value()
    return Visitor(
        account=None,
        session_cookie=None,
        csrf_binding=csrf.binding_for_visitor(existing),
        secret_key=settings.resolved_secret_key,
        new_csrf_cookie=fresh,
    )


async def _visitor(request: Request, runtime: RuntimeDep, session: SessionDep) -> Visitor:
    settings = runtime.settings
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        account = await accounts.account_for_web_session(session, runtime, cookie_token=cookie)
        if account is not None:
            request.state.authenticated = True
            return Visitor(
                account=account,
                session_cookie=cookie,
                csrf_binding=csrf.binding_for_session(cookie),
                secret_key=settings.resolved_secret_key,
            )
    return visitor_without_session(request, settings)


VisitorDep = Annotated[Visitor, Depends(_visitor)]


async def _signed_in(request: Request, visitor: VisitorDep) -> Visitor:
    if visitor.account is None:
        raise SignInNeeded(request.url.path)
    return visitor


SignedInDep = Annotated[Visitor, Depends(_signed_in)]


async def _owner(visitor: SignedInDep) -> Visitor:
    if not visitor.confirmed:
        raise ConfirmationNeeded
    return visitor


OwnerDep = Annotated[Visitor, Depends(_owner)]


def owner_account(visitor: Visitor) -> Account:
    """The account of a visitor that passed a sign-in guard."""
    if visitor.account is None:
        raise SignInNeeded("/")
    return visitor.account


async def checked_form(request: Request, visitor: Visitor) -> FormData:
    """The posted form, once its token matches ``visitor``'s cookies."""
    form = await request.form()
    token = form.get(csrf.FIELD)
    if not isinstance(token, str) or not csrf.is_valid(
        visitor.secret_key, visitor.csrf_binding, token
    ):
        raise CsrfRefused
    return form


async def _checked_form(request: Request, visitor: VisitorDep) -> FormData:
    return await checked_form(request, visitor)


FormDep = Annotated[FormData, Depends(_checked_form)]


def render(
    request: Request,
    visitor: Visitor,
    template: str,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page with the visitor's navigation, a fresh CSRF token and the cookies it needs."""
    settings: Settings = request.app.state.runtime.settings
    context.setdefault("section", None)
    context.setdefault("notice", notice_for(request.query_params.get("done")))
    context.setdefault("error", None)
    context.setdefault("errors", {})
    context.setdefault("values", {})
    context["visitor"] = visitor
    context["account"] = visitor.account
    context["show_sections"] = visitor.confirmed
    context["csrf_field"] = csrf.FIELD
    context["csrf_token"] = visitor.csrf_token
    context["dev_mailbox"] = settings.dev_mailbox
    who = visitor.reader(request)
    if template.startswith(ENGLISH_ONLY):
        who = Reader.of(DEFAULT_LANGUAGE, "UTC", now=who.now)
    response = html_page(template, context, status=status, who=who)
    if visitor.new_csrf_cookie:
        set_cookie(response, settings, csrf.CSRF_COOKIE, visitor.new_csrf_cookie)
    return response


async def undo(session: AsyncSession, visitor: Visitor) -> None:
    """Roll back what a refused service call wrote, as the API's request scope does on an error.

    Refusals that must leave a trace (failed sign-ins) are committed by the service before it
    raises, so they survive this. The visitor's rows are reloaded for the page that follows.
    """
    await session.rollback()
    for holder in (visitor.account, visitor.staff):
        if holder is not None:
            await session.refresh(holder)


@dataclass(frozen=True)
class Refused:
    """A service call the web app tried and the service refused, once its writes are undone.

    The page shows ``detail`` with ``status``; ``code`` is there for pages that say something of
    their own for one refusal, ``problem`` for the rare page that needs more (headers, extras).
    """

    problem: ProblemError

    @property
    def status(self) -> int:
        return self.problem.status

    @property
    def detail(self) -> str:
        return self.problem.detail

    @property
    def code(self) -> str:
        return self.problem.code


async def attempt(
    session: AsyncSession,
    visitor: Visitor,
    call: Awaitable[T],
    *,
    let_through: tuple[type[ProblemError], ...] = (),
) -> T | Refused:
    """Await a service ``call`` for a form; on a refusal, :func:`undo` it and say why.

    The value of ``call`` comes back as it is. A :class:`~linkplus.errors.ProblemError` is
    answered with a :class:`Refused` after what the call wrote is rolled back, so the page can
    show the form again with the message. Refusals of the types in ``let_through`` (a car or
    card the caller may not see, answered by the app's 404) are raised on untouched.
    """
    try:
        return await call
    except ProblemError as problem:
        if isinstance(problem, let_through):
            raise
        await undo(session, visitor)
        return Refused(problem)


def form_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def form_secret(form: FormData, name: str) -> str:
    """A password field: taken as typed (spaces count), never echoed back."""
    value = form.get(name)
    return value if isinstance(value, str) else ""
