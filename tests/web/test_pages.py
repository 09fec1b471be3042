"""The web app through HTTP: guards, cookies, CSRF, and the sections of the bottom bar."""

from __future__ import annotations

import re

import httpx

from linkplus.app import create_app
from linkplus.models.notifications import Category
from linkplus.notifications import service as notifications
from linkplus.runtime import Runtime
from tests.support import DEFAULT_PASSWORD, make_owner
from tests.web.support import csrf_in, post_form, sign_in, text_of

SECTIONS = ("/vehicle", "/map", "/notifications", "/account", "/support")


def set_cookie_named(answer: httpx.Response, name: str) -> str:
    for header in answer.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no {name} cookie set; got {answer.headers.get_list('set-cookie')}")


async def test_signed_out_visitors_are_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    assert (await client.get("/")).headers["location"] == "/signin"
    for path in SECTIONS:
        answer = await client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/signin")
    assert (await client.get("/account")).headers["location"] == "/signin?next=%2Faccount"


async def test_a_form_without_a_valid_token_is_refused(client: httpx.AsyncClient) -> None:
    owner_email = "token@example.com"
    missing = await client.post("/signin", data={"email": owner_email, "password": "x" * 12})
    assert missing.status_code == 403
    assert "text/html" in missing.headers["content-type"]
    assert "This form has expired" in missing.text

    # A token taken from someone else's page does not match this visitor's cookie.
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        foreign_token = csrf_in((await other.get("/signin")).text)
    await client.get("/signin")
    forged = await client.post(
        "/signin", data={"email": owner_email, "password": "x" * 12, "csrf_token": foreign_token}
    )
    assert forged.status_code == 403


async def test_sign_in_sets_an_http_only_same_site_session_cookie(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await make_owner(runtime)
    opened = await client.get("/signin")
    csrf_cookie = set_cookie_named(opened, "lp_csrf").lower()
    assert "httponly" in csrf_cookie
    assert "samesite=lax" in csrf_cookie

    answer = await sign_in(client, owner.email, DEFAULT_PASSWORD)
    assert answer.headers["location"] == "/vehicle"
    cookie = set_cookie_named(answer, "lp_session").lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/" in cookie
    assert f"max-age={runtime.settings.web_session_days * 86400}" in cookie
    assert "secure" not in cookie  # public_url is http://testserver


async def test_https_public_url_marks_the_cookies_secure(runtime: Runtime) -> None:
    owner = await make_owner(runtime)
    runtime.settings.public_url = "https://linkplus.example"
    app = create_app(runtime, run_worker=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        answer = await sign_in(http, owner.email, DEFAULT_PASSWORD)
    assert "secure" in set_cookie_named(answer, "lp_session").lower()


async def test_signed_in_pages_show_the_five_sections_and_are_not_cached(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await make_owner(runtime)
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    for path in SECTIONS:
        page = await client.get(path)
        assert page.status_code == 200, path
        nav = re.search(r'<nav class="sections".*?</nav>', page.text, re.S)
        assert nav, path
        assert re.findall(r'href="(/[a-z]+)"', nav.group(0)) == list(SECTIONS)
        assert 'aria-current="page"' in nav.group(0)
        assert page.headers["cache-control"] == "no-store"
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["referrer-policy"] == "same-origin"
    vehicle = await client.get("/vehicle")
    assert "No cars in your garage yet" in vehicle.text
    support = (await client.get("/support")).text  # Contact us by category, no cases yet
    assert "Service and Maintenance" in support
    assert "You have not contacted us yet." in support
    empty_map = (await client.get("/map")).text  # the Map is built: it says to add a car
    assert "No car in your garage yet" in empty_map
    assert 'href="/vehicle/add"' in empty_map


async def test_an_unconfirmed_account_sees_only_the_confirm_page(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await make_owner(runtime, confirmed=False)
    answer = await sign_in(client, owner.email, DEFAULT_PASSWORD)
    assert answer.headers["location"] == "/activation-email"
    for path in SECTIONS:
        blocked = await client.get(path)
        assert blocked.status_code == 303
        assert blocked.headers["location"] == "/activation-email"
    page = await client.get("/activation-email")
    assert page.status_code == 200
    assert "Confirm your e-mail address" in page.text
    assert owner.email in page.text
    assert 'class="sections"' not in page.text


async def test_the_dev_mailbox_exists_only_when_switched_on(
    client: httpx.AsyncClient, runtime: Runtime, mailbox_client: httpx.AsyncClient
) -> None:
    hidden = await client.get("/dev/mailbox")
    assert hidden.status_code == 404
    nowhere = await client.get("/dev/no-such-page")
    assert text_of(hidden.text) == text_of(nowhere.text)  # the same error page, word for word
    assert 'data-error-status="404"' in hidden.text
    shown = await mailbox_client.get("/dev/mailbox")
    assert shown.status_code == 200
    assert "Development mailbox" in shown.text


async def test_the_inbox_marks_one_and_all_notifications_read(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await make_owner(runtime)
    now = runtime.clock.now()
    async with runtime.db.transaction() as session:
        first = await notifications.notify(
            session,
            now=now,
            account_id=owner.id,
            category=Category.account,
            kind="test.first",
            title="First message",
            body="Hello <b>there</b>",
            link="/account",
        )
        await notifications.notify(
            session,
            now=now,
            account_id=owner.id,
            category=Category.account,
            kind="test.second",
            title="Second message",
            body="Bye",
            link="javascript:alert(1)",
        )
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    page = await client.get("/notifications")
    assert "First message" in page.text
    assert "Hello &lt;b&gt;there&lt;/b&gt;" in page.text
    assert 'href="/account">Open' in page.text
    assert "javascript:" not in page.text
    assert page.text.count("Mark read</button>") == 2

    marked = await client.post(
        f"/notifications/{first.id}/read", data={"csrf_token": csrf_in(page.text)}
    )
    assert marked.status_code == 303
    page = await client.get("/notifications?show=unread")
    assert "First message" not in page.text
    assert "Second message" in page.text

    done = await client.post("/notifications/read-all", data={"csrf_token": csrf_in(page.text)})
    assert done.headers["location"] == "/notifications?done=all_read"
    page = await client.get("/notifications?show=unread")
    assert "No unread notifications" in page.text


async def test_sign_out_ends_the_session(client: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = await make_owner(runtime)
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    cookie = client.cookies["lp_session"]
    page = await client.get("/vehicle")
    answer = await client.post("/signout", data={"csrf_token": csrf_in(page.text)})
    assert answer.headers["location"] == "/signin?done=signed_out"
    assert "lp_session" not in client.cookies
    # The old cookie, replayed, no longer opens anything.
    client.cookies.set("lp_session", cookie)
    assert (await client.get("/vehicle")).headers["location"] == "/signin"


async def test_wrong_password_is_shown_on_the_form_keeping_the_address(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await make_owner(runtime)
    answer = await post_form(
        client, "/signin", "/signin", {"email": owner.email, "password": "not my password"}
    )
    assert answer.status_code == 401
    assert "Check the e-mail address and password" in answer.text
    assert f'value="{owner.email}"' in answer.text
    assert "not my password" not in answer.text


async def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await make_owner(runtime)
    page = await client.get("/signin?next=/account")
    answer = await client.post(
        "/signin",
        data={
            "email": owner.email,
            "password": DEFAULT_PASSWORD,
            "next": "/account",
            "csrf_token": csrf_in(page.text),
        },
    )
    assert answer.headers["location"] == "/account"
    await client.post("/signout", data={"csrf_token": csrf_in((await client.get("/map")).text)})
    page = await client.get("/signin")
    answer = await client.post(
        "/signin",
        data={
            "email": owner.email,
            "password": DEFAULT_PASSWORD,
            "next": "//evil.example/",
            "csrf_token": csrf_in(page.text),
        },
    )
    assert answer.headers["location"] == "/vehicle"
