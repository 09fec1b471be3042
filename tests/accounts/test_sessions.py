"""Refresh-token rotation, re-use detection, sign-out, and the owner/staff token boundary."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from linkplus.accounts import service
from linkplus.accounts.schemas import RegistrationIn
from linkplus.audit import service as audit
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import Account, SignInSession
from linkplus.runtime import Runtime
from tests.accounts.support import bearer, registered, registration, sign_in, signed_in
from tests.support import Mailbox, bearer_for, make_owner, make_staff


async def _refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": token})


async def test_refresh_rotates_the_refresh_token(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, clock: ManualClock
) -> None:
    first = await signed_in(client, worker, mailbox, "rotate@example.com")
    clock.advance(minutes=20)  # the access token has expired by now
    assert (await client.get("/api/v1/me", headers=bearer(first))).status_code == 401
    answer = await _refresh(client, first["refresh_token"])
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    second = answer.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await client.get("/api/v1/me", headers=bearer(second))).status_code == 200
    assert (await _refresh(client, second["refresh_token"])).status_code == 200


async def test_reusing_a_rotated_refresh_token_ends_the_whole_family(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, runtime: Runtime
) -> None:
    first = await signed_in(client, worker, mailbox, "stolen@example.com")
    second = (await _refresh(client, first["refresh_token"])).json()

    replay = await _refresh(client, first["refresh_token"])
    assert replay.status_code == 401
    assert replay.json()["code"] == "refresh_token_reused"

    sibling = await _refresh(client, second["refresh_token"])
    assert sibling.status_code == 401
    assert sibling.json()["code"] == "session_revoked"
    me = await client.get("/api/v1/me", headers=bearer(second))
    assert me.status_code == 401
    assert me.json()["code"] == "session_revoked"

    async with runtime.db.transaction() as session:
        entries = await audit.entries_for(session, action="auth.refresh_token_reused")
    assert len(entries) == 1


async def test_reuse_does_not_touch_other_devices(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    phone = await signed_in(client, worker, mailbox, "two@example.com")
    laptop = (await sign_in(client, "two@example.com")).json()
    await _refresh(client, phone["refresh_token"])
    assert (await _refresh(client, phone["refresh_token"])).status_code == 401
    assert (await client.get("/api/v1/me", headers=bearer(laptop))).status_code == 200


async def test_unknown_refresh_token_is_refused(client: httpx.AsyncClient) -> None:
    answer = await _refresh(client, "made-up")
    assert answer.status_code == 401
    assert answer.json()["code"] == "invalid_refresh_token"


async def test_refresh_token_expires_after_the_configured_days(
    client: httpx.AsyncClient,
    worker: Worker,
    mailbox: Mailbox,
    clock: ManualClock,
    runtime: Runtime,
) -> None:
    tokens = await signed_in(client, worker, mailbox, "idle@example.com")
    clock.advance(days=runtime.settings.refresh_token_days, seconds=1)
    answer = await _refresh(client, tokens["refresh_token"])
    assert answer.status_code == 401


async def test_logout_ends_the_session_at_once(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    tokens = await signed_in(client, worker, mailbox, "bye@example.com")
    out = await client.post("/api/v1/auth/logout", headers=bearer(tokens))
    assert out.status_code == 204
    me = await client.get("/api/v1/me", headers=bearer(tokens))
    assert me.status_code == 401
    assert me.json()["code"] == "session_revoked"
    assert (await _refresh(client, tokens["refresh_token"])).status_code == 401


async def test_logout_can_also_end_the_session_of_a_refresh_token(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    first = await signed_in(client, worker, mailbox, "both@example.com")
    second = (await sign_in(client, "both@example.com")).json()
    out = await client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": second["refresh_token"]},
        headers=bearer(first),
    )
    assert out.status_code == 204
    assert (await client.get("/api/v1/me", headers=bearer(second))).status_code == 401


async def test_logout_cannot_end_someone_elses_session(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    mine = await signed_in(client, worker, mailbox, "me@example.com")
    theirs = await signed_in(client, worker, mailbox, "them@example.com")
    await client.post(
        "/api/v1/auth/logout", json={"refresh_token": theirs["refresh_token"]}, headers=bearer(mine)
    )
    assert (await client.get("/api/v1/me", headers=bearer(theirs))).status_code == 200


async def test_unconfirmed_owner_can_sign_out(client: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = await make_owner(runtime, confirmed=False)
    headers = await bearer_for(runtime, owner)
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    async with runtime.db.transaction() as session:
        revoked = await session.scalar(
            select(SignInSession.revoked_reason).where(SignInSession.account_id == owner.id)
        )
    assert revoked == "signed_out"


async def test_staff_token_is_refused_on_owner_routes(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    staff = await make_staff(runtime)
    answer = await client.get("/api/v1/me", headers=await bearer_for(runtime, staff))
    assert answer.status_code == 401
    assert answer.json()["code"] == "wrong_token_audience"


async def test_owner_token_finds_nothing_on_staff_routes(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    tokens = await signed_in(client, worker, mailbox, "curious@example.com")
    answer = await client.get("/api/v1/staff/me", headers=bearer(tokens))
    assert answer.status_code == 404
    nothing = await client.get("/api/v1/staff/me")
    assert nothing.json() == {**answer.json()}


async def test_owner_refresh_token_is_not_accepted_by_the_staff_refresh(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    tokens = await signed_in(client, worker, mailbox, "mixed@example.com")
    answer = await client.post(
        "/api/v1/staff/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert answer.status_code == 401
    assert (await _refresh(client, tokens["refresh_token"])).status_code == 200


async def test_registered_owner_signs_in_from_two_devices(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, runtime: Runtime
) -> None:
    await registered(client, worker, mailbox, "devices@example.com")
    await sign_in(client, "devices@example.com")
    await sign_in(client, "devices@example.com")
    async with runtime.db.transaction() as session:
        sessions = (await session.scalars(select(SignInSession))).all()
    assert len(sessions) == 2
    assert {s.channel for s in sessions} == {"api"}
    assert all(s.audience == "owner" for s in sessions)


async def _web_session(runtime: Runtime) -> tuple[Account, str]:
    owner = await make_owner(runtime)
    async with runtime.db.transaction() as session:
        account = await session.get(Account, owner.id)
        assert account is not None
        issued = await service.start_session(session, runtime, account, channel="web")
    return owner, issued.refresh_token


async def _cookie_owner(runtime: Runtime, cookie: str) -> Account | None:
    async with runtime.db.transaction() as session:
        return await service.account_for_web_session(session, runtime, cookie_token=cookie)


async def test_web_session_cookie_lasts_the_configured_days(
    runtime: Runtime, clock: ManualClock
) -> None:
    owner, cookie = await _web_session(runtime)
    found = await _cookie_owner(runtime, cookie)
    assert found is not None
    assert found.id == owner.id
    assert await _cookie_owner(runtime, "not-a-cookie") is None
    clock.advance(days=runtime.settings.web_session_days)
    assert await _cookie_owner(runtime, cookie) is None


async def test_web_sign_out_ends_the_cookie_session(runtime: Runtime) -> None:
    _owner, cookie = await _web_session(runtime)
    async with runtime.db.transaction() as session:
        await service.end_web_session(session, runtime, cookie_token=cookie)
    assert await _cookie_owner(runtime, cookie) is None


async def test_api_refresh_token_is_not_a_web_cookie(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, runtime: Runtime
) -> None:
    tokens = await signed_in(client, worker, mailbox, "apponly@example.com")
    assert await _cookie_owner(runtime, tokens["refresh_token"]) is None


async def test_the_account_returned_for_a_taken_address_cannot_be_signed_in(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, runtime: Runtime
) -> None:
    await signed_in(client, worker, mailbox, "victim@example.com")
    async with runtime.db.transaction() as session:
        data = RegistrationIn.model_validate(registration("Victim@example.com"))
        returned = await service.register(session, runtime, data, client="192.0.2.1")
        assert returned.first_name == "Alex"
        with pytest.raises(ValueError, match="stored account"):
            await service.start_session(session, runtime, returned, channel="web")
