"""Steps the accounts tests share, all through the HTTP API and the real SMTP mailbox."""

from __future__ import annotations

from typing import Any

import httpx

from linkplus.jobs.worker import Worker
from tests.support import Mailbox

PASSWORD = "a long and unusual sentence"


def registration(email: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": email,
        "password": PASSWORD,
        "first_name": "Alex",
        "last_name": "Driver",
        "country": "DE",
        "language": "de",
    }
    body.update(changes)
    return body


async def register(client: httpx.AsyncClient, email: str, **changes: Any) -> httpx.Response:
    return await client.post("/api/v1/accounts", json=registration(email, **changes))


async def delivered(worker: Worker) -> None:
    """Run the queued jobs, which send the mail through the SMTP server."""
    await worker.run_due()


async def token_mailed_to(worker: Worker, mailbox: Mailbox, email: str) -> str:
    await delivered(worker)
    return mailbox.token_in(mailbox.link_in(mailbox.last_to(email)))


async def registered(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, email: str
) -> None:
    """An owner who registered and opened the activation link."""
    assert (await register(client, email)).status_code == 202
    token = await token_mailed_to(worker, mailbox, email)
    answer = await client.post("/api/v1/accounts/activate", json={"token": token})
    assert answer.status_code == 200, answer.text


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, *, staff: bool = False
) -> httpx.Response:
    path = "/api/v1/staff/auth/token" if staff else "/api/v1/auth/token"
    return await client.post(
        path, data={"grant_type": "password", "username": email, "password": password}
    )


async def signed_in(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, email: str
) -> dict[str, Any]:
    """Register, activate and sign in; the token response."""
    await registered(client, worker, mailbox, email)
    answer = await sign_in(client, email)
    assert answer.status_code == 200, answer.text
    tokens: dict[str, Any] = answer.json()
    return tokens


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}
