"""Every HTML answer carries the security headers (one middleware sets them for the whole app),
and the API documentation works offline: Swagger UI is served by the platform, not a CDN."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from linkplus.app import create_app
from linkplus.runtime import Runtime
from tests.support import DEFAULT_PASSWORD, make_owner
from tests.web.support import sign_in

DOCS = "/api/v1/docs"
_ATTRIBUTE = re.compile(r'\b(?:src|href|action)="([^"]*)"')


@pytest.fixture
async def app(runtime: Runtime) -> FastAPI:
    runtime.settings.dev_mailbox = True  # its pages too, as in the demo
    return create_app(runtime, run_worker=False)


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


_PARAMETER = re.compile(r"{(\w+)(?::(\w+))?}")


def _sample(match: re.Match[str]) -> str:
    name, kind = match.group(1), match.group(2)
    if kind == "uuid" or name.endswith("_id"):
        return str(uuid.uuid4())
    if kind == "int":
        return "1"
    return "JTHB9BAA5R2000101" if name == "vin" else "x1"


def _get_paths(app: FastAPI) -> list[str]:
    """Every GET route of the app, whoever registered it (API, web, sandbox, docs, mailbox),
    with made-up values in its path parameters."""
    paths = {
        _PARAMETER.sub(_sample, route.path)
        for route in iter_route_contexts(app.routes)
        if route.path and "GET" in (route.methods or set())
    }
    assert len(paths) > 50, paths  # the walk reaches into the included routers
    return sorted(paths)


def _assert_secured(path: str, answer: httpx.Response) -> None:
    policy = answer.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy, f"{path}: no CSP with frame-ancestors"
    assert "default-src 'self'" in policy, f"{path}: CSP is not self-only"
    assert answer.headers.get("x-frame-options") == "DENY", f"{path}: no X-Frame-Options"
    assert answer.headers.get("x-content-type-options") == "nosniff", path


async def _walk(app: FastAPI, http: httpx.AsyncClient) -> list[str]:
    html = []
    for path in _get_paths(app):
        answer = await asyncio.wait_for(http.get(path), timeout=20)
        assert answer.status_code < 500, f"{path}: {answer.status_code}"
        if answer.headers.get("content-type", "").startswith("text/html"):
            html.append(path)
        # HTML pages above all, but nothing goes out without them (redirects, problems, files).
        _assert_secured(path, answer)
    return html


async def test_every_get_route_answers_with_the_security_headers_signed_out_and_in(
    app: FastAPI, http: httpx.AsyncClient, runtime: Runtime
) -> None:
    signed_out = await _walk(app, http)
    owner = await make_owner(runtime)
    await sign_in(http, owner.email, DEFAULT_PASSWORD)
    signed_in = await _walk(app, http)
    # The walk met the kinds of page the defect was about, and many others.
    assert DOCS in signed_out
    assert any(path.startswith("/sandbox-pay/") for path in signed_out), signed_out
    assert "/signin" in signed_out
    assert "/dev/mailbox" in signed_out
    assert len(signed_in) >= 20, signed_in


async def test_html_error_pages_carry_the_security_headers(http: httpx.AsyncClient) -> None:
    answer = await http.get("/sandbox-pay/cards/new", params={"session": "no-such-session"})
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.status_code >= 400
    _assert_secured("/sandbox-pay/cards/new", answer)


async def test_the_api_docs_load_nothing_from_outside_and_their_files_are_served(
    http: httpx.AsyncClient,
) -> None:
    page = await http.get(DOCS)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    references = _ATTRIBUTE.findall(page.text)
    assert references, page.text
    for reference in references:
        assert reference.startswith("/"), reference
        assert not reference.startswith("//"), reference
    assert "http://" not in page.text
    assert "https://" not in page.text
    # The policy forbids inline code, so the page must have none.
    assert "<style" not in page.text
    assert "style=" not in page.text
    for script in re.findall(r"<script\b[^>]*>(.*?)</script>", page.text, re.S):
        assert script.strip() == "", "inline script"
    assert re.search(r'data-openapi-url="/api/v1/openapi.json"', page.text)
    kinds = {".css": "text/css", ".js": "text/javascript", ".png": "image/png"}
    for reference in references:
        asset = await http.get(reference)
        assert asset.status_code == 200, reference
        assert asset.content, reference
        expected = next(kind for suffix, kind in kinds.items() if reference.endswith(suffix))
        assert asset.headers["content-type"].startswith(expected), reference
    assert any(ref.endswith("/swagger-ui-bundle.js") for ref in references)
    bundle = await http.get(f"{DOCS}/assets/swagger-ui-bundle.js")
    assert b"SwaggerUIBundle" in bundle.content
    assert (await http.get(f"{DOCS}/assets/..%2F..%2F__init__.py")).status_code == 404
    assert (await http.get(f"{DOCS}/assets/index.html")).status_code == 404
