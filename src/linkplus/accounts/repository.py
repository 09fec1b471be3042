"""All SQL of the accounts domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.db import dialect_insert
from linkplus.models.accounts import (
    Account,
    AccountToken,
    AddressNotice,
    RefreshToken,
    RegistrationThrottle,
    SignInSession,
    SignInThrottle,
    StaffAccount,
)

# --- accounts -------------------------------------------------------------------------------


async def get_account(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    return await session.get(Account, account_id)


async def account_by_email_key(session: AsyncSession, email_key: str) -> Account | None:
    return await session.scalar(select(Account).where(Account.email_key == email_key))


async def add_account(session: AsyncSession, account: Account) -> bool:
    """Insert ``account``; False (and nothing stored) when its e-mail key is already taken.

    A savepoint keeps the caller's transaction usable when a concurrent registration won.
    """
    return await _insert_unique(session, account, Account.email_key == account.email_key)


async def get_staff(session: AsyncSession, staff_id: uuid.UUID) -> StaffAccount | None:
    return await session.get(StaffAccount, staff_id)


async def staff_by_email_key(session: AsyncSession, email_key: str) -> StaffAccount | None:
    return await session.scalar(select(StaffAccount).where(StaffAccount.email_key == email_key))


async def add_staff(session: AsyncSession, staff: StaffAccount) -> bool:
    return await _insert_unique(session, staff, StaffAccount.email_key == staff.email_key)


async def _insert_unique(session: AsyncSession, row: Any, taken: Any) -> bool:
    if await session.scalar(select(type(row)).where(taken)) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def flush_unique(session: AsyncSession) -> bool:
    """Flush pending changes; False (changes undone) when they break a unique constraint."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        return False
    return True


# --- sign-in sessions and refresh tokens ----------------------------------------------------


async def get_sign_in_session(session: AsyncSession, session_id: uuid.UUID) -> SignInSession | None:
    return await session.get(SignInSession, session_id)


async def add_sign_in_session(
    session: AsyncSession, sign_in: SignInSession, refresh_token_hash: str
) -> None:
    session.add(sign_in)
    await session.flush()
    session.add(
        RefreshToken(
            token_hash=refresh_token_hash,
            session_id=sign_in.id,
            issued_at=sign_in.created_at,
            rotated_at=None,
        )
    )
    await session.flush()


async def refresh_token_with_session(
    session: AsyncSession, token_hash: str
) -> tuple[RefreshToken, SignInSession] | None:
    """The refresh token and its session, the token row locked against a parallel rotation."""
    stmt = (
        select(RefreshToken, SignInSession)
        .join(SignInSession, SignInSession.id == RefreshToken.session_id)
        .where(RefreshToken.token_hash == token_hash)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=RefreshToken)
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    return row[0], row[1]


async def add_refresh_token(
    session: AsyncSession, *, session_id: uuid.UUID, token_hash: str, now: datetime
) -> None:
    session.add(RefreshToken(token_hash=token_hash, session_id=session_id, issued_at=now))
    await session.flush()


async def revoke_sessions(
    session: AsyncSession,
    *,
    now: datetime,
    reason: str,
    account_id: uuid.UUID | None = None,
    staff_id: uuid.UUID | None = None,
    session_ids: list[uuid.UUID] | None = None,
    keep: uuid.UUID | None = None,
) -> int:
    """Revoke the still-open sessions that match; returns how many were open."""
    stmt = (
        update(SignInSession)
        .where(SignInSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    if account_id is not None:
        stmt = stmt.where(SignInSession.account_id == account_id)
    if staff_id is not None:
        stmt = stmt.where(SignInSession.staff_id == staff_id)
    if session_ids is not None:
        stmt = stmt.where(SignInSession.id.in_(session_ids))
    if keep is not None:
        stmt = stmt.where(SignInSession.id != keep)
    result: Any = await session.execute(stmt)
    return int(result.rowcount or 0)


# --- e-mailed single-use tokens -------------------------------------------------------------


async def add_account_token(session: AsyncSession, token: AccountToken) -> None:
    session.add(token)
    await session.flush()


async def account_token(session: AsyncSession, token_hash: str) -> AccountToken | None:
    stmt = select(AccountToken).where(AccountToken.token_hash == token_hash)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def latest_account_token(
    session: AsyncSession, *, account_id: uuid.UUID, purpose: str
) -> AccountToken | None:
    return await session.scalar(
        select(AccountToken)
        .where(AccountToken.account_id == account_id, AccountToken.purpose == purpose)
        .order_by(AccountToken.created_at.desc())
        .limit(1)
    )


async def use_up_account_tokens(
    session: AsyncSession, *, account_id: uuid.UUID, purpose: str, now: datetime
) -> None:
    """Spend every open token of ``purpose``: one confirmation makes the other links void."""
    await session.execute(
        update(AccountToken)
        .where(
            AccountToken.account_id == account_id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session="fetch")
    )


# --- sign-in throttle -----------------------------------------------------------------------


async def throttle_for_update(session: AsyncSession, key_hash: str) -> SignInThrottle | None:
    stmt = (
        select(SignInThrottle)
        .where(SignInThrottle.email_key_hash == key_hash)
        .execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def save_throttle(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert or overwrite the throttle row of ``values["email_key_hash"]`` in one statement, so
    two first failures for the same address at once cannot collide."""
    key = ["email_key_hash"]
    changes = {name: value for name, value in values.items() if name != "email_key_hash"}
    stmt = dialect_insert(session, SignInThrottle).values(values)
    await session.execute(stmt.on_conflict_do_update(index_elements=key, set_=changes))


async def delete_throttle(session: AsyncSession, key_hash: str) -> None:
    await session.execute(delete(SignInThrottle).where(SignInThrottle.email_key_hash == key_hash))


# --- registrations per client ---------------------------------------------------------------------


async def registration_throttle_for_update(
    session: AsyncSession, key_hash: str, *, now: datetime
) -> RegistrationThrottle:
    """The client's registration count, created when missing and locked on PostgreSQL so that
    concurrent registrations from one client are all counted."""
    fresh = {
        "client_key_hash": key_hash,
        "window_started_at": now,
        "attempts_in_window": 0,
        "previous_window_attempts": 0,
        "last_attempt_at": now,
    }
    await session.execute(
        dialect_insert(session, RegistrationThrottle).values(fresh).on_conflict_do_nothing()
    )
    stmt = (
        select(RegistrationThrottle)
        .where(RegistrationThrottle.client_key_hash == key_hash)
        .execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = await session.scalar(stmt)
    assert row is not None  # inserted just above when missing
    return row


# --- notices to an address's owner ----------------------------------------------------------------


async def claim_address_notice(
    session: AsyncSession, key_hash: str, *, now: datetime, last_sent_before: datetime
) -> bool:
    """Record a notice to the address now, unless one was recorded at or after
    ``last_sent_before``; True when this caller may send it.

    One statement: of two concurrent callers (other processes included) only one gets True, the
    other waits for its commit on PostgreSQL (or for the database lock on SQLite) and gets False.
    """
    stmt = (
        dialect_insert(session, AddressNotice)
        .values(email_key_hash=key_hash, last_sent_at=now)
        .on_conflict_do_update(
            index_elements=["email_key_hash"],
            set_={"last_sent_at": now},
            where=AddressNotice.last_sent_at < last_sent_before,
        )
        .returning(AddressNotice.email_key_hash)
    )
    return (await session.execute(stmt)).first() is not None


# --- the owner's data export (accounts.data_export) ---


async def export_rows(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Sequence[object]]:
    """The account, its sign-in sessions with their refresh tokens, and its e-mail links."""
    sessions = list(
        (
            await session.scalars(
                select(SignInSession)
                .where(SignInSession.account_id == account_id)
                .order_by(SignInSession.created_at, SignInSession.id)
            )
        ).all()
    )
    tokens = (
        await session.scalars(
            select(RefreshToken)
            .where(RefreshToken.session_id.in_([row.id for row in sessions]))
            .order_by(RefreshToken.issued_at)
        )
    ).all()
    links = (
        await session.scalars(
            select(AccountToken)
            .where(AccountToken.account_id == account_id)
            .order_by(AccountToken.created_at)
        )
    ).all()
    account = await session.get(Account, account_id)
    return {
        "accounts": [account] if account is not None else [],
        "sign_in_sessions": sessions,
        "refresh_tokens": list(tokens),
        "account_tokens": list(links),
    }


# --- erasure (rights) ------------------------------------------------------------------------


async def session_ids_of(session: AsyncSession, *, account_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = select(SignInSession.id).where(SignInSession.account_id == account_id)
    return list((await session.scalars(stmt)).all())


async def end_every_session(session: AsyncSession, *, account_id: uuid.UUID) -> list[uuid.UUID]:
    """Delete the account's sign-in sessions (their refresh tokens with them) and its e-mail
    links; returns the sessions' ids."""
    ids = list(
        (
            await session.scalars(
                select(SignInSession.id).where(SignInSession.account_id == account_id)
            )
        ).all()
    )
    if ids:
        await session.execute(delete(RefreshToken).where(RefreshToken.session_id.in_(ids)))
        await session.execute(delete(SignInSession).where(SignInSession.id.in_(ids)))
    await session.execute(delete(AccountToken).where(AccountToken.account_id == account_id))
    await session.flush()
    return ids


async def delete_account(
    session: AsyncSession, *, account_id: uuid.UUID, throttle_keys: list[str]
) -> None:
    """The account row itself, and the throttle and notice rows keyed by its address."""
    await session.execute(
        delete(SignInThrottle).where(SignInThrottle.email_key_hash.in_(throttle_keys))
    )
    await session.execute(
        delete(AddressNotice).where(AddressNotice.email_key_hash.in_(throttle_keys))
    )
    await session.execute(delete(Account).where(Account.id == account_id))
    await session.flush()
