"""Errors as RFC 9457 problem details with a stable machine ``code``.

Services raise ``ProblemError`` subclasses (each domain's ``errors.py``); the handlers here turn
them, validation failures and unexpected exceptions into ``application/problem+json``.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

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
