"""Odd return addresses and odd card fields: one URL rule on both sides of the provider, and the
sandbox's card page reads only ASCII digits. A 422 naming the field, never a 500."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from linkplus.models.payments import SandboxCard
from linkplus.payments.client import HttpPaymentProvider
from linkplus.payments.endpoint import provider_key
from linkplus.payments.sandbox.store import SandboxStore
from linkplus.runtime import Runtime
from tests.payments.support import RETURN_URL, VISA, enter_card
from tests.support import bearer_for, make_owner

SESSIONS = "/api/v1/wallet/cards/sessions"

# Written differently, the same address on this platform (public URL http://testserver).
OURS_IN_OTHER_CASE = [
    ("HTTP://testserver/x", "http://testserver/x"),
    ("HtTp://TestServer/wallet?Step=2", "http://testserver/wallet?Step=2"),
    ("http://testserver:80/x", "http://testserver:80/x"),
]
# Not an address at all under the one rule.
MALFORMED = [
    " http://testserver/x",
    "\thttp://testserver/x",
    "\x00http://testserver/x",
    "http://testserver/x ",
    "http://testserver/x\t",
    "http://testserver/x\x00",
    "http://testserver/a b",
    "http://testserver/\u202ex",
    "http://evil.example@testserver/x",
    "http://testserver\\@evil.example/x",
    "javascript://testserver/%0aalert(1)",
    "http://testserver:99999/x",
]
# Well-formed, but not ours.
ELSEWHERE = ["HTTP://evil.example/x", "https://testserver/x", "http://testserver:8000/x"]


async def _headers(runtime: Runtime) -> dict[str, str]:
    return await bearer_for(runtime, await make_owner(runtime))


@pytest.mark.parametrize(("typed", "normalised"), OURS_IN_OTHER_CASE)
async def test_our_address_in_another_case_is_ours_and_reaches_the_provider_normalised(
    runtime: Runtime, client: httpx.AsyncClient, typed: str, normalised: str
) -> None:
    opened = await client.post(
        SESSIONS, json={"return_url": typed}, headers=await _headers(runtime)
    )

    assert opened.status_code == 201, opened.text
    assert opened.json()["return_url"] == normalised


@pytest.mark.parametrize("typed", MALFORMED)
async def test_a_malformed_return_address_is_a_422_naming_the_field(
    runtime: Runtime, client: httpx.AsyncClient, typed: str
) -> None:
    refused = await client.post(
        SESSIONS, json={"return_url": typed}, headers=await _headers(runtime)
    )

    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "invalid_input"
    assert [e["field"] for e in problem["errors"]] == ["body.return_url"]
    assert "address" in problem["errors"][0]["message"]


@pytest.mark.parametrize("typed", ELSEWHERE)
async def test_another_origin_is_refused_as_not_ours(
    runtime: Runtime, client: httpx.AsyncClient, typed: str
) -> None:
    refused = await client.post(
        SESSIONS, json={"return_url": typed}, headers=await _headers(runtime)
    )

    assert refused.status_code == 422
    assert refused.json()["code"] == "return_url_not_allowed"


@pytest.mark.parametrize(
    "typed", [t for t, _ in OURS_IN_OTHER_CASE] + MALFORMED + ELSEWHERE + [RETURN_URL]
)
async def test_the_wallet_and_the_provider_read_a_return_address_alike(
    runtime: Runtime, client: httpx.AsyncClient, typed: str
) -> None:
    """Whatever the wallet lets through, the provider takes; what the provider's protocol
    refuses, the wallet refused first (it used to accept what the provider then raised on)."""
    wallet = await client.post(
        SESSIONS, json={"return_url": typed}, headers=await _headers(runtime)
    )
    provider = await client.post(
        "/sandbox-pay/v1/card-sessions",
        json={"reference": "r", "return_url": typed},
        headers={"Authorization": f"Bearer {provider_key(runtime.settings)}"},
    )

    assert wallet.status_code in (201, 422)
    assert provider.status_code in (200, 422)
    if wallet.status_code == 201:
        assert provider.status_code == 200
    if provider.status_code == 422:
        assert wallet.status_code == 422
        assert wallet.json()["code"] == "invalid_input"


async def _cards(sandbox: SandboxStore) -> int:
    async with sandbox.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(SandboxCard)) or 0)


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        ({"number": "4242 4242 4242 424²"}, "number"),
        ({"number": "²" * 16}, "number"),
        ({"number": "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢"}, "number"),
        ({"exp_month": "١٢"}, "expiry"),
        ({"exp_month": "+12"}, "expiry"),
        ({"exp_year": " 2030"}, "expiry"),
        ({"exp_year": "2_030"}, "expiry"),
        ({"cvc": "²²²"}, "cvc"),
        ({"cvc": "٧٣٧"}, "cvc"),
    ],
)
async def test_the_card_page_reads_only_ascii_digits(
    provider: HttpPaymentProvider,
    client: httpx.AsyncClient,
    sandbox: SandboxStore,
    typed: dict[str, str],
    field: str,
) -> None:
    """The card page needs no sign-in: anyone can send it anything."""
    opened = await provider.create_card_session(reference="r", return_url=RETURN_URL)

    result = await enter_card(client, opened.url, **{"number": VISA, **typed})

    assert result.response.status_code == 422, result.response.text
    assert f'data-field="{field}"' in result.response.text
    assert await _cards(sandbox) == 0


@pytest.mark.parametrize("amount", [2**63, 2**64 + 1, 0, -5, 1.5, True])
async def test_the_providers_charge_amount_is_bounded(
    runtime: Runtime, client: httpx.AsyncClient, amount: object
) -> None:
    answer = await client.post(
        "/sandbox-pay/v1/charges",
        json={"token": "tok_any", "amount_minor": amount, "currency": "EUR"},
        headers={
            "Authorization": f"Bearer {provider_key(runtime.settings)}",
            "Idempotency-Key": "k1",
        },
    )

    assert answer.status_code == 422, answer.text
