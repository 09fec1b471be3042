"""The export page's refusals, without a browser: a wrong password shows the page again with
the reason (403), another owner's export is the 404 page, a form without its token is refused,
and a second request while one is being made says so (409)."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from linkplus.jobs.worker import Worker
from linkplus.runtime import Runtime
from tests.support import DEFAULT_PASSWORD
from tests.web.support import post_form, signed_in_owner

EXPORT_ID = re.compile(r'action="/privacy/export/([0-9a-f-]{36})/download"')


async def test_the_export_page_refuses_clearly(
    client: httpx.AsyncClient, runtime: Runtime, worker: Worker, app: FastAPI
) -> None:
    await signed_in_owner(runtime, client)
    asked = await post_form(client, "/privacy/export", "/privacy/export", {})
    assert asked.status_code == 303
    assert asked.headers["location"] == "/privacy/export?done=export_requested"
    again = await post_form(client, "/privacy/export", "/privacy/export", {})
    assert again.status_code == 409
    assert "already being made" in again.text

    await worker.run_due()
    page = await client.get("/privacy/export")
    export_id = EXPORT_ID.search(page.text)
    assert export_id, page.text
    action = f"/privacy/export/{export_id.group(1)}/download"

    wrong = await post_form(client, "/privacy/export", action, {"password": "not it"})
    assert wrong.status_code == 403
    assert "Enter your current password" in wrong.text
    assert 'aria-invalid="true"' in wrong.text
    no_token = await client.post(action, data={"password": DEFAULT_PASSWORD})
    assert no_token.status_code in (400, 403)
    assert no_token.headers["content-type"] != "application/zip"

    right = await post_form(client, "/privacy/export", action, {"password": DEFAULT_PASSWORD})
    assert right.status_code == 200
    assert right.headers["content-type"] == "application/zip"
    assert right.content[:2] == b"PK"

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        await signed_in_owner(runtime, other)
        taken = await post_form(other, "/privacy/export", action, {"password": DEFAULT_PASSWORD})
        assert taken.status_code == 404
        assert taken.headers["content-type"].startswith("text/html")
        assert "application/zip" not in taken.headers["content-type"]
