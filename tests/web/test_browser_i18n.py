"""The car page and the Connected Services Centre in French and in Dutch, at phone size (390×844)
in headless Chromium against the real server.

French and Dutch sentences run longer than the English the pages were laid out with: nothing may
stick out of the screen sideways, and no text may be cut off inside a box that hides what
overflows. Screenshots go to /tmp/linkplus-i18n-screenshots, or to the folder
LINKPLUS_SCREENSHOTS names."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect
from sqlalchemy import update

from linkplus.models.accounts import Account
from linkplus.runtime import Runtime
from tests.support import DEFAULT_PASSWORD
from tests.vehicle_link.support import make_car
from tests.web.support import (
    PARKED,
    PHONE,
    FakeUnit,
    LiveServer,
    async_playwright_browser,
    keep_copy,
    require_chromium,
    submit,
)

SHOTS = Path(os.environ.get("LINKPLUS_SCREENSHOTS", "/tmp/linkplus-i18n-screenshots"))

# What sticks out: an element whose box ends right of the screen, or whose own words are wider
# than its box (they run over its edge, or are cut off where the box clips).
_OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const style = getComputedStyle(element);
    if (style.visibility === "hidden" || element.closest("[hidden], .visually-hidden")) continue;
    const name = element.tagName.toLowerCase() + (element.className ? "." + element.className : "");
    const words = element.textContent.trim().slice(0, 40);
    if (box.right > width + 1) found.push("outside: " + name + " " + words);
    const scrolls = ["auto", "scroll"].includes(style.overflowX);
    const ownText = [...element.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!scrolls && ownText && element.scrollWidth > element.clientWidth + 1)
      found.push("wider than its box: " + name + " " + words);
  }
  return found;
}"""

_WORDS = {
    "fr": {"car": "Trajets et notes de conduite", "services": "Centre des services connectés"},
    "nl": {"car": "Ritten en rijscores", "services": "Connected Services-centrum"},
}


async def _look(page: Page, tmp_path: Path, name: str) -> list[str]:
    shot = tmp_path / f"{name}.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert keep_copy(shot, SHOTS / f"{name}.png").startswith(b"\x89PNG")
    overflowing: list[str] = await page.evaluate(_OVERFLOWING)
    return overflowing


@pytest.mark.browser
@pytest.mark.parametrize("language", sorted(_WORDS))
async def test_the_car_and_services_pages_fit_a_phone_in_french_and_dutch(
    live_server: LiveServer, registry: Runtime, tmp_path: Path, language: str
) -> None:
    require_chromium()
    base = live_server.url
    async with httpx.AsyncClient(base_url=base) as api:
        car = await make_car(registry, api, model_code="NX450HP")
    async with registry.db.transaction() as session:
        await session.execute(
            update(Account)
            .where(Account.id == car.owner.account.id)
            .values(language=language, time_zone="Europe/Brussels")
        )
    unit = FakeUnit(registry, car.vin)
    reported = registry.clock.now() - timedelta(minutes=3)
    await unit.event("ignition_off", at=reported - timedelta(seconds=20))
    await unit.telemetry(PARKED, at=reported)

    async with async_playwright_browser() as browser:
        context = await browser.new_context(viewport=PHONE)
        page = await context.new_page()
        await page.goto(f"{base}/signin")
        await page.get_by_label("E-mail address").fill(car.owner.account.email)
        await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        await submit(page, "Sign in")
        found: dict[str, list[str]] = {}
        for name, path in (("car", ""), ("services", "/services")):
            await page.goto(f"{base}/vehicle/{car.vin}{path}")
            await expect(page.locator("html")).to_have_attribute("lang", language)
            await expect(page.locator("main")).to_contain_text(_WORDS[language][name])
            found[name] = await _look(page, tmp_path, f"app-{name}-phone-{language}")
        await context.close()
    assert found == {"car": [], "services": []}
