"""The Digital key pages' refusals, without a browser: another account's car is the same 404 as
a car that does not exist, the invitation form says in words what is wrong (422, nothing
stored), and the "use key" calls want the page's token and a key of the caller's own
(problem+json, as ``keys.js`` asks)."""

from __future__ import annotations

import re
import uuid

import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.connected_services import service as connected_services
from linkplus.keys import certificates
from linkplus.runtime import Runtime
from tests.web.support import csrf_in, post_form, web_owner

KEY_ID = re.compile(r'data-key="([0-9a-f-]{36})"')
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


async def test_an_owner_key_made_from_the_page_is_removed_by_its_holder(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await web_owner(runtime, client)

    async def remote_connect(
        session: AsyncSession, vin: str, account_id: uuid.UUID, package: str, today: object
    ) -> bool:
        return package == "remote" and account_id == owner.account.id

    unregister = connected_services.register_subscription_check(remote_connect)
    try:
        phone = ec.generate_private_key(ec.SECP256R1())
        made = await post_form(
            client,
            f"/vehicle/{owner.vin}/keys",
            f"/vehicle/{owner.vin}/keys/owner",
            {"public_key": certificates.encode_public(phone.public_key()), "name": "Pixel"},
        )
        assert made.status_code == 303, made.text
        assert made.headers["location"] == f"/vehicle/{owner.vin}/keys?done=owner_key"
        twice = await post_form(
            client,
            f"/vehicle/{owner.vin}/keys",
            f"/vehicle/{owner.vin}/keys/owner",
            {"public_key": certificates.encode_public(phone.public_key())},
        )
        assert twice.status_code == 409
        assert "already has an owner key" in twice.text

        mine = await client.get("/keys")
        key_id = KEY_ID.search(mine.text)
        assert key_id, mine.text
        assert "Pixel" in mine.text
        removed = await post_form(client, "/keys", f"/keys/{key_id.group(1)}/remove", {})
        assert removed.status_code == 303
        assert removed.headers["location"] == "/keys?done=removed"
        after = await client.get("/keys?done=removed")
        assert "The key is removed from your keys." in after.text
        assert "Revoked" in after.text
        assert 'data-use-key="' not in after.text
        car = await client.get(f"/vehicle/{owner.vin}/keys")
        assert "Revocation pending" in car.text  # no car connected: not confirmed
    finally:
        unregister()
