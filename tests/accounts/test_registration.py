"""Registration and activation through the HTTP API, with mail through a real SMTP server."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from linkplus.audit import service as audit
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import Account
from linkplus.runtime import Runtime
from tests.accounts.support import (
    PASSWORD,
    bearer,
    delivered,
    register,
    registration,
    sign_in,
    token_mailed_to,
)
from tests.support import Mailbox


async def _accounts(runtime: Runtime) -> int:
    async with runtime.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(Account)) or 0)


async def test_register_mails_a_link_that_activates_the_account(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, runtime: Runtime
) -> None:
    answer = await register(client, " Alex.Driver@Example.COM ")
    assert answer.status_code == 202
    assert answer.json() == {
        "status": "pending_confirmation",
        "detail": "We sent a confirmation link to Alex.Driver@example.com. Open it within 48 "
        "hours to activate your account.",
    }
    await delivered(worker)
    message = mailbox.last_to("Alex.Driver@example.com")
    link = mailbox.link_in(message)
    assert link.startswith("http://testserver/activate?token=")
    token = mailbox.token_in(link)

    activated = await client.post("/api/v1/accounts/activate", json={"token": token})
    assert activated.status_code == 200
    assert activated.json()["email"] == "Alex.Driver@example.com"

    tokens = (await sign_in(client, "alex.driver@EXAMPLE.com")).json()
    me = await client.get("/api/v1/me", headers=bearer(tokens))
    assert me.json()["email_confirmed"] is True
    async with runtime.db.transaction() as session:
        actions = {e.action for e in await audit.entries_for(session, subject_type="account")}
    assert {"account.registered", "account.activated"} <= actions


async def test_activation_link_works_once(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    await register(client, "once@example.com")
    token = await token_mailed_to(worker, mailbox, "once@example.com")
    assert (
        await client.post("/api/v1/accounts/activate", json={"token": token})
    ).status_code == 200
    again = await client.post("/api/v1/accounts/activate", json={"token": token})
    assert again.status_code == 400
    assert again.json()["code"] == "link_invalid"


async def test_activation_link_expires_after_48_hours(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, clock: ManualClock
) -> None:
    await register(client, "late@example.com")
    token = await token_mailed_to(worker, mailbox, "late@example.com")
    clock.advance(hours=49)
    answer = await client.post("/api/v1/accounts/activate", json={"token": token})
    assert answer.status_code == 400
    assert answer.json()["code"] == "link_expired"
    assert "new" in answer.json()["detail"]


async def test_unknown_activation_token_is_refused(client: httpx.AsyncClient) -> None:
    answer = await client.post("/api/v1/accounts/activate", json={"token": "not-a-real-token"})
    assert answer.status_code == 400
    assert answer.json()["code"] == "link_invalid"


async def test_second_registration_gets_the_same_answer_and_a_notice(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, runtime: Runtime
) -> None:
    first = await register(client, "taken@example.com")
    await delivered(worker)
    second = await register(
        client, "TAKEN@Example.com", first_name="Mallory", password="another long sentence"
    )
    assert second.status_code == first.status_code == 202
    assert second.json()["status"] == first.json()["status"]
    assert second.json().keys() == first.json().keys()
    assert await _accounts(runtime) == 1
    await delivered(worker)
    notice = mailbox.last_to("taken@example.com")
    assert "tried to register" in str(notice["Subject"])
    assert "reset" in mailbox.text(notice)
    assert "token=" not in mailbox.text(notice)
    # The first owner's password still works; the second one's does not.
    assert (await sign_in(client, "taken@example.com")).status_code == 200
    assert (await sign_in(client, "taken@example.com", "another long sentence")).status_code == 401


async def test_extra_field_role_is_refused_by_name(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    answer = await client.post(
        "/api/v1/accounts", json=registration("sneaky@example.com", role="admin")
    )
    assert answer.status_code == 422
    fields = [e["field"] for e in answer.json()["errors"]]
    assert fields == ["body.role"]
    assert await _accounts(runtime) == 0


async def test_malformed_json_is_refused(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/api/v1/accounts",
        content=b'{"email": "a@example.com", ',
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "malformed_json"


@pytest.mark.parametrize(
    ("changes", "field", "kind"),
    [
        ({"email": "alex@example.com\r\n"}, "body.email", "invalid_email"),
        ({"email": "not an address"}, "body.email", "invalid_email"),
        ({"password": "short pw"}, "body.password", "weak_password"),
        ({"password": "password123"}, "body.password", "weak_password"),
        ({"password": "Password1234"}, "body.password", "weak_password"),
        ({"country": "XX"}, "body.country", "invalid_country"),
        ({"country": "Germany"}, "body.country", "invalid_country"),
        ({"language": "klingon-xx"}, "body.language", "invalid_language"),
        ({"phone": "0151 1234567"}, "body.phone", "invalid_phone"),
        ({"phone": "+49 1"}, "body.phone", "invalid_phone"),
        ({"first_name": "   "}, "body.first_name", "empty_name"),
    ],
)
async def test_bad_registration_values_name_the_field(
    client: httpx.AsyncClient, runtime: Runtime, changes: dict[str, str], field: str, kind: str
) -> None:
    body = registration("bad-input@example.com")
    body.update(changes)
    answer = await client.post("/api/v1/accounts", json=body)
    assert answer.status_code == 422, answer.text
    errors = answer.json()["errors"]
    assert [(e["field"], e["type"]) for e in errors] == [(field, kind)]
    assert await _accounts(runtime) == 0


async def test_password_equal_to_the_address_is_refused(client: httpx.AsyncClient) -> None:
    answer = await register(client, "samesame@example.com", password="samesame@example.com")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "body.password"


async def test_phone_is_stored_in_e164(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    await register(client, "phone@example.com", phone="+49 151 2345 6789", language="en_GB")
    token = await token_mailed_to(worker, mailbox, "phone@example.com")
    await client.post("/api/v1/accounts/activate", json={"token": token})
    me = await client.get(
        "/api/v1/me", headers=bearer((await sign_in(client, "phone@example.com")).json())
    )
    assert me.json()["phone"] == "+4915123456789"
    assert me.json()["language"] == "en-GB"


async def test_unconfirmed_owner_can_see_that_and_ask_for_a_new_link(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, clock: ManualClock
) -> None:
    await register(client, "waiting@example.com")
    await delivered(worker)
    signed = await sign_in(client, "waiting@example.com")
    assert signed.status_code == 200
    assert signed.json()["email_confirmed"] is False
    headers = bearer(signed.json())

    me = await client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["email_confirmed"] is False
    patched = await client.patch("/api/v1/me", json={"first_name": "Al"}, headers=headers)
    assert patched.status_code == 403
    assert patched.json()["code"] == "email_not_confirmed"
    assert "activation-email" in patched.json()["detail"]

    clock.advance(minutes=2)
    resent = await client.post(
        "/api/v1/accounts/activation-email", json={"email": "waiting@example.com"}
    )
    unknown = await client.post(
        "/api/v1/accounts/activation-email", json={"email": "nobody@example.com"}
    )
    assert resent.status_code == unknown.status_code == 202
    assert resent.json() == unknown.json()
    await delivered(worker)
    assert len(mailbox.to("waiting@example.com")) == 2
    assert mailbox.to("nobody@example.com") == []
    token = mailbox.token_in(mailbox.link_in(mailbox.last_to("waiting@example.com")))
    assert (
        await client.post("/api/v1/accounts/activate", json={"token": token})
    ).status_code == 200
    assert (
        await client.patch("/api/v1/me", json={"first_name": "Al"}, headers=headers)
    ).status_code == 200


async def test_resend_is_not_repeated_within_a_minute(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    await register(client, "flood@example.com")
    for _ in range(3):
        await client.post("/api/v1/accounts/activation-email", json={"email": "flood@example.com"})
    await delivered(worker)
    assert len(mailbox.to("flood@example.com")) == 1


async def test_confirmed_account_gets_no_new_activation_link(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, clock: ManualClock
) -> None:
    await register(client, "done@example.com")
    token = await token_mailed_to(worker, mailbox, "done@example.com")
    await client.post("/api/v1/accounts/activate", json={"token": token})
    clock.advance(minutes=5)
    await client.post("/api/v1/accounts/activation-email", json={"email": "done@example.com"})
    await delivered(worker)
    assert len(mailbox.to("done@example.com")) == 1
    assert PASSWORD not in mailbox.text(mailbox.last_to("done@example.com"))
