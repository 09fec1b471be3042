"""The owner's profile (/me) and changing the sign-in address."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from linkplus.audit import service as audit
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.runtime import Runtime
from tests.accounts.support import PASSWORD, bearer, delivered, sign_in, signed_in, token_mailed_to
from tests.support import Mailbox


async def test_me_shows_the_profile_and_notification_preferences(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    tokens = await signed_in(client, worker, mailbox, "profile@example.com")
    me = (await client.get("/api/v1/me", headers=bearer(tokens))).json()
    assert me["email"] == "profile@example.com"
    assert me["email_confirmed"] is True
    assert (me["first_name"], me["last_name"], me["country"], me["language"]) == (
        "Alex",
        "Driver",
        "DE",
        "de",
    )
    assert me["phone"] is None
    prefs = me["notification_preferences"]
    assert set(prefs) == {"account", "vehicle_alerts", "billing", "marketing"}
    assert prefs["marketing"]["email"] is False
    assert "password_hash" not in me


async def test_me_needs_a_token(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/me")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"


async def test_patch_changes_only_what_is_sent(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    tokens = await signed_in(client, worker, mailbox, "patch@example.com")
    headers = bearer(tokens)
    answer = await client.patch(
        "/api/v1/me",
        json={
            "first_name": " Alexandra ",
            "phone": "+33 6 12 34 56 78",
            "language": "fr-CA",
            "country": "fr",
            "notification_preferences": {"marketing": {"email": True}},
        },
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    me = answer.json()
    assert me["first_name"] == "Alexandra"
    assert me["last_name"] == "Driver"
    assert me["phone"] == "+33612345678"
    assert (me["language"], me["country"]) == ("fr-CA", "FR")
    assert me["notification_preferences"]["marketing"]["email"] is True
    assert answer.headers["cache-control"] == "no-store"

    cleared = await client.patch("/api/v1/me", json={"phone": None}, headers=headers)
    assert cleared.json()["phone"] is None
    assert cleared.json()["first_name"] == "Alexandra"
    again = await client.get("/api/v1/me", headers=headers)
    assert again.json()["notification_preferences"]["marketing"]["email"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"country": "ZZ"}, "body.country"),
        ({"phone": "12345"}, "body.phone"),
        ({"language": "xx-notreal"}, "body.language"),
        ({"first_name": None}, "body.first_name"),
        ({"email": "other@example.com"}, "body.email"),
        ({"role": "admin"}, "body.role"),
        ({"email_confirmed": True}, "body.email_confirmed"),
        ({"notification_preferences": {"marketing": {"sms": True}}}, None),
    ],
)
async def test_patch_refuses_bad_or_unknown_fields(
    client: httpx.AsyncClient,
    worker: Worker,
    mailbox: Mailbox,
    body: dict[str, Any],
    field: str | None,
) -> None:
    tokens = await signed_in(client, worker, mailbox, "strict@example.com")
    answer = await client.patch("/api/v1/me", json=body, headers=bearer(tokens))
    assert answer.status_code == 422
    fields = [e["field"] for e in answer.json()["errors"]]
    if field is not None:
        assert fields == [field]
    else:
        assert fields[0].startswith("body.notification_preferences")
    me = (await client.get("/api/v1/me", headers=bearer(tokens))).json()
    assert (me["country"], me["first_name"], me["email"]) == ("DE", "Alex", "strict@example.com")


async def test_account_mail_cannot_be_switched_off(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    tokens = await signed_in(client, worker, mailbox, "security@example.com")
    answer = await client.patch(
        "/api/v1/me",
        json={"first_name": "Changed", "notification_preferences": {"account": {"email": False}}},
        headers=bearer(tokens),
    )
    assert 400 <= answer.status_code < 500
    me = (await client.get("/api/v1/me", headers=bearer(tokens))).json()
    assert me["first_name"] == "Alex"  # nothing of the refused request was kept


async def _change_email(
    client: httpx.AsyncClient, tokens: dict[str, Any], new_email: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post(
        "/api/v1/me/email",
        json={"new_email": new_email, "password": password},
        headers=bearer(tokens),
    )


async def test_email_change_is_confirmed_from_the_new_address(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, runtime: Runtime
) -> None:
    tokens = await signed_in(client, worker, mailbox, "old@example.com")
    asked = await _change_email(client, tokens, "New@Example.com")
    assert asked.status_code == 202
    await delivered(worker)
    notice = mailbox.last_to("old@example.com")
    assert "change of your sign-in address was requested" in str(notice["Subject"])
    assert "New@example.com" in mailbox.text(notice)
    assert "token=" not in mailbox.text(notice)

    link = mailbox.link_in(mailbox.last_to("New@example.com"))
    assert link.startswith("http://testserver/confirm-email?token=")
    # Nothing changes before confirmation.
    assert (await client.get("/api/v1/me", headers=bearer(tokens))).json()["email"] == (
        "old@example.com"
    )
    confirmed = await client.post(
        "/api/v1/me/email/confirm", json={"token": mailbox.token_in(link)}
    )
    assert confirmed.status_code == 200
    assert (await client.get("/api/v1/me", headers=bearer(tokens))).json()["email"] == (
        "New@example.com"
    )
    assert (await sign_in(client, "new@example.com")).status_code == 200
    assert (await sign_in(client, "old@example.com")).status_code == 401

    await delivered(worker)
    changed = mailbox.last_to("old@example.com")
    assert "was changed" in str(changed["Subject"])
    async with runtime.db.transaction() as session:
        assert await audit.entries_for(session, action="account.email_changed")

    reused = await client.post("/api/v1/me/email/confirm", json={"token": mailbox.token_in(link)})
    assert reused.status_code == 400


async def test_email_change_needs_the_password(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    tokens = await signed_in(client, worker, mailbox, "careful@example.com")
    answer = await _change_email(client, tokens, "elsewhere@example.com", "not my password")
    assert answer.status_code == 403
    assert answer.json()["code"] == "wrong_password"
    await delivered(worker)
    assert mailbox.to("elsewhere@example.com") == []


async def test_email_change_refuses_bad_addresses(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    tokens = await signed_in(client, worker, mailbox, "same@example.com")
    same = await _change_email(client, tokens, "SAME@example.com")
    assert same.status_code == 422
    assert same.json()["code"] == "same_email"
    broken = await _change_email(client, tokens, "new@example.com\r\nBcc: x@example.com")
    assert broken.status_code == 422
    assert broken.json()["errors"][0]["field"] == "body.new_email"


async def test_email_change_to_a_used_address_reveals_nothing(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    await signed_in(client, worker, mailbox, "holder@example.com")
    tokens = await signed_in(client, worker, mailbox, "wants@example.com")
    free = await _change_email(client, tokens, "free@example.com")
    used = await _change_email(client, tokens, "holder@example.com")
    assert used.status_code == free.status_code == 202
    assert used.json()["status"] == free.json()["status"]
    await delivered(worker)
    warning = mailbox.last_to("holder@example.com")
    assert "token=" not in mailbox.text(warning)
    assert "already belongs to your account" in mailbox.text(warning)


async def test_confirmation_fails_when_the_address_was_taken_meanwhile(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    tokens = await signed_in(client, worker, mailbox, "slowpoke@example.com")
    await _change_email(client, tokens, "contested@example.com")
    token = await token_mailed_to(worker, mailbox, "contested@example.com")
    await signed_in(client, worker, mailbox, "contested@example.com")
    answer = await client.post("/api/v1/me/email/confirm", json={"token": token})
    assert answer.status_code == 409
    assert answer.json()["code"] == "email_taken"
    me = (await client.get("/api/v1/me", headers=bearer(tokens))).json()
    assert me["email"] == "slowpoke@example.com"


async def test_email_change_link_expires(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, clock: ManualClock
) -> None:
    tokens = await signed_in(client, worker, mailbox, "expiring@example.com")
    await _change_email(client, tokens, "later@example.com")
    token = await token_mailed_to(worker, mailbox, "later@example.com")
    clock.advance(hours=24)
    answer = await client.post("/api/v1/me/email/confirm", json={"token": token})
    assert answer.status_code == 400
    assert answer.json()["code"] == "link_expired"
