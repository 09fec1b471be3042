"""Slow clients cannot hold a connection: request headers and request bodies have deadlines
(``header_timeout_seconds``, ``body_timeout_seconds``), checked with raw sockets against a real
``linkplus serve`` (uvicorn, its HTTP protocol, the middleware), with short deadlines."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.platform.support import Live, clean_env, live_platform

DEADLINE = 0.6  # seconds, for both phases in these tests (default 10)
PATIENCE = 8.0  # how long a test waits for the server before calling it stuck


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    env = clean_env(
        LINKPLUS_HEADER_TIMEOUT_SECONDS=str(DEADLINE),
        LINKPLUS_BODY_TIMEOUT_SECONDS=str(DEADLINE),
        LINKPLUS_GATEWAY_ENABLED="false",
        LINKPLUS_WORKER_ENABLED="false",
    )
    with live_platform(tmp_path_factory.mktemp("slow") / "data", env=env) as live:
        yield live


def _connect(live: Live) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", live.port), timeout=PATIENCE)
    sock.settimeout(PATIENCE)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes; fails if it holds the connection open."""
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except TimeoutError:
        pytest.fail(f"the server held the connection open for {PATIENCE} s: {b''.join(chunks)!r}")
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def _problem(answer: bytes) -> tuple[int, dict[str, str], dict[str, object]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in lines[1:])
    }
    return status, headers, json.loads(body)


def test_headers_that_never_finish_get_408_and_the_connection_closes(server: Live) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: appl")
        started = time.monotonic()
        answer = _read_until_closed(sock)
        waited = time.monotonic() - started
    status, headers, problem = _problem(answer)
    assert status == 408
    assert headers["content-type"] == "application/problem+json"
    assert problem["code"] == "headers_timeout"
    assert DEADLINE * 0.8 <= waited < DEADLINE + 3


def test_headers_sent_a_byte_at_a_time_do_not_extend_the_deadline(server: Live) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200
    with _connect(server) as sock:
        started = time.monotonic()
        with pytest.raises((BrokenPipeError, ConnectionResetError)):  # closed while dripping
            for byte in request:
                sock.sendall(bytes([byte]))
                time.sleep(DEADLINE / 10)
        waited = time.monotonic() - started
    assert waited < DEADLINE + 3


def test_a_connection_that_sends_nothing_is_closed(server: Live) -> None:
    with _connect(server) as sock:
        started = time.monotonic()
        assert _read_until_closed(sock) == b""
        assert time.monotonic() - started < DEADLINE + 3


def test_a_body_that_never_finishes_gets_408_and_the_connection_closes(server: Live) -> None:
    body = b"grant_type=password&username=someone%40example.com&password=x"
    with _connect(server) as sock:
        sock.sendall(
            b"POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[: len(body) // 2]
        )
        started = time.monotonic()
        answer = _read_until_closed(sock)
        waited = time.monotonic() - started
    status, headers, problem = _problem(answer)
    assert status == 408
    assert headers["connection"] == "close"
    assert headers["content-security-policy"]  # refusals carry the same headers as pages
    assert problem["code"] == "body_timeout"
    assert DEADLINE * 0.8 <= waited < DEADLINE + 3


def test_prompt_requests_on_a_kept_alive_connection_are_unaffected(server: Live) -> None:
    with _connect(server) as sock:
        for _ in range(3):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = b""
            while b'"ok"}' not in answer:
                answer += sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200 ")
            time.sleep(DEADLINE / 2)  # idle between requests, within keep-alive


def test_a_slow_second_request_on_a_kept_alive_connection_gets_408(server: Live) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = b""
        while b'"ok"}' not in answer:
            answer += sock.recv(65536)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        status, _headers, problem = _problem(_read_until_closed(sock))
    assert status == 408
    assert problem["code"] == "headers_timeout"


def test_the_deadlines_are_settings_with_a_10_second_default(tmp_path: Path) -> None:
    from linkplus.config import Settings

    settings = Settings(data_dir=tmp_path)
    assert settings.header_timeout_seconds == 10
    assert settings.body_timeout_seconds == 10


def test_a_body_dripping_after_its_answer_does_not_hold_the_connection(server: Live) -> None:
    """The app answers without reading the body (405 here); the rest of the body, sent a byte
    at a time, would otherwise keep the connection open, every byte resetting keep-alive."""
    with _connect(server) as sock:
        sock.sendall(
            b"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\nx"
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 405 ")
        started = time.monotonic()
        with pytest.raises((BrokenPipeError, ConnectionResetError)):  # closed while dripping
            while time.monotonic() - started < PATIENCE:
                sock.sendall(b"x")
                time.sleep(DEADLINE / 10)
        assert time.monotonic() - started < DEADLINE + 3
