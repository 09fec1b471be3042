"""The Digital key pages in headless Chromium on a phone-sized screen, against the real server
(worker, embedded MQTT broker, gateway) and a simulated car with its key reader, connected to
that broker.

The owner makes their phone a key (WebCrypto in the browser), invites a limited driver and reads
the share code; the driver, in their own browser with their own account, accepts with the code
(their browser makes its key pair, the private key stays in IndexedDB) and uses the key: the
car checks the certificate and the signed challenge and unlocks, and the owner's dashboard shows
the doors unlocked. The owner revokes the key, the car confirms; then the driver can no longer
open the car, neither from the page nor by presenting the old certificate to the car with an
answer signed by the browser's stored key (the car itself refuses it as revoked).

Screenshots go to the folder LINKPLUS_SCREENSHOTS names (docs/screenshots/ for the docs'
pictures), otherwise to a temporary folder."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.connected_services import service as connected_services
from linkplus.keys import service as keys
from linkplus.keys.certificates import Refusal, b64
from linkplus.keys.service import authority_public_text
from linkplus.runtime import Runtime
from linkplus.sim.keys import KEY_HANDLERS, KeyReader
from tests.support import DEFAULT_PASSWORD, make_owner
from tests.web.support import (
    PHONE,
    LiveServer,
    assert_accessible,
    async_playwright_browser,
    keep_copy,
    owner_with_remote_car,
    require_chromium,
    running,
    submit,
)

WAIT_MS = 15_000  # a bound for what crosses the broker and the worker; reached only on failure
SHOTS = Path(os.environ.get("LINKPLUS_SCREENSHOTS", "/tmp/linkplus-keys-screenshots"))

# Signs the car's challenge with the key pair the page stored in IndexedDB, as keys.js does.
SIGN_WITH_STORED_KEY = """async ([slot, text]) => {
  const db = await new Promise((ok, ko) => {
    const r = indexedDB.open("linkplus-keys", 1); r.onsuccess = () => ok(r.result); r.onerror = ko;
  });
  const pair = await new Promise((ok, ko) => {
    const r = db.transaction("phone").objectStore("phone").get(slot);
    r.onsuccess = () => ok(r.result); r.onerror = ko;
  });
  const signature = await crypto.subtle.sign(
    {name: "ECDSA", hash: "SHA-256"}, pair.privateKey, new TextEncoder().encode(text));
  let bytes = ""; new Uint8Array(signature).forEach((b) => { bytes += String.fromCharCode(b); });
  return btoa(bytes).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
}"""


async def shot(page: Page, folder: Path, name: str) -> None:
    """A full-page phone-sized picture, copied under ``SHOTS`` for a person to look at."""
    taken = folder / f"keys-{name}.png"
    await page.screenshot(path=str(taken), full_page=True)
    kept = await asyncio.to_thread(keep_copy, taken, SHOTS / taken.name)
    assert kept.startswith(b"\x89PNG")


async def sign_in(page: Page, base: str, email: str) -> None:
    await page.goto(f"{base}/signin")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    await submit(page, "Sign in")


async def until_shown(page: Page, check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Reload until ``check`` holds (a page without live updates), bounded by ``WAIT_MS``."""
    for _ in range(WAIT_MS // 250):
        if await check():
            return
        await asyncio.sleep(0.25)
        await page.reload()
    raise AssertionError(f"never shown: {what}")


@pytest.mark.browser
async def test_invite_accept_use_revoke_and_the_car_stays_shut(
    live_server: LiveServer, registry: Runtime, tmp_path: Path
) -> None:
    require_chromium()
    base = live_server.url
    owner_email, driver_email = "keys.owner@example.com", "keys.driver@example.com"
    vin, unit = await owner_with_remote_car(
        live_server, registry, owner_email, model_code="NX450HP", market="BE"
    )
    driver = await make_owner(registry, email=driver_email)

    async def remote_connect(
        session: AsyncSession, vin: str, account_id: uuid.UUID, package: str, today: object
    ) -> bool:
        return package == "remote"  # the paid package that holds the digital key

    unregister = connected_services.register_subscription_check(remote_connect)
    unit.handlers = {**unit.handlers, **KEY_HANDLERS}
    reader = KeyReader.provision(unit, authority_public_text(live_server.settings, vin))
    unit.car.state.lock()
    try:
        async with running(unit), async_playwright_browser() as browser:
            owner = await (await browser.new_context(viewport=PHONE)).new_page()
            await sign_in(owner, base, owner_email)
            await owner.goto(f"{base}/vehicle/{vin}/services")
            await expect(
                owner.get_by_role("link", name="Open the Digital key page")
            ).to_be_visible()
            await owner.goto(f"{base}/vehicle/{vin}")
            await owner.get_by_role("link", name="Digital key").click()
            await expect(owner.get_by_role("heading", name="Digital key", level=1)).to_be_visible()

            # The owner's phone key: made by WebCrypto, the public key sent with the form.
            make_key = owner.get_by_role("button", name="Make this phone a key")
            await expect(make_key).to_be_enabled()
            await submit(owner, "Make this phone a key")
            await expect(owner.get_by_role("status")).to_have_text(
                "This phone is now a key to your car."
            )
            mine = owner.get_by_role("region", name="My keys")
            await expect(mine.get_by_text("Owner", exact=False)).to_be_visible()

            # Invite a limited driver (every day, at most 120 km/h).
            invite = owner.get_by_role("region", name="Invite a driver")
            await invite.get_by_label("Driver's e-mail address").fill(driver_email)
            await invite.get_by_label("Limited driver", exact=False).check()
            for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
                await invite.get_by_label(day).check()
            await invite.get_by_label("Saturday").check()
            await invite.get_by_label("Sunday").check()
            await invite.get_by_label("Maximum speed (km/h)").fill("120")
            await submit(owner, "Invite")
            code = (await owner.locator("[data-share-code] .share-code").inner_text()).strip()
            assert len(code) == 8, code
            drivers = owner.get_by_role("region", name="Invited drivers")
            waiting = drivers.locator("[data-invite]")
            await expect(waiting).to_contain_text(driver_email)
            await expect(waiting).to_contain_text("120 km/h")
            invite_id = await waiting.get_attribute("data-invite")
            await shot(owner, tmp_path, "owner-invited")
            await assert_accessible(owner)
            await owner.goto(f"{base}/vehicle/{vin}/keys")  # the code is shown once only
            await expect(owner.locator("[data-share-code]")).to_have_count(0)

            # The driver accepts in their own browser, with the share code.
            phone = await (await browser.new_context(viewport=PHONE)).new_page()
            await sign_in(phone, base, driver_email)
            await phone.goto(f"{base}/keys/invites/{invite_id}")
            await phone.get_by_label("Share code").fill("WRONGCOD")
            accept = phone.get_by_role("button", name="Accept and keep the key on this phone")
            await expect(accept).to_be_enabled()
            await submit(phone, "Accept and keep the key on this phone")
            await expect(phone.get_by_role("alert")).to_contain_text("share code")
            await phone.get_by_label("Share code").fill(code)
            await expect(accept).to_be_enabled()
            await submit(phone, "Accept and keep the key on this phone")
            await expect(phone.get_by_role("status").first).to_have_text(
                "The key is on this phone. Use it next to the car to open it."
            )
            async with registry.db.transaction() as session:
                (key,) = await keys.my_keys(session, driver)
            certificate = key.certificate
            assert certificate is not None

            # Use key: the car checks the certificate and the signed challenge, and opens.
            assert unit.car.state.is_locked
            await phone.get_by_role("button", name="Use key").click()
            answer = phone.locator(f'[data-answer-for="{key.id}"]')
            await expect(answer).to_have_text("The car is unlocked.", timeout=WAIT_MS)
            assert not unit.car.state.is_locked
            assert unit.car.state.speed_cap_kmh == 120
            await shot(phone, tmp_path, "driver-opened")
            await assert_accessible(phone)

            # The owner's dashboard shows the doors unlocked (the car's report, over the broker).
            await owner.goto(f"{base}/vehicle/{vin}")
            lock_tile = owner.locator(".tile-lock .tile-value")

            async def unlocked() -> bool:
                return (await lock_tile.inner_text()).strip() == "Unlocked"

            await until_shown(owner, unlocked, "the doors unlocked on the dashboard")

            # The owner revokes; pending until the car acknowledges, then confirmed.
            unit.car.state.lock()
            await owner.goto(f"{base}/vehicle/{vin}/keys")
            await submit(owner, f"Revoke {driver_email}")
            revocation = owner.locator(f'[data-key="{key.id}"] [data-revocation]')

            async def confirmed() -> bool:
                return await revocation.get_attribute("data-revocation") == "confirmed"

            await until_shown(owner, confirmed, "the car's confirmation of the revocation")
            assert str(key.id) in reader.revoked
            await shot(owner, tmp_path, "owner-revoked")

            # The driver can no longer open the car: the page refuses the revoked key ...
            await phone.goto(f"{base}/keys")
            await expect(phone.locator(f'[data-key="{key.id}"] .key-state')).to_have_text("Revoked")
            await expect(phone.get_by_role("button", name="Use key")).to_have_count(0)
            # ... and the car itself refuses the old certificate with a freshly signed answer.
            nonce = reader.challenge()
            text = f"linkplus-key-challenge|v1|{vin}|{b64(nonce)}"
            signed = await phone.evaluate(SIGN_WITH_STORED_KEY, [str(driver.id), text])
            assert reader.present(certificate, nonce, signed) is Refusal.revoked
            assert unit.car.state.is_locked
            await shot(phone, tmp_path, "driver-revoked")
    finally:
        unregister()
