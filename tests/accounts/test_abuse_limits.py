"""Mail flooding: at most one "someone used your address" notice per address per hour (stored, so
it holds across processes), and registrations throttled per client with 429 and Retry-After, the
answers telling nothing about which addresses have accounts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from linkplus.app import create_app
from linkplus.bootstrap import build_runtime
from linkplus.config import Settings
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import Account
from linkplus.runtime import Runtime
from tests.accounts.support import PASSWORD, bearer, delivered, register, sign_in, signed_in
from tests.support import Mailbox

TRIED_TO_REGISTER = "tried to register"
TRIED_TO_USE = "tried to use your address"


def _notices(mailbox: Mailbox, address: str, subject_part: str) -> list[EmailMessage]:
    return [m for m in mailbox.to(address) if subject_part in str(m["Subject"])]


def _same_answer(
    taken: httpx.Response, fresh: httpx.Response, fresh_email: str, email: str
) -> None:
    """The answer for a taken address is the new-address answer with only the address changed."""
    assert taken.status_code == fresh.status_code
    assert taken.headers["content-type"] == fresh.headers["content-type"]
    assert taken.json() == _with_address(fresh.json(), fresh_email, email)


def _with_address(body: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    return {k: v.replace(old, new) if isinstance(v, str) else v for k, v in body.items()}


async def _change_email(
    client: httpx.AsyncClient, tokens: dict[str, Any], new_email: str
) -> httpx.Response:
    return await client.post(
        "/api/v1/me/email",
        json={"new_email": new_email, "password": PASSWORD},
        headers=bearer(tokens),
    )


@pytest.fixture
async def second_process(
    settings: Settings, clock: ManualClock
) -> AsyncIterator[httpx.AsyncClient]:
    """Another platform process on the same database (its own runtime, engine and app)."""
    other = build_runtime(settings, clock=clock)
    transport = httpx.ASGITransport(app=create_app(other, run_worker=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    await other.db.dispose()


async def test_registering_again_tells_the_owner_at_most_once_an_hour(
    client: httpx.AsyncClient,
    worker: Worker,
    mailbox: Mailbox,
    clock: ManualClock,
    second_process: httpx.AsyncClient,
) -> None:
    await signed_in(client, worker, mailbox, "victim@example.com")
    fresh = await register(client, "newcomer@example.com")
    # (The answer names the address as typed, the domain in lower case.)
    for spelling, shown in (
        ("victim@example.com", "victim@example.com"),
        ("VICTIM@Example.com", "VICTIM@example.com"),
        (" victim@example.com ", "victim@example.com"),
    ):
        again = await register(client, spelling)
        _same_answer(again, fresh, "newcomer@example.com", shown)
    # Another process on the same database keeps the same limit.
    other = await register(second_process, "victim@example.com")
    _same_answer(other, fresh, "newcomer@example.com", "victim@example.com")
    await delivered(worker)
    assert len(_notices(mailbox, "victim@example.com", TRIED_TO_REGISTER)) == 1

    clock.advance(minutes=59)
    late = await register(client, "victim@example.com")
    _same_answer(late, fresh, "newcomer@example.com", "victim@example.com")
    await delivered(worker)
    assert len(_notices(mailbox, "victim@example.com", TRIED_TO_REGISTER)) == 1

    clock.advance(minutes=2)  # an hour after the notice
    assert (await register(client, "victim@example.com")).status_code == 202
    await delivered(worker)
    assert len(_notices(mailbox, "victim@example.com", TRIED_TO_REGISTER)) == 2


async def test_asking_for_an_address_in_use_tells_its_owner_at_most_once_an_hour(
    client: httpx.AsyncClient,
    worker: Worker,
    mailbox: Mailbox,
    clock: ManualClock,
    runtime: Runtime,
) -> None:
    await signed_in(client, worker, mailbox, "holder@example.com")
    tokens = await signed_in(client, worker, mailbox, "wants@example.com")
    free = await _change_email(client, tokens, "free@example.com")
    for spelling, shown in (
        ("holder@example.com", "holder@example.com"),
        ("Holder@Example.COM", "Holder@example.com"),
        ("holder@example.com", "holder@example.com"),
    ):
        used = await _change_email(client, tokens, spelling)
        _same_answer(used, free, "free@example.com", shown)
    # A registration naming the address in the same hour is the same kind of notice: not sent.
    assert (await register(client, "holder@example.com")).status_code == 202
    await delivered(worker)
    assert len(_notices(mailbox, "holder@example.com", TRIED_TO_USE)) == 1
    assert _notices(mailbox, "holder@example.com", TRIED_TO_REGISTER) == []

    clock.advance(minutes=61)
    tokens = (await sign_in(client, "wants@example.com")).json()  # the access token expired
    assert (await _change_email(client, tokens, "holder@example.com")).status_code == 202
    await delivered(worker)
    assert len(_notices(mailbox, "holder@example.com", TRIED_TO_USE)) == 2

    # What is stored is a keyed hash of the normalised address, never the address.
    async with runtime.db.transaction() as session:
        keys = list(
            (await session.scalars(text("SELECT email_key_hash FROM address_notices"))).all()
        )
    assert len(keys) == 1
    assert len(keys[0]) == 64
    assert "holder" not in keys[0]


async def test_registrations_are_throttled_per_client_the_same_for_taken_addresses(
    client: httpx.AsyncClient,
    runtime: Runtime,
    worker: Worker,
    mailbox: Mailbox,
    clock: ManualClock,
) -> None:
    await signed_in(client, worker, mailbox, "known@example.com")  # the first registration
    for n in range(9):
        address = "known@example.com" if n % 2 else f"new{n}@example.com"
        assert (await register(client, address)).status_code == 202, n

    taken = await register(client, "known@example.com")
    fresh = await register(client, "never@example.com")
    for refused in (taken, fresh):
        assert refused.status_code == 429, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "registration_throttled"
        assert "try again in" in refused.json()["detail"]
    # The throttle is no oracle: the same answer, to the header, for a taken and a new address.
    assert taken.json() == fresh.json()
    assert taken.headers["retry-after"] == fresh.headers["retry-after"]
    retry_after = int(fresh.headers["retry-after"])
    assert 0 < retry_after <= 7200  # the two-window cap: at most two hours
    async with runtime.db.transaction() as session:
        emails = set((await session.scalars(select(Account.email))).all())
    assert "never@example.com" not in emails

    # Another client (another IP address as the app sees it) is not held up.
    transport = httpx.ASGITransport(
        app=create_app(runtime, run_worker=False), client=("198.51.100.7", 40000)
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as elsewhere:
        assert (await register(elsewhere, "elsewhere@example.com")).status_code == 202

    clock.advance(seconds=retry_after)
    assert (await register(client, "never@example.com")).status_code == 202
