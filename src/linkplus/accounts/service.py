"""Owner and staff accounts: registration, activation, sign-in, sessions, passwords, profile.

Two deliberate departures from "services flush, never commit":

* A refused sign-in (wrong password, unknown address) and a re-used refresh token must leave a
  trace (a throttle count, a revoked family) although the request then fails, and the request
  scope rolls back on any error. ``_commit_then_refuse`` commits that trace before raising. It
  is used only on those refusal paths, where nothing else has been written.

Non-revealing answers: sign-in, registration and password reset answer the same whether or not an
address has an account. An unknown address is checked against a dummy hash and counted in the
same throttle as a known one, so even timing and back-off behave alike.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.accounts import messages, passwords, repository, throttle
from linkplus.accounts.email_address import InvalidEmail, normalize_email
from linkplus.accounts.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidEmailAddress,
    InvalidRefreshToken,
    InvalidStaffInput,
    LinkExpired,
    LinkInvalid,
    RefreshTokenReused,
    SameEmail,
    SessionRevoked,
    SignInThrottled,
    StaffEmailTaken,
    WeakPassword,
    WrongPassword,
)
from linkplus.accounts.schemas import ProfileOut, ProfileUpdate, RegistrationIn
from linkplus.accounts.tokens import issue_access_token
from linkplus.audit import service as audit
from linkplus.config import Settings
from linkplus.errors import ProblemError
from linkplus.kit.secrets import new_token, sign, token_hash
from linkplus.models.accounts import (
    Account,
    AccountToken,
    Audience,
    SignInSession,
    SignInThrottle,
    StaffAccount,
    StaffRole,
    TokenPurpose,
)
from linkplus.notifications import service as notifications
from linkplus.runtime import Runtime

CHANNELS = ("api", "web")
# A second link of the same kind within this time is not sent (stops mail flooding).
RESEND_PAUSE = timedelta(seconds=60)
# The web session's "last used" is written at most this often, not on every page view.
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    session_id: uuid.UUID
    expires_in: int
    email_confirmed: bool | None = None
    role: str | None = None


# --- passwords and the sign-in throttle -----------------------------------------------------


async def _hash(settings: Settings, password: str) -> str:
    # argon2 takes tens of milliseconds of CPU by design: keep it off the event loop.
    return await asyncio.to_thread(passwords.hash_password, settings, password)


async def _verify(settings: Settings, stored_hash: str, password: str) -> bool:
    return await asyncio.to_thread(passwords.verify_password, settings, stored_hash, password)


def _dummy_hash(settings: Settings) -> str:
    return passwords.dummy_hash(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )


def _lookup_key(raw_email: str) -> str:
    """The key to look an address up by; malformed input still gets a (never matching) key."""
    try:
        return normalize_email(raw_email)[1]
    except InvalidEmail:
        return raw_email.strip(" ").casefold()


def _throttle_key(settings: Settings, audience: Audience, email_key: str) -> str:
    # Keyed (HMAC) so the table does not let anyone confirm which addresses were tried.
    return sign(settings.resolved_secret_key, f"sign-in:{audience.value}:{email_key}")


def _state_of(row: SignInThrottle | None) -> throttle.ThrottleState | None:
    if row is None:
        return None
    return throttle.ThrottleState(
        window_started_at=row.window_started_at,
        consecutive_failures=row.consecutive_failures,
        failures_in_window=row.failures_in_window,
        previous_window_failures=row.previous_window_failures,
        blocked_until=row.blocked_until,
    )


async def _save_state(
    session: AsyncSession, key: str, state: throttle.ThrottleState, last_failure_at: datetime
) -> None:
    await repository.save_throttle(
        session,
        {
            "email_key_hash": key,
            "consecutive_failures": state.consecutive_failures,
            "window_started_at": state.window_started_at,
            "failures_in_window": state.failures_in_window,
            "previous_window_failures": state.previous_window_failures,
            "last_failure_at": last_failure_at,
            "blocked_until": state.blocked_until,
        },
    )


async def _commit_then_refuse(session: AsyncSession, refusal: ProblemError) -> NoReturn:
    """Keep what the refusal wrote (see the module docstring), then refuse."""
    await session.commit()
    raise refusal


async def _guarded_verify(
    session: AsyncSession,
    runtime: Runtime,
    *,
    throttle_key: str,
    stored_hash: str | None,
    password: str,
    refusal: ProblemError,
) -> None:
    """Check ``password`` under the throttle; raise ``refusal`` when it is wrong.

    ``stored_hash`` None (no such account) costs the same as a wrong password and counts the same.
    """
    now = runtime.clock.now()
    settings = runtime.settings
    row = await repository.throttle_for_update(session, throttle_key)
    state = _state_of(row)
    decision = throttle.check(state, now)
    if not decision.allowed:
        raise SignInThrottled(decision.retry_after_seconds(now))
    matches = await _verify(settings, stored_hash or _dummy_hash(settings), password)
    if not matches or stored_hash is None:
        await _save_state(session, throttle_key, throttle.record_failure(state, now), now)
        await _commit_then_refuse(session, refusal)
    if (
        row is not None
        and state is not None
        and (state.consecutive_failures or state.blocked_until)
    ):
        await _save_state(
            session, throttle_key, throttle.record_success(state, now), row.last_failure_at
        )


async def _rehash_if_needed(
    settings: Settings, holder: Account | StaffAccount, password: str
) -> None:
    if passwords.needs_rehash(settings, holder.password_hash):
        holder.password_hash = await _hash(settings, password)


def _require_policy(password: str, email: str | None) -> None:
    problem = passwords.policy_problem(password, email=email)
    if problem is not None:
        raise WeakPassword(problem)


# --- e-mailed single-use tokens -------------------------------------------------------------


async def _issue_link(
    session: AsyncSession,
    runtime: Runtime,
    account: Account,
    *,
    purpose: TokenPurpose,
    ttl: timedelta,
    path: str,
    new_email: str | None = None,
) -> str:
    now = runtime.clock.now()
    token = new_token()
    await repository.add_account_token(
        session,
        AccountToken(
            token_hash=token_hash(token),
            account_id=account.id,
            purpose=purpose.value,
            new_email=new_email,
            created_at=now,
            expires_at=now + ttl,
            used_at=None,
        ),
    )
    return f"{runtime.settings.public_url.rstrip('/')}{path}?token={token}"


_ASK_AGAIN = {
    TokenPurpose.activation: "Sign in and ask for a new confirmation link.",
    TokenPurpose.password_reset: "Ask for a new link with 'Reset it' on the sign-in page.",
    TokenPurpose.email_change: "Ask for the change again in your account settings.",
}


async def _spend_token(
    session: AsyncSession, runtime: Runtime, token: str, purpose: TokenPurpose
) -> tuple[AccountToken, Account]:
    """The token's row and account, marked used; refused when unknown, used or expired."""
    now = runtime.clock.now()
    row = await repository.account_token(session, token_hash(token))
    if row is None or row.purpose != purpose.value or row.used_at is not None:
        raise LinkInvalid("This link is not valid or was already used. " + _ASK_AGAIN[purpose])
    if row.expires_at <= now:
        raise LinkExpired("This link has expired. " + _ASK_AGAIN[purpose])
    account = await repository.get_account(session, row.account_id)
    if account is None:
        raise LinkInvalid("This link is not valid or was already used. " + _ASK_AGAIN[purpose])
    row.used_at = now
    return row, account


async def _recently_sent(
    session: AsyncSession, now: datetime, account: Account, purpose: TokenPurpose
) -> bool:
    latest = await repository.latest_account_token(
        session, account_id=account.id, purpose=purpose.value
    )
    return latest is not None and latest.created_at > now - RESEND_PAUSE


async def _mail(
    session: AsyncSession, now: datetime, to: str, mail: messages.Mail, account: Account | None
) -> None:
    await notifications.queue_email(
        session,
        now=now,
        to=to,
        subject=mail.subject,
        text=mail.text,
        account_id=account.id if account is not None else None,
    )


def _public_url(runtime: Runtime) -> str:
    return runtime.settings.public_url.rstrip("/")


# --- registration and activation ------------------------------------------------------------


async def register(
    session: AsyncSession, runtime: Runtime, data: RegistrationIn, *, channel: str = "api"
) -> Account:
    """Create an unconfirmed account and mail its activation link.

    For an address that already has an account nothing is created: its owner gets a mail saying
    someone tried to register ("if it was you, sign in or reset your password"), and the caller
    gets back an unsaved account built from ``data``, so the answer to the client is identical to
    a new registration and reveals nothing. Never sign anyone in on the strength of the returned
    account; the client signs in with its password like everyone else.
    """
    now = runtime.clock.now()
    settings = runtime.settings
    display, key = normalize_email(data.email)
    account = Account(
        id=uuid.uuid4(),
        email=display,
        email_key=key,
        password_hash=await _hash(settings, data.password),
        first_name=data.first_name,
        last_name=data.last_name,
        country=data.country,
        language=data.language,
        phone=data.phone,
        email_confirmed_at=None,
        password_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    if await repository.add_account(session, account):
        link = await _issue_link(
            session,
            runtime,
            account,
            purpose=TokenPurpose.activation,
            ttl=timedelta(hours=settings.activation_hours),
            path="/activate",
        )
        await _mail(
            session,
            now,
            account.email,
            messages.activation(account.first_name, link, settings.activation_hours),
            account,
        )
        await audit.record(
            session,
            now=now,
            actor_type="owner",
            actor_id=str(account.id),
            action="account.registered",
            subject_type="account",
            subject_id=str(account.id),
            details={"channel": channel},
        )
        return account
    existing = await repository.account_by_email_key(session, key)
    if existing is not None:
        await _mail(
            session,
            now,
            existing.email,
            messages.already_registered(existing.first_name, _public_url(runtime)),
            existing,
        )
    return account


async def resend_activation(session: AsyncSession, runtime: Runtime, *, email: str) -> None:
    """Mail a fresh confirmation link; silent when there is nothing to confirm."""
    now = runtime.clock.now()
    account = await repository.account_by_email_key(session, _lookup_key(email))
    if account is None or account.email_confirmed_at is not None:
        return
    if await _recently_sent(session, now, account, TokenPurpose.activation):
        return
    hours = runtime.settings.activation_hours
    link = await _issue_link(
        session,
        runtime,
        account,
        purpose=TokenPurpose.activation,
        ttl=timedelta(hours=hours),
        path="/activate",
    )
    await _mail(
        session, now, account.email, messages.activation(account.first_name, link, hours), account
    )


async def activate(session: AsyncSession, runtime: Runtime, *, token: str) -> Account:
    now = runtime.clock.now()
    _row, account = await _spend_token(session, runtime, token, TokenPurpose.activation)
    await repository.use_up_account_tokens(
        session, account_id=account.id, purpose=TokenPurpose.activation.value, now=now
    )
    if account.email_confirmed_at is None:
        account.email_confirmed_at = now
        account.updated_at = now
        await audit.record(
            session,
            now=now,
            actor_type="owner",
            actor_id=str(account.id),
            action="account.activated",
            subject_type="account",
            subject_id=str(account.id),
        )
    return account


async def ensure_demo_owner(
    session: AsyncSession,
    runtime: Runtime,
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    country: str,
    language: str,
) -> bool:
    """The demo's owner, confirmed, created once. True when it was created now."""
    now = runtime.clock.now()
    display, key = normalize_email(email)
    if await repository.account_by_email_key(session, key) is not None:
        return False
    account = Account(
        email=display,
        email_key=key,
        password_hash=await _hash(runtime.settings, password),
        first_name=first_name,
        last_name=last_name,
        country=country,
        language=language,
        phone=None,
        email_confirmed_at=now,
        password_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    return await repository.add_account(session, account)


# --- sign-in and sessions -------------------------------------------------------------------


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


def _session_days(settings: Settings, channel: str) -> int:
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}, got {channel!r}")
    return settings.web_session_days if channel == "web" else settings.refresh_token_days


async def _open_session(
    session: AsyncSession,
    runtime: Runtime,
    *,
    audience: Audience,
    subject: uuid.UUID,
    channel: str,
    user_agent: str | None,
    role: str | None,
) -> IssuedTokens:
    now = runtime.clock.now()
    settings = runtime.settings
    sign_in = SignInSession(
        id=uuid.uuid4(),
        audience=audience.value,
        account_id=subject if audience is Audience.owner else None,
        staff_id=subject if audience is Audience.staff else None,
        channel=channel,
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(days=_session_days(settings, channel)),
        revoked_at=None,
        user_agent=user_agent[:300] if user_agent else None,
    )
    refresh = new_token()
    await repository.add_sign_in_session(session, sign_in, token_hash(refresh))
    access = issue_access_token(
        settings, now, subject=subject, audience=audience, session_id=sign_in.id, role=role
    )
    return IssuedTokens(
        access_token=access,
        refresh_token=refresh,
        session_id=sign_in.id,
        expires_in=int(settings.access_token_ttl.total_seconds()),
        role=role,
    )


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
        await _commit_then_refuse(session, RefreshTokenReused())
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


async def account_for_web_session(
    session: AsyncSession, runtime: Runtime, *, cookie_token: str
) -> Account | None:
    """The owner behind a web cookie, or None once the session is revoked or expired."""
    now = runtime.clock.now()
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
    if sign_in.last_used_at <= now - TOUCH_EVERY:
        sign_in.last_used_at = now
    return await repository.get_account(session, sign_in.account_id)


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


# --- passwords ------------------------------------------------------------------------------


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


# --- profile and e-mail address -------------------------------------------------------------


async def profile(session: AsyncSession, account: Account) -> ProfileOut:
    return ProfileOut(
        id=account.id,
        email=account.email,
        email_confirmed=account.email_confirmed_at is not None,
        first_name=account.first_name,
        last_name=account.last_name,
        phone=account.phone,
        language=account.language,
        country=account.country,
        created_at=account.created_at,
        notification_preferences=await notifications.get_preferences(
            session, account_id=account.id
        ),
    )


async def update_profile(
    session: AsyncSession, runtime: Runtime, account: Account, changes: ProfileUpdate
) -> Account:
    """Apply the fields that were sent (see ``ProfileUpdate``)."""
    sent = changes.model_fields_set
    for name in ("first_name", "last_name", "phone", "language", "country"):
        if name in sent:
            setattr(account, name, getattr(changes, name))
    if "notification_preferences" in sent and changes.notification_preferences is not None:
        await notifications.set_preferences(
            session, account_id=account.id, changes=changes.notification_preferences
        )
    account.updated_at = runtime.clock.now()
    await session.flush()
    return account


async def update_and_show_profile(
    session: AsyncSession, runtime: Runtime, account: Account, changes: ProfileUpdate
) -> ProfileOut:
    await update_profile(session, runtime, account, changes)
    return await profile(session, account)


async def request_email_change(
    session: AsyncSession, runtime: Runtime, account: Account, *, new_email: str, password: str
) -> None:
    """Mail a confirmation link to the new address and a notice to the current one.

    If the new address already belongs to another account, that address is told so instead of
    getting a link, and the caller gets the usual answer: it does not learn whether the address
    is registered.
    """
    now = runtime.clock.now()
    settings = runtime.settings
    try:
        display, key = normalize_email(new_email)
    except InvalidEmail as exc:
        raise InvalidEmailAddress(str(exc)) from exc
    await _guarded_verify(
        session,
        runtime,
        throttle_key=_throttle_key(settings, Audience.owner, account.email_key),
        stored_hash=account.password_hash,
        password=password,
        refusal=WrongPassword(),
    )
    if key == account.email_key:
        raise SameEmail("This is already the address of your account.")
    await repository.use_up_account_tokens(
        session, account_id=account.id, purpose=TokenPurpose.email_change.value, now=now
    )
    if await repository.account_by_email_key(session, key) is not None:
        await _mail(session, now, display, messages.address_in_use(_public_url(runtime)), None)
    else:
        hours = settings.email_change_hours
        link = await _issue_link(
            session,
            runtime,
            account,
            purpose=TokenPurpose.email_change,
            ttl=timedelta(hours=hours),
            path="/confirm-email",
            new_email=display,
        )
        await _mail(
            session,
            now,
            display,
            messages.email_change_confirm(account.first_name, link, hours),
            account,
        )
    await _mail(
        session,
        now,
        account.email,
        messages.email_change_requested(account.first_name, display, _public_url(runtime)),
        account,
    )
    await audit.record(
        session,
        now=now,
        actor_type="owner",
        actor_id=str(account.id),
        action="account.email_change_requested",
        subject_type="account",
        subject_id=str(account.id),
    )


async def confirm_email_change(session: AsyncSession, runtime: Runtime, *, token: str) -> Account:
    """Switch to the confirmed address, unless another account took it in the meantime."""
    now = runtime.clock.now()
    row, account = await _spend_token(session, runtime, token, TokenPurpose.email_change)
    if row.new_email is None:
        raise LinkInvalid("This link is not valid. " + _ASK_AGAIN[TokenPurpose.email_change])
    display, key = normalize_email(row.new_email)
    taken = EmailTaken(
        "Another account now uses this address, so it cannot be moved to yours. "
        "Choose another address."
    )
    existing = await repository.account_by_email_key(session, key)
    if existing is not None and existing.id != account.id:
        raise taken
    old_email = account.email
    account.email, account.email_key = display, key
    account.updated_at = now
    if account.email_confirmed_at is None:
        account.email_confirmed_at = now
    if not await repository.flush_unique(session):
        raise taken
    await _mail(
        session,
        now,
        old_email,
        messages.email_changed(account.first_name, display, _public_url(runtime)),
        account,
    )
    await audit.record(
        session,
        now=now,
        actor_type="owner",
        actor_id=str(account.id),
        action="account.email_changed",
        subject_type="account",
        subject_id=str(account.id),
    )
    return account


# --- staff ----------------------------------------------------------------------------------


async def create_staff(
    session: AsyncSession,
    runtime: Runtime,
    *,
    email: str,
    name: str,
    role: StaffRole | str,
    password: str,
) -> StaffAccount:
    """The only way a staff account (and so a staff role) comes into existence."""
    now = runtime.clock.now()
    try:
        display, key = normalize_email(email)
    except InvalidEmail as exc:
        raise InvalidEmailAddress(str(exc)) from exc
    try:
        staff_role = StaffRole(role)
    except ValueError as exc:
        choices = ", ".join(r.value for r in StaffRole)
        raise InvalidStaffInput(f"Unknown role {role!r}; use one of: {choices}.") from exc
    clean_name = " ".join(name.split())
    if not clean_name or len(clean_name) > 200:
        raise InvalidStaffInput("Give the staff member's full name (1 to 200 characters).")
    _require_policy(password, display)
    staff = StaffAccount(
        id=uuid.uuid4(),
        email=display,
        email_key=key,
        password_hash=await _hash(runtime.settings, password),
        name=clean_name,
        role=staff_role.value,
        active=True,
        created_at=now,
    )
    if not await repository.add_staff(session, staff):
        raise StaffEmailTaken(f"A staff account for {display} already exists.")
    await audit.record(
        session,
        now=now,
        actor_type="system",
        actor_id=None,
        action="staff.created",
        subject_type="staff",
        subject_id=str(staff.id),
        details={"role": staff_role.value},
    )
    return staff


async def authenticate_staff(
    session: AsyncSession, runtime: Runtime, *, email: str, password: str
) -> StaffAccount:
    key = _lookup_key(email)
    staff = await repository.staff_by_email_key(session, key)
    usable = staff if staff is not None and staff.active else None
    await _guarded_verify(
        session,
        runtime,
        throttle_key=_throttle_key(runtime.settings, Audience.staff, key),
        stored_hash=usable.password_hash if usable is not None else None,
        password=password,
        refusal=InvalidCredentials(),
    )
    assert usable is not None
    await _rehash_if_needed(runtime.settings, usable, password)
    return usable


async def start_staff_session(
    session: AsyncSession,
    runtime: Runtime,
    staff: StaffAccount,
    *,
    channel: str = "api",
    user_agent: str | None = None,
) -> IssuedTokens:
    now = runtime.clock.now()
    issued = await _open_session(
        session,
        runtime,
        audience=Audience.staff,
        subject=staff.id,
        channel=channel,
        user_agent=user_agent,
        role=staff.role,
    )
    await audit.record(
        session,
        now=now,
        actor_type="staff",
        actor_id=str(staff.id),
        action="staff.signed_in",
        subject_type="staff",
        subject_id=str(staff.id),
        details={"channel": channel, "role": staff.role},
    )
    return issued


async def sign_in_staff(
    session: AsyncSession,
    runtime: Runtime,
    *,
    email: str,
    password: str,
    channel: str = "api",
    user_agent: str | None = None,
) -> IssuedTokens:
    staff = await authenticate_staff(session, runtime, email=email, password=password)
    return await start_staff_session(
        session, runtime, staff, channel=channel, user_agent=user_agent
    )


async def staff_for_web_session(
    session: AsyncSession, runtime: Runtime, *, cookie_token: str
) -> StaffAccount | None:
    """The staff member behind a console cookie, or None once revoked, expired or deactivated."""
    now = runtime.clock.now()
    found = await repository.refresh_token_with_session(session, token_hash(cookie_token))
    if found is None:
        return None
    token, sign_in = found
    if (
        token.rotated_at is not None
        or sign_in.revoked_at is not None
        or sign_in.expires_at <= now
        or sign_in.channel != "web"
        or sign_in.staff_id is None
    ):
        return None
    staff = await repository.get_staff(session, sign_in.staff_id)
    if staff is None or not staff.active:
        return None
    if sign_in.last_used_at <= now - TOUCH_EVERY:
        sign_in.last_used_at = now
    return staff
