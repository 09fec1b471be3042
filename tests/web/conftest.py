"""Helpers for driving the web pages the way a browser does: read the form, send it back."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from linkplus.app import create_app
from linkplus.runtime import Runtime

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_in(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no form token"
    return match.group(1)


async def post_form(
    client: httpx.AsyncClient, page: str, action: str, fields: dict[str, str]
) -> httpx.Response:
    """Open ``page`` (which sets the cookies), then post its form to ``action`` with its token."""
    opened = await client.get(page)
    assert opened.status_code == 200, opened.text
    return await client.post(action, data={**fields, "csrf_token": csrf_in(opened.text)})


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    answer = await post_form(client, "/signin", "/signin", {"email": email, "password": password})
    assert answer.status_code == 303, answer.text
    return answer


@pytest.fixture
async def mailbox_client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The same platform with the development mailbox switched on, as in the demo."""
    runtime.settings.dev_mailbox = True
    app = create_app(runtime, run_worker=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
