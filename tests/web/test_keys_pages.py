"""The Digital key pages' refusals, without a browser: another account's car is the same 404 as
a car that does not exist, the invitation form says in words what is wrong (422, nothing
stored), and the "use key" calls want the page's token and a key of the caller's own
(problem+json, as ``keys.js`` asks)."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from linkplus.runtime import Runtime
from tests.web.support import csrf_in, post_form, web_owner

JSON = {"Accept": "application/json"}  # as keys.js asks
PUBLIC_KEY = "B" + "A" * 86  # the shape only; the page refuses before it is used


async def test_the_keys_pages_refuse_clearly(
    client: httpx.AsyncClient, runtime: Runtime, app: FastAPI
) -> None:
    owner = await web_owner(runtime, client)
    page = await client.get(f"/vehicle/{owner.vin}/keys")
    assert page.status_code == 200, page.text
    assert "Invite a driver" in page.text
    assert '<script src="/static/keys.js" defer>' in page.text
    assert "<script>" not in page.text  # no inline script

    bad = await post_form(
        client,
        f"/vehicle/{owner.vin}/keys",
        f"/vehicle/{owner.vin}/keys/invites",
        {"email": "not an address", "role": "limited", "max_speed_kmh": "500"},
    )
    assert bad.status_code == 422
    assert "Some values of the invitation are not valid" in bad.text
    assert 'aria-invalid="true"' in bad.text
    assert "data-share-code" not in bad.text
    listed = (await client.get(f"/vehicle/{owner.vin}/keys")).text
    assert "data-invite=" not in listed  # nothing stored

    no_token = await client.post(f"/vehicle/{owner.vin}/keys/invites", data={"email": "a@b.c"})
    assert no_token.status_code == 403

    unknown = uuid.uuid4()
    refused = await client.post(f"/keys/{unknown}/challenge", headers=JSON)
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_refused"
    token = csrf_in(listed)
    missing = await client.post(
        f"/keys/{unknown}/challenge", headers={**JSON, "X-CSRF-Token": token}
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "key_not_found"

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        await web_owner(runtime, other)
        theirs = await other.get(f"/vehicle/{owner.vin}/keys")
        nowhere = await other.get("/vehicle/JTHAAAAAAAAAAAAAA/keys")
        assert theirs.status_code == nowhere.status_code == 404
        made = await post_form(
            other,
            "/keys",
            f"/vehicle/{owner.vin}/keys/owner",
            {"public_key": PUBLIC_KEY},
        )
        assert made.status_code == 404
