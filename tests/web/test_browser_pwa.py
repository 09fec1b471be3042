"""The installable app in headless Chromium at phone size, against the real server: the
manifest loads, the service worker registers and takes control of the page, and with the
network gone a page that cannot be loaded shows "You are offline" in the app's own style
(from the worker's cache), with a way back once the network returns. Then push: the Account
page's button asks for permission, subscribes with the server's VAPID key and the platform
stores the subscription; the same button turns it off again.

Screenshots go to /tmp/linkplus-pwa-screenshots, or the folder LINKPLUS_SCREENSHOTS names
(docs/screenshots/ when the documentation's pictures are renewed), so a run leaves the tree
clean."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserContext, CDPSession, ConsoleMessage, Page, expect
from sqlalchemy import select

from linkplus.demo.push_key import new_vapid_key
from linkplus.models.notifications import Category, PushSubscription
from linkplus.notifications import service as notifications
from linkplus.notifications.push import vapid_public_key
from linkplus.notifications.tasks import push_message
from linkplus.runtime import Runtime
from tests.support import DEFAULT_PASSWORD, make_owner
from tests.web.support import (
    PHONE,
    LiveServer,
    async_playwright_browser,
    require_chromium,
    submit,
)

SHOTS = Path(os.environ.get("LINKPLUS_SCREENSHOTS", "/tmp/linkplus-pwa-screenshots"))
WAIT_MS = 15_000  # a bound, reached only on failure


def _watch_console(page: Page, errors: list[str]) -> None:
    def seen(message: ConsoleMessage) -> None:
        # Loads that fail while offline are the point of the test; anything else counts.
        expected = "net::ERR_INTERNET_DISCONNECTED" in message.text or message.text.startswith(
            "Failed to load resource"
        )
        if message.type == "error" and not expected:
            errors.append(message.text)

    page.on("console", seen)
    page.on("pageerror", lambda exc: errors.append(str(exc)))


async def _sign_in(page: Page, base: str, email: str) -> None:
    await page.goto(f"{base}/signin")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    await submit(page, "Sign in")


async def _controlled(page: Page) -> str:
    """The script URL of the worker controlling ``page``, once one does."""
    await page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=WAIT_MS)
    return str(await page.evaluate("navigator.serviceWorker.controller.scriptURL"))


@pytest.mark.browser
async def test_the_app_installs_its_worker_and_shows_the_offline_page_without_network(
    live_server: LiveServer,
) -> None:
    require_chromium()
    base = live_server.url
    owner = await make_owner(live_server.runtime)
    errors: list[str] = []
    async with async_playwright_browser() as browser:
        context = await browser.new_context(viewport=PHONE, service_workers="allow")
        page = await context.new_page()
        _watch_console(page, errors)
        await page.goto(f"{base}/signin")

        # The manifest the page links loads, and is the app's.
        href = await page.get_attribute('link[rel="manifest"]', "href")
        assert href == "/manifest.webmanifest"
        manifest = await page.evaluate(
            "fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())"
        )
        assert manifest["name"] == "linkplus"
        assert manifest["display"] == "standalone"
        for icon in manifest["icons"]:
            loaded = await page.evaluate("src => fetch(src).then(r => r.status)", icon["src"])
            assert loaded == 200, icon["src"]

        # The worker registers for the whole site and controls the page (it claims it).
        scope = await page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
        assert scope == f"{base}/"
        assert await _controlled(page) == f"{base}/sw.js"

        await _sign_in(page, base, owner.email)
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert await _controlled(page) == f"{base}/sw.js"

        # No network: the next page is the worker's offline page, styled from its cache.
        await context.set_offline(True)
        await page.goto(f"{base}/vehicle")
        await expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
        assert page.url == f"{base}/vehicle"
        background = await page.evaluate(
            "getComputedStyle(document.querySelector('main .card')).backgroundColor"
        )
        assert background not in ("", "rgba(0, 0, 0, 0)"), "web.css came from the cache"
        shot = SHOTS / "pwa-offline-phone.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(shot), full_page=True)

        # The network is back: "Try again" loads the page the owner wanted.
        await context.set_offline(False)
        async with page.expect_navigation():
            await page.get_by_role("link", name="Try again").click()
        assert page.url == f"{base}/vehicle"
        await expect(page.get_by_role("heading", name="You are offline")).to_have_count(0)
        await context.close()
    assert errors == []


# Headless Chromium here has no push service to reach (it needs Google's servers and keys), so
# the browser's PushManager is replaced by one that records what it was asked and hands back a
# subscription shaped like a browser's; everything from the permission prompt to the platform's
# database is the real page, script and server.
FAKE_PUSH_SERVICE = """
(() => {
  const b64url = (bytes) => btoa(String.fromCharCode(...bytes))
    .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  let current = null;
  window.__pushAsked = [];
  const subscription = (options) => {
    const key = new Uint8Array(65); key[0] = 4;
    for (let i = 1; i < 65; i++) key[i] = i;
    const auth = new Uint8Array(16).fill(7);
    const made = {
      endpoint: 'https://push.example.net/send/' + Math.random().toString(36).slice(2),
      options,
      toJSON() {
        return {endpoint: this.endpoint, expirationTime: null,
                keys: {p256dh: b64url(key), auth: b64url(auth)}};
      },
      unsubscribe() { current = null; return Promise.resolve(true); },
    };
    return made;
  };
  PushManager.prototype.subscribe = function (options) {
    window.__pushAsked.push(b64url(new Uint8Array(options.applicationServerKey)));
    current = subscription(options);
    return Promise.resolve(current);
  };
  PushManager.prototype.getSubscription = function () { return Promise.resolve(current); };
})();
"""


async def _subscriptions(runtime: Runtime) -> list[PushSubscription]:
    async with runtime.db.read() as session:
        return list((await session.scalars(select(PushSubscription))).all())


async def _push_context(live_server: LiveServer, browser_context: BrowserContext) -> None:
    await browser_context.grant_permissions(["notifications"], origin=live_server.url)
    await browser_context.add_init_script(FAKE_PUSH_SERVICE)


@pytest.mark.browser
async def test_push_is_turned_on_from_the_account_page_with_the_servers_key(
    live_server: LiveServer,
) -> None:
    require_chromium()
    key = new_vapid_key()
    live_server.settings.vapid_private_key = key  # the running app reads it per request
    base = live_server.url
    owner = await make_owner(live_server.runtime)
    errors: list[str] = []
    async with async_playwright_browser() as browser:
        context = await browser.new_context(viewport=PHONE, service_workers="allow")
        await _push_context(live_server, context)
        page = await context.new_page()
        _watch_console(page, errors)
        await _sign_in(page, base, owner.email)
        await page.goto(f"{base}/account")
        button = page.get_by_role("button", name="Turn on push on this device")
        await expect(button).to_be_enabled(timeout=WAIT_MS)
        await button.click()
        status = page.locator("[data-push-state]")
        await expect(status).to_have_text("Push notifications are on for this browser.")
        asked = await page.evaluate("window.__pushAsked")
        assert asked == [vapid_public_key(key)]
        stored = await _subscriptions(live_server.runtime)
        assert [row.account_id for row in stored] == [owner.id]
        assert stored[0].endpoint.startswith("https://push.example.net/send/")
        shot = SHOTS / "pwa-push-on-phone.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        await page.locator("[data-push-optin]").screenshot(path=str(shot))

        await page.get_by_role("button", name="Turn off push on this device").click()
        await expect(page.get_by_role("button", name="Turn on push on this device")).to_be_visible()
        assert await _subscriptions(live_server.runtime) == []
        await context.close()
    assert errors == []


@pytest.mark.browser
async def test_without_a_push_key_the_button_says_so_and_nothing_is_stored(
    live_server: LiveServer,
) -> None:
    require_chromium()
    assert live_server.settings.vapid_private_key is None
    base = live_server.url
    owner = await make_owner(live_server.runtime)
    async with async_playwright_browser() as browser:
        context = await browser.new_context(viewport=PHONE, service_workers="allow")
        await _push_context(live_server, context)
        page = await context.new_page()
        await _sign_in(page, base, owner.email)
        await page.goto(f"{base}/account")
        button = page.get_by_role("button", name="Turn on push on this device")
        await expect(button).to_be_enabled(timeout=WAIT_MS)
        await button.click()
        await expect(page.locator("[data-push-state]")).to_contain_text(
            "does not send push notifications"
        )
        assert await page.evaluate("window.__pushAsked") == []
        await context.close()
    assert await _subscriptions(live_server.runtime) == []


@pytest.mark.browser
async def test_the_push_offer_speaks_the_owners_language(live_server: LiveServer) -> None:
    """The words push.js shows come from the page, in the owner's language."""
    require_chromium()
    base = live_server.url
    owner = await make_owner(live_server.runtime, language="fr")
    async with async_playwright_browser() as browser:
        context = await browser.new_context(viewport=PHONE, service_workers="allow")
        await _push_context(live_server, context)
        page = await context.new_page()
        await _sign_in(page, base, owner.email)
        await page.goto(f"{base}/account")
        button = page.get_by_role("button", name="Activer le push sur cet appareil")
        await expect(button).to_be_enabled(timeout=WAIT_MS)
        await expect(page.locator("[data-push-state]")).to_have_text(
            "Recevez les alertes de votre voiture sur cet appareil, même quand l'application "
            "est fermée."
        )
        await context.close()


async def _registration_id(page: Page, scope: str) -> tuple[CDPSession, str]:
    """A DevTools session with its service-worker domain on, and the id it gives the
    registration of ``scope``."""
    cdp = await page.context.new_cdp_session(page)
    found: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def updated(params: dict[str, Any]) -> None:
        for registration in params.get("registrations", []):
            if registration.get("scopeURL") == scope and not found.done():
                found.set_result(str(registration["registrationId"]))

    cdp.on("ServiceWorker.workerRegistrationUpdated", updated)
    await cdp.send("ServiceWorker.enable")
    return cdp, await asyncio.wait_for(found, WAIT_MS / 1000)


SHOWN = """async () => {
    const registration = await navigator.serviceWorker.ready;
    const shown = await registration.getNotifications();
    return shown.map((n) => ({title: n.title, body: n.body, tag: n.tag, link: n.data.link}));
}"""


@pytest.mark.browser
async def test_a_push_message_from_the_platform_is_shown_by_the_app(
    live_server: LiveServer,
) -> None:
    """The platform's push message for a notification (the one the push job sends) reaches
    the app's service worker (delivered by the browser's DevTools protocol, since no push
    service is reachable here), which shows it with the notification's title, body and the
    link the owner is taken to."""
    require_chromium()
    base = live_server.url
    owner = await make_owner(live_server.runtime)
    async with live_server.runtime.db.transaction() as session:
        notification = await notifications.notify(
            session,
            now=live_server.runtime.clock.now(),
            account_id=owner.id,
            category=Category.vehicle_alerts,
            kind="test_push",
            title="Doors unlocked",
            body="Your Lexus NX was unlocked from the app.",
            link="/vehicle/JTHB9BAA5R2000101",
        )
        message = push_message(notification)
    errors: list[str] = []
    async with async_playwright_browser() as browser:
        context = await browser.new_context(viewport=PHONE, service_workers="allow")
        await context.grant_permissions(["notifications"], origin=base)
        page = await context.new_page()
        _watch_console(page, errors)
        await _sign_in(page, base, owner.email)
        await _controlled(page)
        cdp, registration = await _registration_id(page, f"{base}/")
        await cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": base, "registrationId": registration, "data": json.dumps(message)},
        )
        shown = None
        for _ in range(int(WAIT_MS / 100)):  # a bound, reached only on failure
            shown = await page.evaluate(SHOWN)
            if shown:
                break
            await page.wait_for_timeout(100)
        assert shown == [
            {
                "title": "Doors unlocked",
                "body": "Your Lexus NX was unlocked from the app.",
                "tag": str(notification.id),
                "link": "/vehicle/JTHB9BAA5R2000101",
            }
        ]
        await context.close()
    assert errors == []
