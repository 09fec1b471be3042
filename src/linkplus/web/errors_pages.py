"""Errors on the web app's own addresses answer an HTML page with a way back.

``linkplus.errors`` turns every refusal, validation failure, HTTP error and unexpected exception
into RFC 9457 problem+json. That is right for the API and wrong for a person in a browser: a
page there must say in plain words what happened and offer a link on. ``install_error_pages``
wraps each of those handlers once, for every route at once: a request for a web address (not the
API, the payment sandbox's API, the health and metrics endpoints or a static file) gets
``error.html`` with the same status and headers; any other request gets exactly the JSON it got
before. A request that asks for JSON or an event stream and not HTML (``Accept``: a script, an
``EventSource``) keeps the JSON everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import cast

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from linkplus.accounts import service as accounts
from linkplus.errors import ProblemError
from linkplus.runtime import Runtime
from linkplus.web.i18n import N_
from linkplus.web.sessions import SESSION_COOKIE, Visitor, render, visitor_without_session

log = structlog.get_logger("linkplus.web.errors")

Handler = Callable[[Request, Exception], Awaitable[Response]]

# Addresses that answer machines, not people: they keep problem+json.
MACHINE_PREFIXES = ("/api/", "/sandbox-pay/v1/", "/static/")
MACHINE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
MACHINE_SUFFIXES = (".json", ".geojson", ".webmanifest", ".js")
"""Addresses that name a data file (the map's GeoJSON, the manifest): read by scripts and the
browser itself, never as a page, whatever their ``Accept`` says."""

_CAR_PATH = re.compile(r"^/vehicle/([A-Za-z0-9]{1,32})(/|$)")
# Answers that may mean the car itself is not the caller's to see (or an address under it that
# nobody serves): going back to it could fail again, so they lead to My Garage.
_CAR_GONE = frozenset({"vehicle_not_found", "no_such_address"})

TITLES = {
    400: N_("This request cannot be carried out"),
    401: N_("Sign-in needed"),
    403: N_("Not allowed"),
    404: N_("Page not found"),
    405: N_("This page cannot be opened this way"),
    409: N_("Not possible right now"),
    413: N_("Too much was sent"),
    422: N_("Some values are not valid"),
    429: N_("Too many requests"),
    500: N_("Something went wrong on our side"),
    502: N_("A partner service refused the request"),
    503: N_("A partner service cannot be reached"),
}
MESSAGES = {
    404: N_("There is nothing at this address."),  # the words of every "not yours" 404, too
    405: N_("This page cannot be opened this way. Use the buttons on the page instead."),
    422: N_("Some values in the address are not valid. Go back and use the links on the page."),
    500: N_(
        "The error has been logged. Try again in a moment; if it keeps happening, contact support."
    ),
}


def wants_page(request: Request) -> bool:
    """Whether this request is for a page a person reads (else: problem+json as before)."""
    path = request.url.path
    if (
        path in MACHINE_PATHS
        or path.startswith(MACHINE_PREFIXES)
        or path.endswith(MACHINE_SUFFIXES)
    ):
        return False
    if "json" in request.headers.get("content-type", "").lower():
        return False  # a script sent JSON, so it reads JSON back
    accept = request.headers.get("accept", "").lower()
    machine = "json" in accept or "text/event-stream" in accept  # a script, an EventSource
    return not (machine and "text/html" not in accept)


@dataclass(frozen=True)
class WayBack:
    href: str
    label: str


def way_back(path: str, *, signed_in: bool, code: str) -> WayBack:
    """Where the page sends the visitor: the car, My Garage, the console's start, or sign-in."""
    if path.startswith("/console"):
        return WayBack("/console", N_("Back to the staff console"))
    if path.startswith("/police/"):
        return WayBack("/", N_("Go to the linkplus start page"))
    if not signed_in:
        return WayBack("/signin", N_("Sign in"))
    car = _CAR_PATH.match(path)
    if car is not None and car.group(2) == "/" and code not in _CAR_GONE:
        return WayBack(f"/vehicle/{car.group(1)}", N_("Back to the car"))
    return WayBack("/vehicle", N_("Back to My Garage"))


@dataclass(frozen=True)
class Described:
    status: int
    code: str
    message: str
    headers: dict[str, str]


def describe(exc: Exception) -> Described:
    """The status, machine code and plain-words message of an exception, nothing internal."""
    if isinstance(exc, ProblemError):
        return Described(exc.status, exc.code, exc.detail, dict(exc.headers))
    if isinstance(exc, RequestValidationError):
        return Described(422, "invalid_input", _invalid(exc), {})
    if isinstance(exc, StarletteHTTPException):
        status = exc.status_code
        detail = exc.detail if isinstance(exc.detail, str) else ""
        generic = detail in ("", "Not Found", "Method Not Allowed") or status not in TITLES
        message = MESSAGES.get(status, N_("The request was refused.")) if generic else detail
        code = "no_such_address" if status == 404 else "http_error"
        return Described(status, code, message, dict(exc.headers or {}))
    return Described(500, "internal_error", MESSAGES[500], {})


def _invalid(exc: RequestValidationError) -> str:
    """The plain message, with what the first invalid value's own check says (the strict
    parsers' messages tell what is accepted, such as a month's range)."""
    for error in exc.errors():
        said = str(error.get("msg", "")).removeprefix("Value error, ").strip()
        if said and error.get("type") != "missing":
            return f"{MESSAGES[422]} {said.rstrip('.')}."
    return MESSAGES[422]


async def _visitor(request: Request, runtime: Runtime) -> Visitor:
    """The visitor as the page would have seen them; signed out when that cannot be told (the
    error may be the database itself)."""
    fallback = visitor_without_session(request, runtime.settings)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie or request.url.path.startswith(("/console", "/police/")):
        return fallback
    try:
        async with runtime.db.read() as session:
            account = await accounts.account_for_web_session(session, runtime, cookie_token=cookie)
    except Exception:
        log.warning("error_page_visitor_unknown", path=request.url.path)
        return fallback
    if account is None:
        return fallback
    return Visitor(
        account=account,
        session_cookie=cookie,
        csrf_binding=fallback.csrf_binding,
        secret_key=fallback.secret_key,
    )


async def error_page(request: Request, exc: Exception) -> Response:
    runtime = cast(Runtime, request.app.state.runtime)
    described = describe(exc)
    visitor = await _visitor(request, runtime)
    back = way_back(
        request.url.path,
        signed_in=visitor.signed_in,
        code=described.code,
    )
    response = render(
        request,
        visitor,
        "error.html",
        status=described.status,
        title=TITLES.get(described.status, N_("The request was refused")),
        message=described.message,
        status_code=described.status,
        back=back,
    )
    for name, value in described.headers.items():
        response.headers[name] = value
    return response


def _page_or(json_handler: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if not wants_page(request):
            return await json_handler(request, exc)
        if not isinstance(exc, StarletteHTTPException | ProblemError | RequestValidationError):
            log.exception("unhandled_error", path=request.url.path, exc_info=exc)
        return await error_page(request, exc)

    return handle


def install_error_pages(app: FastAPI) -> None:
    """Wrap the problem+json handlers ``linkplus.errors`` installed (call after them)."""
    for exc_class in (ProblemError, RequestValidationError, StarletteHTTPException, Exception):
        json_handler = cast(Handler, app.exception_handlers[exc_class])
        app.add_exception_handler(exc_class, _page_or(json_handler))
