"""The wallet pages: a card added through the provider's page with the billing address asked
first, primary, removal and its refusal, CSRF, another account's card, and the return page that
must not leak its token through the Referer header."""

from __future__ import annotations

import re
import uuid
from datetime import date

import httpx
import pytest

from linkplus.kit.clock import ManualClock
from linkplus.runtime import Runtime
from tests.payments.support import (
    BILLING,
    CHALLENGE,
    MASTERCARD,
    VISA,
    PaidSubscriptions,
    enter_card,
)
from tests.web.support import add_card_in_pages, at, csrf_in, start_card, text_of, web_owner

CARD_ID = re.compile(r"/wallet/cards/([0-9a-f-]{36})/remove")


@pytest.fixture
def client(paying_client: httpx.AsyncClient) -> httpx.AsyncClient:
    """These pages pay: their client talks to the app whose payment sandbox is reached over
    HTTP (the ``app`` fixture of ``tests/conftest.py``)."""
    return paying_client


def card_ids(html: str) -> list[str]:
    return CARD_ID.findall(html)


async def post_on(
    browser: httpx.AsyncClient, page: str, action: str, fields: dict[str, str] | None = None
) -> httpx.Response:
    opened = await browser.get(page)
    assert opened.status_code == 200, opened.text
    return await browser.post(action, data={**(fields or {}), "csrf_token": csrf_in(opened.text)})


# --- tests -----------------------------------------------------------------------------------


async def test_a_card_is_added_through_the_provider_with_the_address_asked_first(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    clock.set(at(date(2026, 1, 5)))
    await web_owner(runtime, client)
    empty = await client.get("/wallet")
    assert empty.status_code == 200
    assert "No cards yet" in empty.text
    assert "add a new card instead" in empty.text

    added = await add_card_in_pages(client, VISA)
    assert (added.status_code, added.headers["location"]) == (303, "/wallet?done=card_added")
    assert added.headers["referrer-policy"] == "no-referrer"
    assert "lp_card_billing=" in added.headers["set-cookie"]  # cleared once used
    wallet = await client.get("/wallet?done=card_added")
    assert "The card is in your wallet." in wallet.text
    assert "Visa ending in 4242" in wallet.text
    assert "Valid until 12/2030" in wallet.text
    assert "Primary" in wallet.text
    assert "Alex Driver, Hauptstraße 1, 10115 Berlin, DE" in wallet.text
    assert "/edit" not in wallet.text  # cards cannot be edited

    # A 3-D Secure card: the challenge on the provider's page, then the second card.
    second = await add_card_in_pages(client, CHALLENGE)
    assert second.status_code == 303, second.text
    wallet = await client.get("/wallet")
    assert wallet.text.count("Primary") == 1
    first_id, challenge_id = card_ids(wallet.text)
    made = await post_on(client, "/wallet", f"/wallet/cards/{challenge_id}/primary")
    assert (made.status_code, made.headers["location"]) == (303, "/wallet?done=card_primary")
    wallet = await client.get("/wallet")
    assert f"/wallet/cards/{challenge_id}/primary" not in wallet.text
    assert f"/wallet/cards/{first_id}/primary" in wallet.text

    removed = await post_on(client, "/wallet", f"/wallet/cards/{first_id}/remove")
    assert removed.headers["location"] == "/wallet?done=card_removed"
    assert card_ids((await client.get("/wallet")).text) == [challenge_id]


async def test_a_german_owners_primary_card_is_the_hauptkarte_not_the_hauptkonto(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    """ "Primary" names both a car's account and a card; the card's badge has its own context,
    so German reads "Hauptkarte" there (before, the account's "Hauptkonto")."""
    clock.set(at(date(2026, 1, 5)))
    await web_owner(runtime, client, language="de")
    await add_card_in_pages(client, VISA)
    wallet = text_of((await client.get("/wallet")).text)
    assert "Visa mit Endziffern 4242 Hauptkarte" in wallet
    assert "Hauptkonto" not in wallet


async def test_the_address_is_required_and_the_return_needs_the_signed_address(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    clock.set(at(date(2026, 1, 5)))
    await web_owner(runtime, client)
    refused = await start_card(client, {**BILLING, "street": "", "country": "XX"})
    assert refused.status_code == 422
    assert "Fill in this field." in refused.text
    assert "two-letter ISO country code" in refused.text

    # Back from the provider without the address cookie, or with a forged one: nothing saved.
    bare = await client.get("/wallet/cards/added?token=tok_x&three_ds=authenticated")
    assert bare.status_code == 400
    assert bare.headers["referrer-policy"] == "no-referrer"
    assert "billing address you entered has expired" in bare.text
    client.cookies.set("lp_card_billing", "eyJhIjoiMSJ9.forged", path="/wallet")
    forged = await client.get("/wallet/cards/added?token=tok_x&three_ds=authenticated")
    assert forged.status_code == 400
    assert card_ids((await client.get("/wallet")).text) == []

    # The address waits at most 30 minutes for the provider's page.
    started = await start_card(client)
    result = await enter_card(client, started.headers["location"], number=VISA)
    clock.advance(minutes=31)
    late = await client.get(str(result.location))
    assert late.status_code == 400
    assert card_ids((await client.get("/wallet")).text) == []


async def test_forms_without_their_token_are_refused(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    clock.set(at(date(2026, 1, 5)))
    await web_owner(runtime, client)
    await add_card_in_pages(client, VISA)
    (card_id,) = card_ids((await client.get("/wallet")).text)
    for action in ("/wallet/cards/new", f"/wallet/cards/{card_id}/remove"):
        answer = await client.post(action, data={**BILLING, "csrf_token": "forged.token"})
        assert answer.status_code == 403, action
    assert card_ids((await client.get("/wallet")).text) == [card_id]


async def test_another_accounts_card_is_not_found(
    runtime: Runtime,
    clock: ManualClock,
    client: httpx.AsyncClient,
    other_browser: httpx.AsyncClient,
) -> None:
    clock.set(at(date(2026, 1, 5)))
    await web_owner(runtime, client)
    await add_card_in_pages(client, VISA)
    (card_id,) = card_ids((await client.get("/wallet")).text)
    await web_owner(runtime, other_browser)
    await add_card_in_pages(other_browser, MASTERCARD)
    for target in (card_id, str(uuid.uuid4()), "not-a-card"):
        for verb in ("remove", "primary"):
            answer = await post_on(other_browser, "/wallet", f"/wallet/cards/{target}/{verb}")
            assert answer.status_code == 404, (target, verb)
    assert card_ids((await client.get("/wallet")).text) == [card_id]
    assert "ending in 4444" not in (await client.get("/wallet")).text


async def test_the_last_card_stays_while_a_paid_subscription_is_active(
    runtime: Runtime,
    clock: ManualClock,
    client: httpx.AsyncClient,
    paid_subscriptions: PaidSubscriptions,
) -> None:
    clock.set(at(date(2026, 1, 5)))
    me = await web_owner(runtime, client)
    await add_card_in_pages(client, VISA)
    (card_id,) = card_ids((await client.get("/wallet")).text)
    paid_subscriptions.accounts.add(me.account.id)
    refused = await post_on(client, "/wallet", f"/wallet/cards/{card_id}/remove")
    assert refused.status_code == 409
    assert "This is the last card in your wallet and you have an active paid subscription" in (
        refused.text
    )
    assert card_ids(refused.text) == [card_id]


async def test_signed_out_visitors_go_to_sign_in(client: httpx.AsyncClient) -> None:
    for path in ("/wallet", "/wallet/cards/new", "/invoices"):
        answer = await client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/signin?next=")


@pytest.mark.parametrize(
    ("next_path", "lands_on"),
    [
        ("/vehicle/X/subscriptions/offers/svt/checkout?plan=yearly&step=card", None),
        ("//evil.example/steal", "/wallet?done=card_added"),
        ("/\\evil.example", "/wallet?done=card_added"),
        ("https://evil.example/", "/wallet?done=card_added"),
        ("/wallet#x", "/wallet?done=card_added"),
    ],
)
async def test_adding_a_card_returns_to_the_page_that_asked_only_if_it_is_on_this_site(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient, next_path: str, lands_on: str
) -> None:
    """Checkout sends the owner to add a card with ``next``: the owner comes back there once the
    card is saved, and never to another site (the shared strict path parser decides)."""
    clock.set(at(date(2026, 1, 5)))
    await web_owner(runtime, client)
    page = await client.get("/wallet/cards/new", params={"next": next_path})
    expected_next = lands_on is None
    assert ('name="next"' in page.text) == expected_next
    started = await client.post(
        "/wallet/cards/new",
        data={**BILLING, "next": next_path, "csrf_token": csrf_in(page.text)},
    )
    assert started.status_code == 303, started.text
    result = await enter_card(client, started.headers["location"], number=VISA)
    back = await client.get(str(result.location))
    assert back.status_code == 303
    assert back.headers["location"] == (lands_on or next_path)
    wallet = await client.get("/wallet")
    assert len(card_ids(wallet.text)) == 1  # saved either way
