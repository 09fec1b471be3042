"""Owner sign-in and sessions: API token pairs and the web app's cookie sessions.

A web cookie holds the refresh token of a ``channel="web"`` session; the web app never rotates it,
so one cookie lasts until its session is revoked or expires.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.accounts import repository
from linkplus.accounts.errors import (
    InvalidCredentials,
    InvalidRefreshToken,
    RefreshTokenReused,
)
from linkplus.accounts.service._common import (
    TOUCH_EVERY,
    IssuedTokens,
    _commit_then_refuse,
    _guarded_verify,
    _lookup_key,
    _open_session,
    _rehash_if_needed,
    _session_days,
    _throttle_key,
)
from linkplus.audit import service as audit
from linkplus.auth.errors import SessionRevoked
from linkplus.auth.tokens import issue_access_token
from linkplus.kit.secrets import new_token, token_hash
from linkplus.models.accounts import Account, Audience, SignInSession
from linkplus.runtime import Runtime


async def authenticate(
    session: AsyncSession, runtime: Runtime, *, email: str, password: str
) -> Account:
    """The owner with this address and password; throttled per address (see ``throttle``)."""
    key = _lookup_key(email)
    account = await repository.account_by_email_key(session, key)
    await _guarded_verify(
        session,
        runtime,
        throttle_key=_throttle_key(runtime.settings, Audience.owner, key),
        stored_hash=account.password_hash if account is not None else None,
        password=password,
        refusal=InvalidCredentials(),
    )
    assert account is not None  # _guarded_verify refuses when there is no account
    await _rehash_if_needed(runtime.settings, account, password)
    return account


async def start_session(
    session: AsyncSession,
    runtime: Runtime,
    account: Account,
    *,
    channel: str,
    user_agent: str | None = None,
) -> IssuedTokens:
    """A new sign-in for a stored account (never for the unsaved one ``register`` may return)."""
    if not inspect(account).persistent:
        raise ValueError("start_session needs a stored account")
    issued = await _open_session(
        session,
        runtime,
        audience=Audience.owner,
        subject=account.id,
        channel=channel,
        user_agent=user_agent,
        role=None,
    )
    return IssuedTokens(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        session_id=issued.session_id,
        expires_in=issued.expires_in,
        email_confirmed=account.email_confirmed_at is not None,
    )


async def sign_in(
    session: AsyncSession,
    runtime: Runtime,
    *,
    email: str,
    password: str,
    channel: str = "api",
    user_agent: str | None = None,
) -> IssuedTokens:
    account = await authenticate(session, runtime, email=email, password=password)
    return await start_session(session, runtime, account, channel=channel, user_agent=user_agent)


async def refresh(
    session: AsyncSession,
    runtime: Runtime,
    *,
    refresh_token: str,
    audience: Audience = Audience.owner,
) -> IssuedTokens:
    """Rotate: the presented token is spent and a new one issued in the same family.

    A token presented a second time was copied (or the client is broken): the whole family is
    revoked, so neither the thief nor the owner's copy keeps working.
    """
    now = runtime.clock.now()
    settings = runtime.settings
    found = await repository.refresh_token_with_session(session, token_hash(refresh_token))
    if found is None or found[1].audience != audience.value:
        raise InvalidRefreshToken()
    token, sign_in = found
    if sign_in.revoked_at is not None:
        raise SessionRevoked("You were signed out. Sign in again.")
    if token.rotated_at is not None:
        await repository.revoke_sessions(
            session, now=now, reason="refresh_token_reused", session_ids=[sign_in.id]
        )
        await audit.record(
            session,
            now=now,
            actor_type="system",
            actor_id=None,
            action="auth.refresh_token_reused",
            subject_type="account" if sign_in.account_id else "staff",
            subject_id=str(sign_in.account_id or sign_in.staff_id),
            details={"session_id": str(sign_in.id), "channel": sign_in.channel},
        )
        await _commit_then_refuse(session, runtime, RefreshTokenReused())
    if sign_in.expires_at <= now:
        raise SessionRevoked("This sign-in has expired. Sign in again.")
    role: str | None = None
    subject: uuid.UUID
    if sign_in.staff_id is not None:
        staff = await repository.get_staff(session, sign_in.staff_id)
        if staff is None or not staff.active:
            raise SessionRevoked("This staff account is no longer active.")
        subject, role = staff.id, staff.role
    else:
        assert sign_in.account_id is not None
        subject = sign_in.account_id
    token.rotated_at = now
    fresh = new_token()
    await repository.add_refresh_token(
        session, session_id=sign_in.id, token_hash=token_hash(fresh), now=now
    )
    sign_in.last_used_at = now
    sign_in.expires_at = now + timedelta(days=_session_days(settings, sign_in.channel))
    access = issue_access_token(
        settings, now, subject=subject, audience=audience, session_id=sign_in.id, role=role
    )
    return IssuedTokens(
        access_token=access,
        refresh_token=fresh,
        session_id=sign_in.id,
        expires_in=int(settings.access_token_ttl.total_seconds()),
        role=role,
    )


async def _live_web_session(
    session: AsyncSession, now: datetime, cookie_token: str
) -> SignInSession | None:
    """The owner's web session behind a cookie, unless it was revoked, expired or is not one."""
    found = await repository.refresh_token_with_session(session, token_hash(cookie_token))
    if found is None:
        return None
    token, sign_in = found
    if (
        token.rotated_at is not None
        or sign_in.revoked_at is not None
        or sign_in.expires_at <= now
        or sign_in.channel != "web"
        or sign_in.account_id is None
    ):
        return None
    return sign_in


async def account_for_web_session(
    session: AsyncSession, runtime: Runtime, *, cookie_token: str
) -> Account | None:
    """The owner behind a web cookie, or None once the session is revoked or expired."""
    now = runtime.clock.now()
    sign_in = await _live_web_session(session, now, cookie_token)
    if sign_in is None or sign_in.account_id is None:
        return None
    if sign_in.last_used_at <= now - TOUCH_EVERY:
        sign_in.last_used_at = now
    return await repository.get_account(session, sign_in.account_id)


async def web_session_id(
    session: AsyncSession, runtime: Runtime, *, cookie_token: str
) -> uuid.UUID | None:
    """The id of the owner's live web session behind a cookie, None if revoked, expired or unknown.

    Lets the web app name "this browser" to calls such as ``change_password`` that end every
    session but one.
    """
    sign_in = await _live_web_session(session, runtime.clock.now(), cookie_token)
    return sign_in.id if sign_in is not None else None


async def end_session(session: AsyncSession, runtime: Runtime, *, session_id: uuid.UUID) -> None:
    await repository.revoke_sessions(
        session, now=runtime.clock.now(), reason="signed_out", session_ids=[session_id]
    )


async def end_web_session(session: AsyncSession, runtime: Runtime, *, cookie_token: str) -> None:
    """Sign out the browser holding ``cookie_token`` (nothing happens for an unknown cookie)."""
    found = await repository.refresh_token_with_session(session, token_hash(cookie_token))
    if found is not None and found[1].channel == "web":
        await end_session(session, runtime, session_id=found[1].id)


async def logout(
    session: AsyncSession,
    runtime: Runtime,
    *,
    account_id: uuid.UUID | None = None,
    staff_id: uuid.UUID | None = None,
    session_id: uuid.UUID,
    refresh_token: str | None = None,
) -> None:
    """End the caller's session and, when given, the session of a refresh token they hold."""
    now = runtime.clock.now()
    ids = [session_id]
    if refresh_token is not None:
        found = await repository.refresh_token_with_session(session, token_hash(refresh_token))
        if found is not None:
            ids.append(found[1].id)
    await repository.revoke_sessions(
        session,
        now=now,
        reason="signed_out",
        session_ids=ids,
        account_id=account_id,
        staff_id=staff_id,
    )
