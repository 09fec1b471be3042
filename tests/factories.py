"""Make accounts and sign-ins directly in the database, for tests of other domains.

Tests of the accounts domain itself go through the HTTP API instead.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from linkplus.accounts.passwords import hash_password
from linkplus.auth.tokens import issue_access_token
from linkplus.models.accounts import Account, Audience, SignInSession, StaffAccount, StaffRole
from linkplus.runtime import Runtime

DEFAULT_PASSWORD = "correct horse battery"


async def make_owner(
    runtime: Runtime,
    *,
    email: str | None = None,
    password: str = DEFAULT_PASSWORD,
    confirmed: bool = True,
    country: str = "DE",
    language: str = "de",
) -> Account:
    now = runtime.clock.now()
    address = email or f"owner-{uuid.uuid4().hex[:8]}@example.com"
    account = Account(
        email=address,
        email_key=address.casefold(),
        password_hash=hash_password(runtime.settings, password),
        first_name="Alex",
        last_name="Driver",
        country=country,
        language=language,
        phone=None,
        email_confirmed_at=now if confirmed else None,
        password_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    async with runtime.db.transaction() as session:
        session.add(account)
    return account


async def make_staff(
    runtime: Runtime, *, role: StaffRole = StaffRole.agent, email: str | None = None
) -> StaffAccount:
    now = runtime.clock.now()
    address = email or f"staff-{uuid.uuid4().hex[:8]}@linkplus.example"
    staff = StaffAccount(
        email=address,
        email_key=address.casefold(),
        password_hash=hash_password(runtime.settings, DEFAULT_PASSWORD),
        name="Sam Staff",
        role=role.value,
        active=True,
        created_at=now,
    )
    async with runtime.db.transaction() as session:
        session.add(staff)
    return staff


async def bearer_for(runtime: Runtime, who: Account | StaffAccount) -> dict[str, str]:
    """An Authorization header for ``who``, backed by a real sign-in session row."""
    now = runtime.clock.now()
    is_staff = isinstance(who, StaffAccount)
    sign_in = SignInSession(
        audience=(Audience.staff if is_staff else Audience.owner).value,
        account_id=None if is_staff else who.id,
        staff_id=who.id if is_staff else None,
        channel="api",
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(days=30),
    )
    async with runtime.db.transaction() as session:
        session.add(sign_in)
    token = issue_access_token(
        runtime.settings,
        now,
        subject=who.id,
        audience=Audience.staff if is_staff else Audience.owner,
        session_id=sign_in.id,
        role=who.role if isinstance(who, StaffAccount) else None,
    )
    return {"Authorization": f"Bearer {token}"}
