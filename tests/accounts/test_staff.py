"""Staff accounts: created only by the service the CLI calls, signed in with aud=staff tokens."""

from __future__ import annotations

import httpx
import jwt
import pytest

from linkplus.accounts import service
from linkplus.accounts.errors import (
    InvalidEmailAddress,
    InvalidStaffInput,
    StaffEmailTaken,
    WeakPassword,
)
from linkplus.audit import service as audit
from linkplus.models.accounts import StaffAccount, StaffRole
from linkplus.runtime import Runtime
from tests.accounts.support import bearer, sign_in

STAFF_PASSWORD = "staff member long password"


async def _create(
    runtime: Runtime, email: str, role: StaffRole | str = StaffRole.agent
) -> StaffAccount:
    async with runtime.db.transaction() as session:
        return await service.create_staff(
            session, runtime, email=email, name="  Sam   Staff ", role=role, password=STAFF_PASSWORD
        )


async def test_create_staff_stores_a_normalized_account(runtime: Runtime) -> None:
    staff = await _create(runtime, " Sam@Dealer.EXAMPLE ", StaffRole.dealer)
    assert (staff.email, staff.email_key, staff.name, staff.role) == (
        "Sam@dealer.example",
        "sam@dealer.example",
        "Sam Staff",
        "dealer",
    )
    async with runtime.db.transaction() as session:
        assert await audit.entries_for(session, action="staff.created")


async def test_create_staff_refuses_duplicates_in_any_case(runtime: Runtime) -> None:
    await _create(runtime, "dup@linkplus.example")
    with pytest.raises(StaffEmailTaken, match="already exists"):
        await _create(runtime, "DUP@linkplus.example")


@pytest.mark.parametrize(
    ("email", "role", "password", "error"),
    [
        ("x@linkplus.example", "superuser", STAFF_PASSWORD, InvalidStaffInput),
        ("x@linkplus.example\r\n", "agent", STAFF_PASSWORD, InvalidEmailAddress),
        ("x@linkplus.example", "agent", "short", WeakPassword),
        ("x@linkplus.example", "agent", "letmein123", WeakPassword),
    ],
)
async def test_create_staff_validates_its_input(
    runtime: Runtime, email: str, role: str, password: str, error: type[Exception]
) -> None:
    async with runtime.db.transaction() as session:
        with pytest.raises(error):
            await service.create_staff(
                session, runtime, email=email, name="X", role=role, password=password
            )


async def test_staff_sign_in_issues_a_staff_token_with_the_role(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await _create(runtime, "agent@linkplus.example", StaffRole.emergency_agent)
    answer = await sign_in(client, "agent@linkplus.example", STAFF_PASSWORD, staff=True)
    assert answer.status_code == 200
    tokens = answer.json()
    assert tokens["role"] == "emergency_agent"
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert (claims["aud"], claims["role"]) == ("staff", "emergency_agent")

    me = await client.get("/api/v1/staff/me", headers=bearer(tokens))
    assert me.status_code == 200
    assert me.json()["role"] == "emergency_agent"
    assert me.headers["cache-control"] == "no-store"
    owner_route = await client.get("/api/v1/me", headers=bearer(tokens))
    assert owner_route.status_code == 401
    assert owner_route.json()["code"] == "wrong_token_audience"

    async with runtime.db.transaction() as session:
        entries = await audit.entries_for(session, action="staff.signed_in")
    assert len(entries) == 1


async def test_staff_cannot_sign_in_on_the_owner_endpoint_and_vice_versa(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await _create(runtime, "split@linkplus.example")
    as_owner = await sign_in(client, "split@linkplus.example", STAFF_PASSWORD)
    assert as_owner.status_code == 401
    assert as_owner.json()["code"] == "invalid_credentials"


async def test_staff_wrong_password_is_refused_like_an_unknown_address(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await _create(runtime, "careful@linkplus.example")
    wrong = await sign_in(client, "careful@linkplus.example", "wrong password!", staff=True)
    unknown = await sign_in(client, "nobody@linkplus.example", "wrong password!", staff=True)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_staff_logout_and_refresh(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await _create(runtime, "shift@linkplus.example", StaffRole.svt_agent)
    tokens = (await sign_in(client, "shift@linkplus.example", STAFF_PASSWORD, staff=True)).json()
    refreshed = await client.post(
        "/api/v1/staff/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200
    fresh = refreshed.json()
    assert fresh["role"] == "svt_agent"
    # A staff refresh token is not an owner refresh token.
    owner_refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": fresh["refresh_token"]}
    )
    assert owner_refresh.status_code == 401

    out = await client.post("/api/v1/staff/auth/logout", headers=bearer(fresh))
    assert out.status_code == 204
    assert (await client.get("/api/v1/staff/me", headers=bearer(fresh))).status_code == 401


async def test_inactive_staff_cannot_sign_in(client: httpx.AsyncClient, runtime: Runtime) -> None:
    staff = await _create(runtime, "gone@linkplus.example")
    async with runtime.db.transaction() as session:
        row = await session.get(StaffAccount, staff.id)
        assert row is not None
        row.active = False
    answer = await sign_in(client, "gone@linkplus.example", STAFF_PASSWORD, staff=True)
    assert answer.status_code == 401
    assert answer.json()["code"] == "invalid_credentials"
