"""Errors as RFC 9457 problem details with a stable machine ``code``.

Services raise ``ProblemError`` subclasses (each domain's ``errors.py``); the handlers here turn
them, validation failures and unexpected exceptions into ``application/problem+json``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import structlog
from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("linkplus.errors")


class ProblemError(Exception):
    """A refusal the user can act on. ``detail`` says what to do."""

    status: int = 400
    code: str = "bad_request"
    title: str = "The request cannot be carried out"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


class NotFound(ProblemError):
    status = 404
    code = "not_found"
    title = "Not found"


class Unauthorized(ProblemError):
    status = 401
    code = "not_authenticated"
    title = "Sign-in needed"


class Forbidden(ProblemError):
    status = 403
    code = "forbidden"
    title = "Not allowed"


class Conflict(ProblemError):
    status = 409
    code = "conflict"
    title = "Conflict"


class TooManyRequests(ProblemError):
    status = 429
    code = "too_many_requests"
    title = "Too many requests"


class InvalidInput(ProblemError):
    status = 422
    code = "invalid_input"
    title = "Some values are not valid"


_STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
}


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        message = str(err.get("msg", "invalid value"))
        if err.get("type") == "extra_forbidden":
            message = "This field is not accepted here; remove it."
        elif err.get("type") == "json_invalid":
            message = "The body is not valid JSON."
        errors.append({"field": ".".join(loc), "message": message, "type": err.get("type")})
    return errors


BUSY_RETRY_SECONDS = 5


def database_busy(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be had in time, not that anything is wrong:
    SQLite's write lock held by another writer past the busy timeout, or no pooled connection
    free within the pool's timeout. The request's transaction was rolled back: a 503 with
    Retry-After, never a 500."""
    if isinstance(exc, PoolTimeout):
        return True
    if isinstance(exc, OperationalError):
        message = str(exc.orig).lower()
        return "database is locked" in message or "database table is locked" in message
    return False


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem(
            exc.status,
            exc.code,
            exc.title,
            exc.detail,
            instance=request.url.path,
            headers=exc.headers,
            **exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        malformed = any(e["type"] == "json_invalid" for e in errors)
        return problem(
            422,
            "malformed_json" if malformed else "invalid_input",
            "The body is not valid JSON" if malformed else "Some values are not valid",
            "Send a well-formed JSON body."
            if malformed
            else "Correct the fields listed in 'errors' and send the request again.",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else "Request refused."
        if exc.status_code == 404 and detail == "Not Found":
            detail = "There is nothing at this address."
        return problem(
            exc.status_code,
            code,
            code.replace("_", " ").capitalize(),
            detail,
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _database(request: Request, exc: Exception) -> JSONResponse:
        if not database_busy(exc):
            return await _bug(request, exc)
        log.warning("database_busy", path=request.url.path, error=str(exc)[:200])
        return problem(
            503,
            "database_busy",
            "The platform is busy",
            "The database is busy with other work. Nothing was changed: send the request "
            f"again in {BUSY_RETRY_SECONDS} seconds.",
            instance=request.url.path,
            headers={"Retry-After": str(BUSY_RETRY_SECONDS)},
        )

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path)
        return problem(
            500,
            "internal_error",
            "Something went wrong on our side",
            "The error has been logged. Try again later; if it keeps happening, contact support "
            "and quote the request id.",
            instance=request.url.path,
        )


# --- the problems in the OpenAPI ----------------------------------------------------------------


class FieldProblem(BaseModel):
    field: str
    message: str
    type: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details: every refusal and error the API answers has this shape."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    errors: list[FieldProblem] | None = None


_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_DESCRIPTIONS = {
    400: "The request cannot be carried out as sent",
    401: "Sign-in needed, or the token is no longer valid",
    402: "The payment was declined",
    403: "The caller may not do this",
    404: "Nothing here for this caller",
    405: "Not allowed on this resource",
    408: "The request did not arrive in time",
    409: "The request conflicts with the current state",
    413: "The request body is too large",
    422: "Some values are not valid (the offending fields are in 'errors')",
    429: "Too many requests: wait the seconds in Retry-After",
    502: "An outside provider refused the request",
    503: "An outside provider cannot be reached: try again later",
}
# Answers any operation may give: a rate limit may sit in front of any route.
_EVERY_OPERATION = (429,)
# Answers to any operation that takes a body: undecodable (400), too slow (408), too large
# (413), invalid (422).
_WITH_BODY = (400, 408, 413, 422)

_F = TypeVar("_F", bound=Callable[..., Any])


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a router or route: these statuses answer a ``Problem``."""
    return {status: _problem_response(status) for status in statuses}


def raises(*statuses: int) -> Callable[[_F], _F]:
    """Mark a dependency with the problem statuses it answers, so every operation that depends on
    it documents them (authentication: 401; loading a car for the caller: 404; ...)."""

    def mark(dependency: _F) -> _F:
        dependency.__problem_statuses__ = statuses  # type: ignore[attr-defined]
        return dependency

    return mark


def _problem_response(status: int) -> dict[str, Any]:
    return {
        "description": _DESCRIPTIONS.get(status, "The request was refused"),
        "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}},
    }


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


def _route_statuses(route: APIRoute) -> set[int]:
    """The problem statuses an operation can answer, from what it depends on and takes."""
    dependant = route.dependant
    statuses: set[int] = set(_EVERY_OPERATION)
    for sub in [dependant, *_dependencies(dependant)]:
        statuses.update(getattr(sub.call, "__problem_statuses__", ()))
    if route.body_field is not None:
        statuses.update(_WITH_BODY)
    params = [dependant, *_dependencies(dependant)]
    if any(d.path_params or d.query_params or d.header_params or d.cookie_params for d in params):
        statuses.add(422)
    if any(d.path_params for d in params):
        # An id in the path that names nothing this caller may see.
        statuses.add(404)
    return statuses


def _operations(routes: Sequence[BaseRoute]) -> Iterator[tuple[APIRoute, str, str]]:
    """Each documented operation: its route, its full path (with the routers' prefixes) and
    its method."""
    for context in iter_route_contexts(routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.include_in_schema:
            path = str(context.path_format)
            for method in route.methods or ():
                yield route, path, method.lower()


def _absent_is_not_null(parameter: dict[str, Any]) -> None:
    """An optional query, header or path parameter is one the client leaves out: FastAPI writes
    ``X | None`` as ``anyOf: [X, null]``, but a URL or a header cannot carry a JSON null (a
    client would send the text ``null``, which the server rightly refuses)."""
    schema = parameter.get("schema", {})
    choices = schema.get("anyOf")
    if not isinstance(choices, list):
        return
    kept = [choice for choice in choices if choice != {"type": "null"}]
    if len(kept) == len(choices):
        return
    if len(kept) == 1:
        schema.pop("anyOf")
        schema.update({**kept[0], **schema})
    else:
        schema["anyOf"] = kept


def document_problems(app: FastAPI) -> None:
    """Generate the OpenAPI with every problem answer documented: one shared ``Problem`` schema
    and, per operation, the statuses its dependencies, parameters, body and router declare, as
    ``application/problem+json`` (FastAPI's own 422 says ``application/json``, which is not what
    the handlers send)."""

    generated: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if generated:
            return generated
        document = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        components = document.setdefault("components", {}).setdefault("schemas", {})
        problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(problem_schema.pop("$defs", {}))
        components["Problem"] = problem_schema
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        for route, path, method in _operations(app.routes):
            operation = document["paths"][path][method]
            for parameter in operation.get("parameters", []):
                _absent_is_not_null(parameter)
            responses = operation.setdefault("responses", {})
            declared = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
            for status in sorted(_route_statuses(route) | declared):
                responses[str(status)] = _problem_response(status)
        generated.update(document)
        return generated

    app.openapi = openapi  # type: ignore[method-assign]
