"""Passwords: resetting a forgotten one from a mailed link, and changing a known one."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.accounts import messages, repository
from linkplus.accounts.errors import WrongPassword
from linkplus.accounts.service._common import (
    _guarded_verify,
    _hash,
    _issue_link,
    _lookup_key,
    _mail,
    _public_url,
    _recently_sent,
    _require_policy,
    _spend_token,
    _throttle_key,
)
from linkplus.audit import service as audit
from linkplus.models.accounts import Account, Audience, TokenPurpose
from linkplus.runtime import Runtime


async def request_password_reset(session: AsyncSession, runtime: Runtime, *, email: str) -> None:
    """Mail a reset link when the address has an account; silent either way.

    Works while sign-in is throttled: the link proves control of the mailbox, which is what
    the throttle cannot check.
    """
    now = runtime.clock.now()
    account = await repository.account_by_email_key(session, _lookup_key(email))
    if account is None or await _recently_sent(session, now, account, TokenPurpose.password_reset):
        return
    minutes = runtime.settings.password_reset_minutes
    link = await _issue_link(
        session,
        runtime,
        account,
        purpose=TokenPurpose.password_reset,
        ttl=timedelta(minutes=minutes),
        path="/reset-password",
    )
    await _mail(
        session,
        now,
        account.email,
        messages.password_reset(account.first_name, link, minutes),
        account,
    )


async def _set_password(
    session: AsyncSession, runtime: Runtime, account: Account, new_password: str
) -> None:
    _require_policy(new_password, account.email)
    now = runtime.clock.now()
    account.password_hash = await _hash(runtime.settings, new_password)
    account.password_changed_at = now
    account.updated_at = now


async def complete_password_reset(
    session: AsyncSession, runtime: Runtime, *, token: str, new_password: str
) -> Account:
    """Set the new password, end every session and lift the sign-in throttle.

    The reset happens signed out, so "every other session" is every session. The link also
    proves the address, so an unconfirmed account becomes confirmed.
    """
    now = runtime.clock.now()
    settings = runtime.settings
    _row, account = await _spend_token(session, runtime, token, TokenPurpose.password_reset)
    await _set_password(session, runtime, account, new_password)
    await repository.use_up_account_tokens(
        session, account_id=account.id, purpose=TokenPurpose.password_reset.value, now=now
    )
    if account.email_confirmed_at is None:
        account.email_confirmed_at = now
    await repository.revoke_sessions(
        session, now=now, reason="password_reset", account_id=account.id
    )
    await repository.delete_throttle(
        session, _throttle_key(settings, Audience.owner, account.email_key)
    )
    await _mail(
        session,
        now,
        account.email,
        messages.password_changed(account.first_name, _public_url(runtime), by_reset=True),
        account,
    )
    await audit.record(
        session,
        now=now,
        actor_type="owner",
        actor_id=str(account.id),
        action="account.password_reset",
        subject_type="account",
        subject_id=str(account.id),
    )
    return account


async def change_password(
    session: AsyncSession,
    runtime: Runtime,
    account: Account,
    *,
    current_password: str,
    new_password: str,
    keep_session_id: uuid.UUID | None,
) -> None:
    """Needs the current password (throttled like sign-in, so a stolen access token cannot be
    used to guess it); signs out every session but the caller's."""
    now = runtime.clock.now()
    await _guarded_verify(
        session,
        runtime,
        throttle_key=_throttle_key(runtime.settings, Audience.owner, account.email_key),
        stored_hash=account.password_hash,
        password=current_password,
        refusal=WrongPassword(),
    )
    await _set_password(session, runtime, account, new_password)
    await repository.revoke_sessions(
        session, now=now, reason="password_changed", account_id=account.id, keep=keep_session_id
    )
    await _mail(
        session,
        now,
        account.email,
        messages.password_changed(account.first_name, _public_url(runtime), by_reset=False),
        account,
    )
    await audit.record(
        session,
        now=now,
        actor_type="owner",
        actor_id=str(account.id),
        action="account.password_changed",
        subject_type="account",
        subject_id=str(account.id),
    )


async def confirm_password(
    session: AsyncSession, runtime: Runtime, account: Account, *, password: str
) -> None:
    """Check the owner's password again before a sensitive step (``WrongPassword`` if wrong),
    throttled like sign-in so a stolen access token cannot be used to guess it."""
    await _guarded_verify(
        session,
        runtime,
        throttle_key=_throttle_key(runtime.settings, Audience.owner, account.email_key),
        stored_hash=account.password_hash,
        password=password,
        refusal=WrongPassword(),
    )
