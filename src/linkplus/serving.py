"""How ``serve`` and ``demo`` run uvicorn: the listening socket, bound before anything else so a
taken port is one clear line, and the HTTP protocol with a deadline on request headers.

Why a protocol subclass: uvicorn bounds only the idle time *between* requests on a kept-alive
connection (``timeout_keep_alive``). A connection that opens and then sends nothing, or sends its
request headers a byte at a time, has no deadline at all and holds its slot for as long as the
client likes (slowloris). The header phase happens inside the protocol, before any ASGI code
runs, so no middleware can see it; the deadline has to live here. The body phase, once the
headers are in, is bounded in ``observability.RequestGuard``.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

# uvicorn's WebSocket implementation for /ocpp/{charger_id}: the sans-I/O one on the pinned
# websockets, which can answer a refused upgrade with a real HTTP status (401 for a charger
# with the wrong password) and does not use websockets' deprecated legacy server.
WEBSOCKETS = "websockets-sansio"


class PortUnavailable(Exception):
    """Nothing can listen on the address: taken by another program, or not allowed."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"{host}:{port}: {reason}")
        self.host = host
        self.port = port
        self.reason = reason


def _problem_response(status: int, reason: str, code: str, detail: str) -> bytes:
    body = (
        f'{{"type":"/problems/{code}","title":"{reason}","status":{status},'
        f'"detail":"{detail}","code":"{code}"}}'
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "content-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    ).encode()
    return head + body


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, plus: a request's headers must be complete within
    ``header_timeout`` seconds of the connection opening (or of the previous response ending,
    on a kept-alive connection). A client that started a request and did not finish its headers
    in time gets 408 and the connection is closed; one that sent nothing is just closed, and so
    is one still sending, that long after its answer, a body nobody reads."""

    header_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _waiting_on_client(self) -> bool:
        """Waiting for (the rest of) a request's headers, or for the rest of a body that no one
        reads because the answer has already gone out (uvicorn would read it, however slowly it
        comes, before the next request). While a request is read, answered or streamed by the
        app, the body deadline (``RequestGuard``) or nothing applies."""
        if self.transport.is_closing():
            return False
        their, ours = self.conn.their_state, self.conn.our_state
        return their is h11.IDLE or (their is h11.SEND_BODY and ours is h11.DONE)

    def handle_events(self) -> None:
        super().handle_events()
        if self._waiting_on_client():
            self._arm_header_deadline()
        else:
            self._disarm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._waiting_on_client():
            self._arm_header_deadline()

    def _arm_header_deadline(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_late)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_late(self) -> None:
        self._header_deadline = None
        if not self._waiting_on_client():
            return
        started, _closed = self.conn.trailing_data
        if started and self.conn.their_state is h11.IDLE:
            self.transport.write(
                _problem_response(
                    408,
                    "Request Timeout",
                    "headers_timeout",
                    f"The request headers did not arrive within {self.header_timeout:g} s. "
                    "Send the whole request at once.",
                )
            )
        self.transport.close()


def http_protocol(header_timeout: float) -> type[HeaderDeadlineProtocol]:
    """The protocol class for ``uvicorn.Config(http=...)`` with this header deadline."""

    class Protocol(HeaderDeadlineProtocol):
        pass

    Protocol.header_timeout = header_timeout
    return Protocol


def bind_tcp(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` as uvicorn binds one, or ``PortUnavailable``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = "already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise PortUnavailable(host, port, reason) from exc
    return sock


def check_free(host: str, port: int) -> None:
    """``PortUnavailable`` unless something could listen on ``host:port`` now."""
    bind_tcp(host, port).close()
