"""Password reset ("Reset it") and password change."""

from __future__ import annotations

import httpx

from linkplus.audit import service as audit
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.runtime import Runtime
from tests.accounts.support import (
    PASSWORD,
    bearer,
    delivered,
    sign_in,
    signed_in,
    token_mailed_to,
)
from tests.support import Mailbox

NEW_PASSWORD = "a brand new sentence"


async def _ask_reset(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post("/api/v1/auth/password-reset", json={"email": email})


async def _complete(
    client: httpx.AsyncClient, token: str, password: str = NEW_PASSWORD
) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/password-reset/complete", json={"token": token, "new_password": password}
    )


async def test_reset_request_answers_the_same_for_every_address(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    await signed_in(client, worker, mailbox, "known@example.com")
    known = await _ask_reset(client, "known@example.com")
    unknown = await _ask_reset(client, "unknown@example.com")
    garbage = await _ask_reset(client, "not an address\r\n")
    assert known.status_code == unknown.status_code == garbage.status_code == 202
    assert known.json() == unknown.json() == garbage.json()
    await delivered(worker)
    assert mailbox.to("unknown@example.com") == []
    link = mailbox.link_in(mailbox.last_to("known@example.com"))
    assert link.startswith("http://testserver/reset-password?token=")


async def test_completing_a_reset_signs_out_everywhere_and_sends_a_notice(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, runtime: Runtime
) -> None:
    phone = await signed_in(client, worker, mailbox, "forgot@example.com")
    laptop = (await sign_in(client, "forgot@example.com")).json()
    await _ask_reset(client, "forgot@example.com")
    token = await token_mailed_to(worker, mailbox, "forgot@example.com")

    done = await _complete(client, token)
    assert done.status_code == 200
    assert done.json()["status"] == "password_changed"
    for tokens in (phone, laptop):
        assert (await client.get("/api/v1/me", headers=bearer(tokens))).status_code == 401
        refreshed = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert refreshed.status_code == 401
    assert (await sign_in(client, "forgot@example.com")).status_code == 401
    assert (await sign_in(client, "forgot@example.com", NEW_PASSWORD)).status_code == 200

    await delivered(worker)
    notice = mailbox.last_to("forgot@example.com")
    assert "password was changed" in str(notice["Subject"])
    assert "signed out on every device" in mailbox.text(notice)
    async with runtime.db.transaction() as session:
        assert await audit.entries_for(session, action="account.password_reset")


async def test_reset_link_works_once(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    await signed_in(client, worker, mailbox, "twice@example.com")
    await _ask_reset(client, "twice@example.com")
    token = await token_mailed_to(worker, mailbox, "twice@example.com")
    assert (await _complete(client, token)).status_code == 200
    again = await _complete(client, token, "yet another sentence")
    assert again.status_code == 400
    assert again.json()["code"] == "link_invalid"
    assert (await sign_in(client, "twice@example.com", NEW_PASSWORD)).status_code == 200


async def test_reset_link_expires_after_30_minutes(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, clock: ManualClock
) -> None:
    await signed_in(client, worker, mailbox, "slow@example.com")
    await _ask_reset(client, "slow@example.com")
    token = await token_mailed_to(worker, mailbox, "slow@example.com")
    clock.advance(minutes=30)
    answer = await _complete(client, token)
    assert answer.status_code == 400
    assert answer.json()["code"] == "link_expired"
    assert (await sign_in(client, "slow@example.com", PASSWORD)).status_code == 200


async def test_reset_refuses_a_weak_password_and_keeps_the_link(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    await signed_in(client, worker, mailbox, "weak@example.com")
    await _ask_reset(client, "weak@example.com")
    token = await token_mailed_to(worker, mailbox, "weak@example.com")
    weak = await _complete(client, token, "qwertyuiop")
    assert weak.status_code == 422
    assert weak.json()["errors"][0]["field"] == "body.new_password"
    assert (await _complete(client, token)).status_code == 200


async def test_reset_confirms_an_unconfirmed_address(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, clock: ManualClock
) -> None:
    await client.post(
        "/api/v1/accounts",
        json={
            "email": "never@example.com",
            "password": PASSWORD,
            "first_name": "N",
            "last_name": "C",
            "country": "FR",
            "language": "fr",
        },
    )
    await delivered(worker)
    await _ask_reset(client, "never@example.com")
    token = await token_mailed_to(worker, mailbox, "never@example.com")
    assert (await _complete(client, token)).status_code == 200
    tokens = (await sign_in(client, "never@example.com", NEW_PASSWORD)).json()
    assert tokens["email_confirmed"] is True


async def test_change_password_needs_the_current_one_and_keeps_this_session(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, runtime: Runtime
) -> None:
    here = await signed_in(client, worker, mailbox, "change@example.com")
    elsewhere = (await sign_in(client, "change@example.com")).json()

    wrong = await client.post(
        "/api/v1/me/password",
        json={"current_password": "not my password", "new_password": NEW_PASSWORD},
        headers=bearer(here),
    )
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "wrong_password"

    changed = await client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(here),
    )
    assert changed.status_code == 200
    assert (await client.get("/api/v1/me", headers=bearer(here))).status_code == 200
    assert (await client.get("/api/v1/me", headers=bearer(elsewhere))).status_code == 401
    assert (await sign_in(client, "change@example.com", NEW_PASSWORD)).status_code == 200

    await delivered(worker)
    notice = mailbox.last_to("change@example.com")
    assert "password was changed" in str(notice["Subject"])
    assert "Every other device has been signed out" in mailbox.text(notice)
    async with runtime.db.transaction() as session:
        assert await audit.entries_for(session, action="account.password_changed")


async def test_guessing_the_current_password_is_throttled(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    tokens = await signed_in(client, worker, mailbox, "stolen-token@example.com")
    answers = [
        await client.post(
            "/api/v1/me/password",
            json={"current_password": f"guess number {n}", "new_password": NEW_PASSWORD},
            headers=bearer(tokens),
        )
        for n in range(7)
    ]
    assert [a.status_code for a in answers] == [403] * 6 + [429]
    assert answers[-1].json()["code"] == "sign_in_throttled"


async def test_change_password_refuses_a_common_password(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    tokens = await signed_in(client, worker, mailbox, "common@example.com")
    answer = await client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "password1234"},
        headers=bearer(tokens),
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["type"] == "weak_password"
