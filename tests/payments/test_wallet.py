"""The owner's wallet through the API: adding cards through the provider's page and 3-D Secure,
the primary card, removal, and what the platform never sees."""

from __future__ import annotations

import asyncio
import socket
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import String, Text, func, select

from linkplus.kit.clock import ManualClock
from linkplus.models import Base
from linkplus.models.accounts import Account
from linkplus.models.payments import PaymentCard, SandboxCardSession
from linkplus.notifications import service as notifications
from linkplus.payments import service as wallet
from linkplus.payments.client import HttpPaymentProvider
from linkplus.payments.sandbox.store import SandboxStore
from linkplus.runtime import Runtime
from tests.payments.support import (
    BILLING,
    CHALLENGE,
    CHALLENGE_FAILS,
    MASTERCARD,
    MASTERCARD_2,
    VISA,
    PaidSubscriptions,
    add_card,
    answer_challenge,
    enter_card,
)
from tests.support import bearer_for, make_owner


async def _owner(runtime: Runtime) -> tuple[Account, dict[str, str]]:
    account = await make_owner(runtime)
    return account, await bearer_for(runtime, account)


async def _cards(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, object]]:
    listed = await client.get("/api/v1/wallet/cards", headers=headers)
    assert listed.status_code == 200
    cards: list[dict[str, object]] = listed.json()
    return cards


async def test_adding_a_card_keeps_only_its_public_details(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _account, headers = await _owner(runtime)

    added = await add_card(client, headers, VISA, exp_month="7", exp_year="2029")

    assert added.status_code == 201, added.text
    card = added.json()
    assert {k: card[k] for k in ("brand", "last4", "exp_month", "exp_year", "is_primary")} == {
        "brand": "visa",
        "last4": "4242",
        "exp_month": 7,
        "exp_year": 2029,
        "is_primary": True,
    }
    assert card["billing_address"] == BILLING
    assert card["expired"] is False
    assert "token" not in card
    assert "fingerprint" not in card
    assert await _cards(client, headers) == [card]


async def test_the_platform_never_receives_or_stores_the_card_number(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _account, headers = await _owner(runtime)
    started = await client.post("/api/v1/wallet/cards/sessions", headers=headers)
    page = await client.get(started.json()["url"])
    # The form posts to the provider, not to the platform.
    assert 'action="http://testserver/sandbox-pay/cards/new"' in page.text
    assert (await add_card(client, headers, VISA, cvc="737")).status_code == 201
    assert (await add_card(client, headers, CHALLENGE, cvc="737")).status_code == 201

    # Nothing the platform owns can hold a card number or a security code ...
    columns = {c.name for t in Base.metadata.sorted_tables for c in t.columns}
    assert not columns & {"pan", "card_number", "cvc", "cvv", "security_code"}
    card_columns = {c.name for c in PaymentCard.__table__.columns}
    assert not card_columns & {"number", "code"}
    # ... and no value anywhere in the platform's tables contains one.
    async with runtime.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            if table.name.startswith("sandbox_"):
                continue  # the provider's own storage
            texts = [c for c in table.columns if isinstance(c.type, String | Text)]
            for row in (await session.execute(select(*texts))).all() if texts else []:
                for value in row:
                    assert VISA not in str(value)
                    assert CHALLENGE not in str(value)
    # The API refuses a card number if someone sends one.
    refused = await client.post(
        "/api/v1/wallet/cards",
        json={"token": "tok_x", "number": VISA, "cvc": "737", "billing_address": BILLING},
        headers=headers,
    )
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json()["errors"]} == {"body.number", "body.cvc"}


async def test_the_first_card_is_primary_and_primary_can_move_any_time(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    account, headers = await _owner(runtime)
    first = (await add_card(client, headers, VISA)).json()
    second = (await add_card(client, headers, MASTERCARD)).json()
    assert (first["is_primary"], second["is_primary"]) == (True, False)

    moved = await client.post(f"/api/v1/wallet/cards/{second['id']}/primary", headers=headers)

    assert moved.status_code == 200
    assert moved.json()["is_primary"] is True
    primaries = [c["id"] for c in await _cards(client, headers) if c["is_primary"]]
    assert primaries == [second["id"]]
    async with runtime.db.transaction() as session:
        primary = await wallet.primary_card(session, account_id=account.id)
    assert primary is not None
    assert str(primary.id) == second["id"]


async def test_a_challenge_card_is_added_after_the_right_code(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _account, headers = await _owner(runtime)

    added = await add_card(client, headers, CHALLENGE, code="123456")

    assert added.status_code == 201, added.text
    assert added.json()["last4"] == "3063"


@pytest.mark.parametrize(("number", "code"), [(CHALLENGE, "999999"), (CHALLENGE_FAILS, "123456")])
async def test_a_failed_3ds_check_keeps_the_card_out(
    runtime: Runtime, client: httpx.AsyncClient, number: str, code: str
) -> None:
    _account, headers = await _owner(runtime)

    refused = await add_card(client, headers, number, code=code)

    assert refused.status_code == 409
    assert refused.json()["code"] == "three_ds_failed"
    assert await _cards(client, headers) == []


async def test_a_card_without_its_3ds_check_must_complete_it_first(
    runtime: Runtime,
    client: httpx.AsyncClient,
    provider: HttpPaymentProvider,
    sandbox: SandboxStore,
) -> None:
    account, headers = await _owner(runtime)
    # A token whose challenge was never answered (the browser was closed on the challenge).
    opened = await provider.create_card_session(
        reference=wallet.card_reference(account.id), return_url="http://testserver/back"
    )
    abandoned = await enter_card(client, opened.url, number=CHALLENGE, code=None)
    assert abandoned.challenge_url is not None
    challenge_page = await client.get(abandoned.challenge_url)
    assert challenge_page.status_code == 200
    async with sandbox.transaction() as s:
        page = await s.get(SandboxCardSession, opened.id)
    assert page is not None
    assert page.token is not None
    token = page.token
    body = {"token": token, "billing_address": BILLING}

    first = await client.post("/api/v1/wallet/cards", json=body, headers=headers)
    assert first.status_code == 409
    assert first.json()["code"] == "three_ds_required"
    await answer_challenge(client, first.json()["challenge_url"], "123456")
    second = await client.post("/api/v1/wallet/cards", json=body, headers=headers)

    assert second.status_code == 201, second.text
    assert second.json()["is_primary"] is True


async def test_the_same_card_twice_is_refused_until_removed(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _account, headers = await _owner(runtime)
    first = (await add_card(client, headers, MASTERCARD_2)).json()

    again = await add_card(client, headers, "2221 0000 0000 0009", exp_year="2031")

    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_card"
    assert "ending in 0009 is already in your wallet" in again.json()["detail"]
    removed = await client.delete(f"/api/v1/wallet/cards/{first['id']}", headers=headers)
    assert removed.status_code == 204
    assert (await add_card(client, headers, MASTERCARD_2, exp_year="2031")).status_code == 201


async def test_the_same_card_in_two_wallets_is_fine(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _a, alice = await _owner(runtime)
    _b, bob = await _owner(runtime)

    assert (await add_card(client, alice, VISA)).status_code == 201
    assert (await add_card(client, bob, VISA)).status_code == 201


async def test_a_token_from_another_accounts_session_is_unknown(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _a, alice = await _owner(runtime)
    _b, bob = await _owner(runtime)
    started = await client.post("/api/v1/wallet/cards/sessions", headers=alice)
    token = (await enter_card(client, started.json()["url"], number=VISA)).token

    stolen = await client.post(
        "/api/v1/wallet/cards", json={"token": token, "billing_address": BILLING}, headers=bob
    )
    unknown = await client.post(
        "/api/v1/wallet/cards", json={"token": "tok_nope", "billing_address": BILLING}, headers=bob
    )

    assert stolen.status_code == unknown.status_code == 422
    assert stolen.json()["code"] == unknown.json()["code"] == "card_token_invalid"
    assert await _cards(client, bob) == []


async def test_a_retried_add_returns_the_card_already_added(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _account, headers = await _owner(runtime)
    started = await client.post("/api/v1/wallet/cards/sessions", headers=headers)
    token = (await enter_card(client, started.json()["url"], number=VISA)).token
    body = {"token": token, "billing_address": BILLING}

    first = await client.post("/api/v1/wallet/cards", json=body, headers=headers)
    again = await client.post("/api/v1/wallet/cards", json=body, headers=headers)

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len(await _cards(client, headers)) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"street": ""}, "body.billing_address.street"),
        ({"postcode": None}, "body.billing_address.postcode"),
        ({"country": "XX"}, "body.billing_address.country"),
        ({"phone": "+49"}, "body.billing_address.phone"),
    ],
)
async def test_a_complete_billing_address_is_required(
    runtime: Runtime, client: httpx.AsyncClient, change: dict[str, str | None], field: str
) -> None:
    _account, headers = await _owner(runtime)
    address = {k: v for k, v in {**BILLING, **change}.items() if v is not None}

    refused = await add_card(client, headers, VISA, billing=address)

    assert refused.status_code == 422
    assert field in {e["field"] for e in refused.json()["errors"]}


async def test_the_return_address_must_be_ours(runtime: Runtime, client: httpx.AsyncClient) -> None:
    _account, headers = await _owner(runtime)

    ours = await client.post(
        "/api/v1/wallet/cards/sessions",
        json={"return_url": "http://testserver/app/wallet?step=2"},
        headers=headers,
    )
    theirs = await client.post(
        "/api/v1/wallet/cards/sessions",
        json={"return_url": "https://evil.example/collect"},
        headers=headers,
    )

    assert ours.status_code == 201
    assert ours.json()["return_url"] == "http://testserver/app/wallet?step=2"
    assert theirs.status_code == 422
    assert theirs.json()["code"] == "return_url_not_allowed"


# --- removal -----------------------------------------------------------------------------------


async def test_removing_the_primary_card_makes_the_newest_other_one_primary(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    _account, headers = await _owner(runtime)
    first = (await add_card(client, headers, VISA)).json()
    clock.advance(minutes=1)
    await add_card(client, headers, MASTERCARD)
    clock.advance(minutes=1)
    newest = (await add_card(client, headers, MASTERCARD_2)).json()

    removed = await client.delete(f"/api/v1/wallet/cards/{first['id']}", headers=headers)

    assert removed.status_code == 204
    cards = await _cards(client, headers)
    assert [c["id"] for c in cards if c["is_primary"]] == [newest["id"]]
    assert first["id"] not in {c["id"] for c in cards}


async def test_the_last_card_can_go_without_a_paid_subscription(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _account, headers = await _owner(runtime)
    card = (await add_card(client, headers, VISA)).json()

    removed = await client.delete(f"/api/v1/wallet/cards/{card['id']}", headers=headers)

    assert removed.status_code == 204
    assert await _cards(client, headers) == []


async def test_with_a_paid_subscription_the_last_card_stays(
    runtime: Runtime, client: httpx.AsyncClient, paid_subscriptions: PaidSubscriptions
) -> None:
    account, headers = await _owner(runtime)
    first = (await add_card(client, headers, VISA)).json()
    second = (await add_card(client, headers, MASTERCARD)).json()
    paid_subscriptions.accounts.add(account.id)

    one_of_two = await client.delete(f"/api/v1/wallet/cards/{first['id']}", headers=headers)
    last = await client.delete(f"/api/v1/wallet/cards/{second['id']}", headers=headers)

    assert one_of_two.status_code == 204
    assert last.status_code == 409
    assert last.json()["code"] == "card_needed_for_subscription"
    assert "cancel your paid subscriptions" in last.json()["detail"]
    assert [c["id"] for c in await _cards(client, headers)] == [second["id"]]
    paid_subscriptions.accounts.clear()  # subscription cancelled
    assert (
        await client.delete(f"/api/v1/wallet/cards/{second['id']}", headers=headers)
    ).status_code == 204


async def test_without_a_registered_hook_nobody_has_a_paid_subscription(
    runtime: Runtime,
) -> None:
    async with runtime.db.transaction() as session:
        assert await wallet.has_active_paid_subscription(session, uuid.uuid4()) is False


async def test_concurrent_removals_never_leave_a_subscriber_without_a_card(
    runtime: Runtime, client: httpx.AsyncClient, paid_subscriptions: PaidSubscriptions
) -> None:
    account, headers = await _owner(runtime)
    ids = [(await add_card(client, headers, n)).json()["id"] for n in (VISA, MASTERCARD)]
    paid_subscriptions.accounts.add(account.id)

    results = await asyncio.gather(
        *(client.delete(f"/api/v1/wallet/cards/{card_id}", headers=headers) for card_id in ids)
    )

    assert sorted(r.status_code for r in results) == [204, 409]
    assert len(await _cards(client, headers)) == 1


async def test_concurrent_first_cards_get_exactly_one_primary(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _account, headers = await _owner(runtime)
    tokens = []
    for number in (VISA, MASTERCARD, MASTERCARD_2):
        started = await client.post("/api/v1/wallet/cards/sessions", headers=headers)
        tokens.append((await enter_card(client, started.json()["url"], number=number)).token)

    results = await asyncio.gather(
        *(
            client.post(
                "/api/v1/wallet/cards",
                json={"token": token, "billing_address": BILLING},
                headers=headers,
            )
            for token in tokens
        )
    )

    assert [r.status_code for r in results] == [201, 201, 201]
    assert sum(1 for c in await _cards(client, headers) if c["is_primary"]) == 1


async def test_another_accounts_card_is_not_found_like_an_unknown_one(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _a, alice = await _owner(runtime)
    _b, bob = await _owner(runtime)
    card = (await add_card(client, alice, VISA)).json()

    for path in (f"/api/v1/wallet/cards/{card['id']}", f"/api/v1/wallet/cards/{uuid.uuid4()}"):
        delete = await client.delete(path, headers=bob)
        primary = await client.post(f"{path}/primary", headers=bob)
        assert (delete.status_code, primary.status_code) == (404, 404)
        assert delete.json()["detail"] == primary.json()["detail"]
        assert delete.json()["code"] == "card_not_found"
    assert len(await _cards(client, alice)) == 1


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
async def test_cards_cannot_be_edited(
    runtime: Runtime, client: httpx.AsyncClient, method: str
) -> None:
    _account, headers = await _owner(runtime)
    card = (await add_card(client, headers, VISA)).json()

    edited = await client.request(
        method, f"/api/v1/wallet/cards/{card['id']}", json={"exp_year": 2035}, headers=headers
    )

    assert edited.status_code == 405
    assert edited.json()["code"] == "card_not_editable"
    assert "Add a new card" in edited.json()["detail"]
    assert edited.headers["allow"] == "DELETE"
    assert (await _cards(client, headers))[0]["exp_year"] == 2030


async def test_the_wallet_needs_a_signed_in_owner(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/wallet/cards")).status_code == 401
    assert (await client.post("/api/v1/wallet/cards/sessions")).status_code == 401


# --- expiry --------------------------------------------------------------------------------------


async def test_the_owner_is_told_once_before_the_primary_card_expires(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    account, headers = await _owner(runtime)
    await add_card(client, headers, VISA, exp_month="1", exp_year="2027")
    await add_card(client, headers, MASTERCARD, exp_month="12", exp_year="2026")  # not primary

    async with runtime.db.transaction() as session:
        early = await wallet.notify_expiring_cards(session, runtime, now=clock.now())
    clock.set(datetime(2027, 1, 5, 9, tzinfo=UTC))  # 27 days before the end of January
    async with runtime.db.transaction() as session:
        told = await wallet.notify_expiring_cards(session, runtime, now=clock.now())
        again = await wallet.notify_expiring_cards(session, runtime, now=clock.now())
        inbox = await notifications.inbox(session, account_id=account.id)
    headers = await bearer_for(runtime, account)  # the old access token ran out meanwhile

    assert (early, told, again) == (0, 1, 0)
    assert [(n.kind, n.title) for n in inbox] == [
        ("card_expiring", "Your card ending in 4242 expires soon")
    ]
    cards = {c["last4"]: c for c in await _cards(client, headers)}
    assert cards["4242"]["expires_soon"] is True
    assert cards["4444"]["expired"] is True


async def test_a_card_expired_before_it_is_added_is_refused(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    account, headers = await _owner(runtime)
    started = await client.post("/api/v1/wallet/cards/sessions", headers=headers)
    token = (
        await enter_card(client, started.json()["url"], number=VISA, exp_month="11", exp_year="26")
    ).token
    clock.set(datetime(2026, 12, 1, tzinfo=UTC))  # the owner took a while
    headers = await bearer_for(runtime, account)

    late = await client.post(
        "/api/v1/wallet/cards", json={"token": token, "billing_address": BILLING}, headers=headers
    )

    assert late.status_code == 422
    assert late.json()["code"] == "card_expired"
    async with runtime.db.transaction() as session:
        count = await session.scalar(select(func.count()).select_from(PaymentCard))
    assert count == 0


async def test_a_provider_outage_is_a_503_that_says_to_try_again(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _account, headers = await _owner(runtime)
    with socket.socket() as closed:  # bound, never listening
        closed.bind(("127.0.0.1", 0))
        runtime.payments = HttpPaymentProvider(
            base_url=f"http://127.0.0.1:{closed.getsockname()[1]}/sandbox-pay",
            api_key="k",
            timeout=2.0,
        )
        started = await client.post("/api/v1/wallet/cards/sessions", headers=headers)

    assert started.status_code == 503
    assert started.json()["code"] == "payment_provider_unavailable"
    assert "try again" in started.json()["detail"].lower()


def test_by_default_the_platform_talks_to_the_sandbox_in_this_app(runtime: Runtime) -> None:
    runtime.payments = None

    default = wallet.provider(runtime)

    assert isinstance(default, HttpPaymentProvider)
    assert default.base_url == "http://testserver/sandbox-pay"
