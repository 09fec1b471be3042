"""Plain helpers of the web tests (the fixtures, among them the live server, are in
``conftest.py``): forms read and sent back as a browser does, the owner journeys through the
wallet and subscription pages, and the system's Chromium for the browser tests."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from playwright.async_api import Browser, Page, async_playwright

from linkplus.config import Settings
from linkplus.models.accounts import Account
from linkplus.runtime import Runtime
from linkplus.vehicle_link.client import BrokerAddress
from tests.connected_services.support import link, make_vehicle
from tests.garage.support import Car
from tests.payments.support import BILLING, SANDBOX_URL, VISA, enter_card
from tests.servers import missing_service
from tests.support import DEFAULT_PASSWORD, make_owner

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


async def add_by_reading(
    client: httpx.AsyncClient, identifier: str, reading: int | str
) -> httpx.Response:
    return await post_form(
        client,
        "/vehicle/add",
        "/vehicle/add",
        {"identifier": identifier, "odometer_km": str(reading), "nickname": ""},
    )


def text_of(html: str) -> str:
    """The page's words without markup, for asserting on sentences."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@dataclass
class WebOwner:
    account: Account
    vin: str


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


async def web_owner(
    runtime: Runtime,
    browser: httpx.AsyncClient,
    *,
    delivered: date = date(2021, 6, 1),
    language: str = "de",
) -> WebOwner:
    """An owner signed in in ``browser``, primary account of a delivered car."""
    account = await make_owner(runtime, language=language)
    vin = await make_vehicle(runtime, first_delivery_date=delivered)
    await link(runtime, account, vin, primary=True)
    await sign_in(browser, account.email, DEFAULT_PASSWORD)
    return WebOwner(account, vin)


async def start_card(
    browser: httpx.AsyncClient, address: dict[str, str] | None = None
) -> httpx.Response:
    """Step 1 on the platform: the billing address form, answered with the provider's page."""
    page = await browser.get("/wallet/cards/new")
    assert page.status_code == 200, page.text
    fields = address if address is not None else BILLING
    return await browser.post(
        "/wallet/cards/new", data={**fields, "csrf_token": csrf_in(page.text)}
    )


async def add_card_in_pages(browser: httpx.AsyncClient, number: str = VISA) -> httpx.Response:
    """The whole journey: address, the provider's page (and its 3-D Secure challenge), back."""
    started = await start_card(browser)
    assert started.status_code == 303, started.text
    provider_page = started.headers["location"]
    assert provider_page.startswith(SANDBOX_URL + "/cards/new")
    result = await enter_card(browser, provider_page, number=number)
    back = result.location
    assert back.path == "/wallet/cards/added"
    return await browser.get(str(back))


CHECKED_CARD = re.compile(r'name="card_id" value="([0-9a-f-]{36})" checked')


def flow(vin: str, package: str) -> str:
    return f"/vehicle/{vin}/subscriptions/offers/{package}"


def hidden_fields(html: str) -> dict[str, str]:
    """The fields a step carries forward (address, plan, card), as the browser sends them."""
    found = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', html))
    found.pop("csrf_token", None)
    return found


async def subscribe_in_pages(
    browser: httpx.AsyncClient, vin: str, package: str, plan: str, **summary: str
) -> tuple[httpx.Response, str]:
    """Walk every step; returns the activation's answer and the summary page's text."""
    offer = await browser.get(flow(vin, package))
    assert offer.status_code == 200, offer.text
    address = await browser.get(f"{flow(vin, package)}/checkout?plan={plan}")
    assert address.status_code == 200, address.text
    assert 'value="Hauptstraße 1"' in address.text  # prefilled from the primary card
    fields = dict(
        re.findall(r'name="(name|street|postcode|city)"[^>]*value="([^"]*)"', address.text)
    )
    card_page = await browser.post(
        f"{flow(vin, package)}/checkout",
        data={
            **fields,
            "country": "DE",
            "plan": plan,
            "step": "address",
            "csrf_token": csrf_in(address.text),
        },
    )
    assert card_page.status_code == 200, card_page.text
    assert "Pay with" in card_page.text
    card_id = CHECKED_CARD.search(card_page.text)
    assert card_id, "the primary card is chosen by default"
    summary_page = await browser.post(
        f"{flow(vin, package)}/checkout",
        data={
            **hidden_fields(card_page.text),
            "card_id": card_id.group(1),
            "csrf_token": csrf_in(card_page.text),
        },
    )
    assert summary_page.status_code == 200, summary_page.text
    assert "Summary" in summary_page.text
    activated = await browser.post(
        f"{flow(vin, package)}/checkout",
        data={
            **hidden_fields(summary_page.text),
            **summary,
            "csrf_token": csrf_in(summary_page.text),
        },
    )
    return activated, summary_page.text


CHROMIUM = "/usr/bin/chromium"


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


PHONE = {"width": 390, "height": 844}


def require_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        missing_service("Chromium")


async def submit(page: Page, button: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=button).click()


@asynccontextmanager
async def async_playwright_browser() -> AsyncIterator[Browser]:
    """The system's Chromium, started and stopped around the test."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class LiveServer:
    """The whole platform served over real HTTP, as ``linkplus serve`` runs it."""

    url: str
    settings: Settings
    mqtt: BrokerAddress  # the embedded broker the simulated cars connect to
    runtime: Runtime  # a second runtime on the same database: prepare owners, cars and trips


def keep_copy(shot: Path, destination: Path) -> bytes:
    """Copy a screenshot where a person can look at it after the run; its bytes. Written beside
    the destination and renamed over it, so the same test running on two workers at once (one
    per database) never leaves a half-written file."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.{os.getpid()}")
    shutil.copyfile(shot, partial)
    os.replace(partial, destination)
    return shot.read_bytes()


async def signed_in_owner(runtime: Runtime, client: httpx.AsyncClient, **changes: str) -> Account:
    owner = await make_owner(runtime, **changes)
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    return owner


async def owner_with_car(
    runtime: Runtime, client: httpx.AsyncClient, car: Car, **changes: str
) -> Account:
    owner = await signed_in_owner(runtime, client, **changes)
    added = await add_by_reading(client, car.vin, car.odometer_km or 0)
    assert added.status_code == 303, added.text
    return owner
