"""Sign-in: the OAuth2 password grant, non-revealing refusals, throttling and re-hashing."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
from sqlalchemy import select

from linkplus.accounts.passwords import verify_password
from linkplus.config import Settings
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import Account
from linkplus.runtime import Runtime
from tests.accounts.support import PASSWORD, bearer, registered, sign_in, token_mailed_to
from tests.support import Mailbox


def _comparable(answer: httpx.Response) -> tuple[int, dict[str, Any], str | None]:
    return answer.status_code, answer.json(), answer.headers.get("retry-after")


async def test_sign_in_returns_a_short_lived_owner_token_and_a_refresh_token(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    await registered(client, worker, mailbox, "owner@example.com")
    answer = await sign_in(client, "owner@example.com")
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["refresh_token"]
    assert answer.headers["cache-control"] == "no-store"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["aud"] == "owner"
    assert claims["exp"] - claims["iat"] == 900
    assert "role" not in claims


async def test_access_token_expires_after_15_minutes(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, clock: ManualClock
) -> None:
    await registered(client, worker, mailbox, "brief@example.com")
    headers = bearer((await sign_in(client, "brief@example.com")).json())
    clock.advance(minutes=14, seconds=59)
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    clock.advance(seconds=1)
    expired = await client.get("/api/v1/me", headers=headers)
    assert expired.status_code == 401
    assert expired.json()["code"] == "token_expired"


async def test_authenticated_answers_are_not_cached(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    await registered(client, worker, mailbox, "nocache@example.com")
    headers = bearer((await sign_in(client, "nocache@example.com")).json())
    me = await client.get("/api/v1/me", headers=headers)
    assert me.headers["cache-control"] == "no-store"
    refused = await client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_token"


async def test_unknown_address_and_wrong_password_get_the_same_answer(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    await registered(client, worker, mailbox, "known@example.com")
    wrong = await sign_in(client, "known@example.com", "not the right password")
    unknown = await sign_in(client, "unknown@example.com", "not the right password")
    malformed = await sign_in(client, "not an address", "not the right password")
    assert _comparable(wrong) == _comparable(unknown) == _comparable(malformed)
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_credentials"


async def test_missing_form_fields_are_refused(client: httpx.AsyncClient) -> None:
    answer = await client.post("/api/v1/auth/token", data={"username": "a@example.com"})
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["body.password"]


async def _fail(client: httpx.AsyncClient, email: str, times: int) -> list[httpx.Response]:
    return [await sign_in(client, email, "wrong password guess") for _ in range(times)]


async def test_failures_back_off_exponentially_even_for_the_right_password(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, clock: ManualClock
) -> None:
    await registered(client, worker, mailbox, "guessed@example.com")
    answers = await _fail(client, "guessed@example.com", 6)
    assert [a.status_code for a in answers] == [401] * 6  # the 6th failure starts a 1 s wait

    blocked = await sign_in(client, "guessed@example.com")  # right password, still refused
    assert blocked.status_code == 429
    assert blocked.headers["retry-after"] == "1"
    body = blocked.json()
    assert body["code"] == "sign_in_throttled"
    assert "try again in 1 seconds or reset your password" in body["detail"].lower()

    clock.advance(seconds=1)
    assert (await sign_in(client, "guessed@example.com", "wrong again guess")).status_code == 401
    second = await sign_in(client, "guessed@example.com")
    assert second.status_code == 429
    assert second.headers["retry-after"] == "2"

    clock.advance(seconds=2)
    assert (await sign_in(client, "guessed@example.com")).status_code == 200
    # The success ended the run: five fresh mistakes are free again.
    assert [a.status_code for a in await _fail(client, "guessed@example.com", 5)] == [401] * 5
    assert (await sign_in(client, "guessed@example.com")).status_code == 200


async def test_unknown_address_is_throttled_exactly_like_a_known_one(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    await registered(client, worker, mailbox, "real@example.com")
    known = await _fail(client, "real@example.com", 8)
    unknown = await _fail(client, "ghost@example.com", 8)
    assert [_comparable(a) for a in known] == [_comparable(a) for a in unknown]
    assert known[-1].status_code == 429


async def test_hundred_failures_an_hour_close_the_account(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, clock: ManualClock
) -> None:
    await registered(client, worker, mailbox, "target@example.com")
    # The real owner keeps signing in between guesses, so only the hourly cap stops them.
    for _ in range(19):
        assert [a.status_code for a in await _fail(client, "target@example.com", 5)] == [401] * 5
        assert (await sign_in(client, "target@example.com")).status_code == 200
        clock.advance(seconds=30)
    assert [a.status_code for a in await _fail(client, "target@example.com", 5)] == [401] * 5
    capped = await sign_in(client, "target@example.com")
    assert capped.status_code == 429
    assert int(capped.headers["retry-after"]) > 3000
    clock.advance(hours=2)
    assert (await sign_in(client, "target@example.com")).status_code == 200


async def test_a_throttled_account_can_still_reset_its_password(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, clock: ManualClock
) -> None:
    await registered(client, worker, mailbox, "locked@example.com")
    await _fail(client, "locked@example.com", 10)
    assert (await sign_in(client, "locked@example.com")).status_code == 429

    clock.advance(minutes=2)
    asked = await client.post("/api/v1/auth/password-reset", json={"email": "locked@example.com"})
    assert asked.status_code == 202
    token = await token_mailed_to(worker, mailbox, "locked@example.com")
    done = await client.post(
        "/api/v1/auth/password-reset/complete",
        json={"token": token, "new_password": "a brand new sentence"},
    )
    assert done.status_code == 200
    assert (await sign_in(client, "locked@example.com", "a brand new sentence")).status_code == 200


async def test_password_is_rehashed_when_the_parameters_change(
    client: httpx.AsyncClient,
    worker: Worker,
    mailbox: Mailbox,
    runtime: Runtime,
    settings: Settings,
) -> None:
    await registered(client, worker, mailbox, "rehash@example.com")
    async with runtime.db.transaction() as session:
        before = await session.scalar(
            select(Account.password_hash).where(Account.email_key == "rehash@example.com")
        )
    settings.argon2_time_cost = 2
    assert (await sign_in(client, "rehash@example.com")).status_code == 200
    async with runtime.db.transaction() as session:
        after = await session.scalar(
            select(Account.password_hash).where(Account.email_key == "rehash@example.com")
        )
    assert before is not None
    assert after is not None
    assert after != before
    assert "t=2" in after
    assert "t=1" in before
    assert verify_password(settings, after, PASSWORD)
    assert (await sign_in(client, "rehash@example.com")).status_code == 200
