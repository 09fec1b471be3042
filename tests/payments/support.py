"""Drive the sandbox provider's pages the way a browser does, and add cards through the API."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.payments.client import HttpPaymentProvider
from linkplus.payments.sandbox.cards import CHALLENGE_CODE

VISA = "4242424242424242"
MASTERCARD = "5555555555554444"
MASTERCARD_2 = "2221000000000009"
DECLINE = "4000000000000002"
NO_FUNDS = "4000000000009995"
ISSUER_EXPIRED = "4000000000000069"
CHALLENGE = "4000000000003063"
CHALLENGE_FAILS = "4000000000003089"
NEEDS_AUTH = "4000000000003220"
FLAKY_500 = "4000000000000119"
FLAKY_TIMEOUT = "4000000000000408"
AMEX = "378282246310005"

BILLING = {
    "name": "Alex Driver",
    "street": "Hauptstraße 1",
    "postcode": "10115",
    "city": "Berlin",
    "country": "DE",
}
RETURN_URL = "http://testserver/wallet/cards/added"
SANDBOX_URL = "http://testserver/sandbox-pay"  # where the ``app`` fixture serves the sandbox


@dataclass
class PaidSubscriptions:
    accounts: set[uuid.UUID] = field(default_factory=set)

    async def check(self, _session: AsyncSession, account_id: uuid.UUID) -> bool:
        return account_id in self.accounts


def form_action(html: str) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"', html)
    assert match, "no form on the page"
    return match.group(1)


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no field {name}"
    return match.group(1)


@dataclass
class PageResult:
    """Where the provider's page sent the browser last, and the page it answered with if not."""

    response: httpx.Response
    challenge_url: str | None = None

    @property
    def location(self) -> httpx.URL:
        assert self.response.status_code == 303, self.response.text
        return httpx.URL(self.response.headers["location"])

    @property
    def token(self) -> str:
        return self.location.params["token"]


async def enter_card(
    browser: httpx.AsyncClient,
    page_url: str,
    *,
    number: str,
    exp_month: str = "12",
    exp_year: str = "2030",
    cvc: str = "737",
    holder: str = "Alex Driver",
    code: str | None = CHALLENGE_CODE,
    answer: str = "confirm",
) -> PageResult:
    """Open the provider's card page, submit the card and, if asked, the 3-D Secure code
    (``code=None`` leaves the challenge unanswered)."""
    page = await browser.get(page_url)
    assert page.status_code == 200, page.text
    action = form_action(page.text)
    submitted = await browser.post(
        action,
        data={
            "session": hidden(page.text, "session"),
            "number": number,
            "exp_month": exp_month,
            "exp_year": exp_year,
            "cvc": cvc,
            "holder": holder,
        },
    )
    if submitted.status_code != 303 or "/sandbox-pay/3ds/" not in submitted.headers["location"]:
        return PageResult(submitted)
    challenge_url = submitted.headers["location"]
    if code is None:
        return PageResult(submitted, challenge_url=challenge_url)
    return PageResult(await answer_challenge(browser, challenge_url, code, answer), challenge_url)


async def answer_challenge(
    browser: httpx.AsyncClient, url: str, code: str, answer: str = "confirm"
) -> httpx.Response:
    challenge = await browser.get(url)
    assert challenge.status_code == 200, challenge.text
    return await browser.post(form_action(challenge.text), data={"code": code, "answer": answer})


async def tokenise(
    provider: HttpPaymentProvider, browser: httpx.AsyncClient, number: str, **typed: Any
) -> str:
    """A token straight from the provider (as any client of the protocol would get one)."""
    opened = await provider.create_card_session(reference="test", return_url=RETURN_URL)
    return (await enter_card(browser, opened.url, number=number, **typed)).token


async def add_card(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    number: str = VISA,
    billing: dict[str, str] | None = None,
    **typed: Any,
) -> httpx.Response:
    """The owner's whole journey: start in the API, type the card at the provider, finish in
    the API with the token the provider's page returned."""
    started = await client.post("/api/v1/wallet/cards/sessions", headers=headers)
    assert started.status_code == 201, started.text
    result = await enter_card(client, started.json()["url"], number=number, **typed)
    return await client.post(
        "/api/v1/wallet/cards",
        json={"token": result.token, "billing_address": billing or BILLING},
        headers=headers,
    )
