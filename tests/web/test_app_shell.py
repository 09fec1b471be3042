"""The installable app's files (manifest, service worker, offline page, icons) as the platform
serves them, and the push opt-in's endpoints the app's script posts to."""

from __future__ import annotations

import base64
import json
import os
import re
import struct

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from linkplus.models.notifications import PushSubscription
from linkplus.runtime import Runtime
from tests.support import DEFAULT_PASSWORD, make_owner
from tests.web.support import csrf_in, sign_in

ENDPOINT = "https://push.example.net/send/abc123"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def browser_subscription(endpoint: str = ENDPOINT) -> dict[str, object]:
    """What ``PushSubscription.toJSON()`` gives in a browser: a real P-256 public key and a
    16-byte auth secret."""
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {
        "endpoint": endpoint,
        "expirationTime": None,
        "keys": {"p256dh": b64url(point), "auth": b64url(os.urandom(16))},
    }


async def test_the_manifest_names_the_app_its_start_and_icons_that_exist(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/manifest.webmanifest")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(answer.content)
    assert manifest["name"] == "linkplus"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/vehicle"
    assert manifest["scope"] == "/"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    sizes = set()
    for icon in manifest["icons"]:
        picture = await client.get(icon["src"])
        assert picture.status_code == 200, icon["src"]
        assert picture.headers["content-type"].startswith(icon["type"])
        if icon["type"] == "image/png":
            width, height = png_size(picture.content)
            assert f"{width}x{height}" == icon["sizes"], icon["src"]
            sizes.add(width)
    assert {192, 512} <= sizes


async def test_the_worker_is_served_for_the_whole_site_and_everything_it_keeps_exists(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/sw.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["service-worker-allowed"] == "/"
    assert answer.headers["cache-control"] == "no-cache"
    listed = re.search(r"var SHELL = \[(.*?)\];", answer.text, re.S)
    assert listed, "the worker lists its shell"
    shell = re.findall(r'"(/[^"]*)"', listed.group(1))
    offline = re.search(r'var OFFLINE_URL = "(/[^"]*)";', answer.text)
    assert offline, "the worker names its offline page"
    assert offline.group(1) in shell
    # One missing file and the browser refuses to install the worker: every one must answer.
    for path in shell:
        kept = await client.get(path)
        assert kept.status_code == 200, path


async def test_the_offline_page_is_the_same_for_everyone_and_sets_no_cookie(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    anonymous = await client.get("/offline")
    assert anonymous.status_code == 200
    assert "You are offline" in anonymous.text
    assert "set-cookie" not in anonymous.headers
    owner = await make_owner(runtime)
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    signed_in = await client.get("/offline")
    assert signed_in.status_code == 200
    assert "set-cookie" not in signed_in.headers
    assert owner.first_name not in signed_in.text  # the worker keeps it: nothing personal
    assert "/signout" not in signed_in.text


async def test_every_page_links_the_manifest_and_the_script_that_registers_the_worker(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/signin", "/signup", "/offline"):
        page = await client.get(path)
        assert '<link rel="manifest" href="/manifest.webmanifest">' in page.text, path
        assert '<script src="/static/push.js" defer></script>' in page.text, path
    script = await client.get("/static/push.js")
    assert script.status_code == 200
    assert 'register("/sw.js", { scope: "/" })' in script.text


async def _stored(runtime: Runtime) -> list[PushSubscription]:
    async with runtime.db.read() as session:
        return list((await session.scalars(select(PushSubscription))).all())


async def _account_token(client: httpx.AsyncClient) -> str:
    page = await client.get("/account")
    assert page.status_code == 200
    return csrf_in(page.text)


async def test_the_app_posts_a_subscription_with_the_page_token_and_can_take_it_back(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await make_owner(runtime)
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    token = await _account_token(client)
    subscription = browser_subscription()
    answer = await client.post(
        "/account/push-subscriptions", json=subscription, headers={"X-CSRF-Token": token}
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["endpoint"] == ENDPOINT
    stored = await _stored(runtime)
    assert [(row.account_id, row.endpoint) for row in stored] == [(owner.id, ENDPOINT)]
    assert stored[0].p256dh == subscription["keys"]["p256dh"]  # type: ignore[index]

    # The same browser again (the script runs on every visit to the page): still one row.
    again = await client.post(
        "/account/push-subscriptions", json=subscription, headers={"X-CSRF-Token": token}
    )
    assert again.status_code == 201
    assert len(await _stored(runtime)) == 1

    removed = await client.delete(
        "/account/push-subscriptions",
        params={"endpoint": ENDPOINT},
        headers={"X-CSRF-Token": token, "Accept": "application/json"},  # as push.js sends it
    )
    assert removed.status_code == 204
    assert await _stored(runtime) == []
    gone = await client.delete(
        "/account/push-subscriptions",
        params={"endpoint": ENDPOINT},
        headers={"X-CSRF-Token": token, "Accept": "application/json"},
    )
    assert gone.status_code == 404
    assert gone.json()["code"] == "push_subscription_not_found"


async def test_a_subscription_without_the_page_token_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await make_owner(runtime)
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    for headers in ({}, {"X-CSRF-Token": "forged.token"}):
        answer = await client.post(
            "/account/push-subscriptions", json=browser_subscription(), headers=headers
        )
        assert answer.status_code == 403
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == "csrf_refused"
        assert "Reload" in answer.json()["detail"]
    assert await _stored(runtime) == []


async def test_a_token_from_another_visitor_does_not_subscribe_this_owner(
    client: httpx.AsyncClient, other_browser: httpx.AsyncClient, runtime: Runtime
) -> None:
    first = await make_owner(runtime)
    second = await make_owner(runtime)
    await sign_in(client, first.email, DEFAULT_PASSWORD)
    await sign_in(other_browser, second.email, DEFAULT_PASSWORD)
    their_token = await _account_token(other_browser)
    answer = await client.post(
        "/account/push-subscriptions",
        json=browser_subscription(),
        headers={"X-CSRF-Token": their_token},
    )
    assert answer.status_code == 403
    assert await _stored(runtime) == []


async def test_a_subscription_that_is_not_a_browsers_is_a_clear_422(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await make_owner(runtime)
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    token = await _account_token(client)
    cases = {
        "a private address": browser_subscription("https://192.168.1.10/push"),
        "plain http": browser_subscription("http://push.example.net/x"),
        "an extra field": {**browser_subscription(), "owner": "someone else"},
        "a short key": {
            "endpoint": ENDPOINT,
            "keys": {"p256dh": b64url(b"\x04" * 20), "auth": b64url(os.urandom(16))},
        },
    }
    for case, body in cases.items():
        answer = await client.post(
            "/account/push-subscriptions", json=body, headers={"X-CSRF-Token": token}
        )
        assert answer.status_code == 422, case
        assert answer.json()["code"] == "invalid_input", case
    assert await _stored(runtime) == []


async def test_signed_out_the_push_endpoints_store_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    page = await client.get("/signin")
    answer = await client.post(
        "/account/push-subscriptions",
        json=browser_subscription(),
        headers={"X-CSRF-Token": csrf_in(page.text)},
    )
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/signin")
    assert await _stored(runtime) == []
