"""Structured logs, request ids, Prometheus metrics and the request-level guards.

The middleware here is plain ASGI (no per-request task or body buffering): it tags each request
with an id, refuses bodies over the limit with 413 before they reach a handler, answers 408 when
the body does not arrive within ``body_timeout`` seconds of the headers (the headers' own
deadline is in ``serving``), marks authenticated responses ``Cache-Control: no-store``, and
records latency per route template.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import time
import uuid
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from linkplus.errors import PROBLEM_JSON
from linkplus.kit.parsing import InputRefused, OutOfRange, parse_int

REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def configure_logging(*, json: bool, level: str = "INFO") -> None:
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
    ]
    processors.append(
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )


class Metrics:
    """One registry per app, so several apps (tests) never collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "linkplus_http_requests_total",
            "HTTP requests by route template, method and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "linkplus_http_request_seconds",
            "HTTP request latency by route template",
            ["method", "route"],
            registry=self.registry,
        )


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value)
    return None


class _BodyTooLarge(Exception):
    pass


def _declares_more_than(declared: bytes, limit: int) -> bool:
    """Whether a Content-Length (read by ``kit.parsing``) is past ``limit``. One that is not a
    number is refused by the server's HTTP parser before it gets here; the body is counted
    while it streams in either case."""
    try:
        parse_int(declared.decode("latin-1"), field="Content-Length", minimum=0, maximum=limit)
    except OutOfRange:
        return True
    except InputRefused:
        return False
    return False


class _BodyTooSlow(Exception):
    pass


class RequestGuard:
    """Request id, body limit and deadline, no-store for authenticated responses, metrics and
    access log."""

    def __init__(
        self, app: ASGIApp, *, max_body: int, metrics: Metrics, body_timeout: float = 10.0
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.body_timeout = body_timeout
        self.metrics = metrics
        self.log = structlog.get_logger("linkplus.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = (_header(scope, b"x-request-id") or b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        authenticated = _header(scope, b"authorization") is not None or b"lp_session=" in (
            _header(scope, b"cookie") or b""
        )
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                if authenticated or scope.get("state", {}).get("authenticated"):
                    headers = [h for h in headers if h[0].lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        declared = _header(scope, b"content-length")
        if declared is not None and _declares_more_than(declared, self.max_body):
            await self._too_large(send_wrapper, request_id)
            self._observe(scope, 413, started)
            return

        received = 0
        overflow = False
        late = False
        body_done = False
        # The whole body must be in by then (the headers are, or this would not run).
        body_deadline = asyncio.get_running_loop().time() + self.body_timeout
        response_started: list[bool] = []

        async def receive_limited() -> Message:
            nonlocal received, overflow, late, body_done
            if body_done:  # after the body only a disconnect comes: a stream may wait for it
                return await receive()
            try:
                async with asyncio.timeout_at(body_deadline):  # no extra task per request
                    message = await receive()
            except TimeoutError:
                late = True
                raise _BodyTooSlow from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    overflow = True
                    raise _BodyTooLarge
                body_done = not message.get("more_body", False)
            else:
                body_done = True
            return message

        async def send_unless_refused(message: Message) -> None:
            # Frameworks may catch the overflow (or the late body) while parsing and answer 400
            # themselves; that answer is dropped and the 413 (408) below goes out instead.
            if not overflow and not late:
                response_started.append(True)
                await send_wrapper(message)

        try:
            await self.app(scope, receive_limited, send_unless_refused)
        except (_BodyTooLarge, _BodyTooSlow):
            pass
        finally:
            if overflow and not response_started:
                await self._too_large(send_wrapper, request_id)
                status_holder["status"] = 413
            elif late and not response_started:
                await self._too_slow(send_wrapper)
                status_holder["status"] = 408
            self._observe(scope, status_holder["status"], started)

    async def _too_large(self, send: Send, request_id: str) -> None:
        await self._refuse(
            send,
            413,
            b'{"type":"/problems/body_too_large","title":"Request body too large","status":413,'
            b'"detail":"Send at most 1 MiB in one request.","code":"body_too_large"}',
        )

    async def _too_slow(self, send: Send) -> None:
        detail = (
            f"The request body did not arrive within {self.body_timeout:g} s of its headers. "
            "Send the whole request at once, then try again."
        )
        await self._refuse(
            send,
            408,
            b'{"type":"/problems/body_timeout","title":"Request body too slow","status":408,'
            b'"detail":"' + detail.encode() + b'","code":"body_timeout"}',
            # The rest of the body may still trickle in: the connection cannot carry another
            # request, so it is closed after this answer.
            close=True,
        )

    async def _refuse(self, send: Send, status: int, body: bytes, *, close: bool = False) -> None:
        headers = [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        if close:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _observe(self, scope: Scope, status: int, started: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        elapsed = time.perf_counter() - started
        method = scope.get("method", "")
        self.metrics.requests.labels(method, template, str(status)).inc()
        self.metrics.latency.labels(method, template).observe(elapsed)
        self.log.info(
            "request",
            method=method,
            path=scope.get("path"),
            route=template,
            status=status,
            ms=round(elapsed * 1000, 2),
        )
