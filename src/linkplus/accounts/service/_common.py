"""What the use-case modules of the accounts service share.

Password hashing, the sign-in throttle, e-mailed single-use links and opening a sign-in session
are needed by several use cases; they live here so each use-case module stays readable on its
own. The leading underscores stay: none of this is for callers outside the package.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.accounts import messages, passwords, repository, throttle
from linkplus.accounts.email_address import InvalidEmail, normalize_email
from linkplus.accounts.errors import (
    LinkExpired,
    LinkInvalid,
    RegistrationThrottled,
    SignInThrottled,
    WeakPassword,
)
from linkplus.auth.tokens import issue_access_token
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
    TokenPurpose,
)
from linkplus.notifications import service as notifications
from linkplus.runtime import Runtime

# A second link of the same kind within this time is not sent (stops mail flooding).
RESEND_PAUSE = timedelta(seconds=60)


# At most one "someone used your address" notice per address within this time (stops mail flooding
# of an address's owner through registrations or e-mail changes naming it).
ADDRESS_NOTICE_PAUSE = timedelta(hours=1)


# The web session's "last used" is written at most this often, not on every page view.
TOUCH_EVERY = timedelta(minutes=5)


CHANNELS = ("api", "web")


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    session_id: uuid.UUID
    expires_in: int
    email_confirmed: bool | None = None
    role: str | None = None


# --- passwords and the sign-in throttle -----------------------------------------------------------


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


async def _commit_then_refuse(
    session: AsyncSession, runtime: Runtime, refusal: ProblemError
) -> NoReturn:
    """Keep what the refusal wrote (see the package docstring), then refuse."""
    await runtime.db.commit(session)
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
        await _commit_then_refuse(session, runtime, refusal)
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


# --- e-mailed single-use tokens -------------------------------------------------------------------


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


async def _notice_to_address(
    session: AsyncSession,
    runtime: Runtime,
    *,
    email_key: str,
    to: str,
    mail: messages.Mail,
    account: Account | None,
) -> bool:
    """Mail a notice about the use of an address to its owner, at most once per address per
    ``ADDRESS_NOTICE_PAUSE`` (stored, so it holds across processes); True when it was queued.

    The caller's answer must not depend on the result: whether a notice went out is nobody's
    business but the address owner's.
    """
    now = runtime.clock.now()
    # Keyed (HMAC) by the normalised address, so the table does not list addresses.
    key = sign(runtime.settings.resolved_secret_key, f"address-notice:{email_key}")
    if not await repository.claim_address_notice(
        session, key, now=now, last_sent_before=now - ADDRESS_NOTICE_PAUSE
    ):
        return False
    await _mail(session, now, to, mail, account)
    return True


async def _count_registration(session: AsyncSession, runtime: Runtime, client: str | None) -> None:
    """Count a registration from ``client`` (its IP address), or refuse it with 429 when the
    client has used its hourly allowance (``throttle.check_registration``).

    Called before the address is looked at, so the answer cannot depend on it.
    """
    now = runtime.clock.now()
    key = sign(runtime.settings.resolved_secret_key, f"register:{throttle.client_key(client)}")
    row = await repository.registration_throttle_for_update(session, key, now=now)
    count = throttle.HourlyCount(
        row.window_started_at, row.attempts_in_window, row.previous_window_attempts
    )
    decision = throttle.check_registration(count, now)
    if not decision.allowed:
        raise RegistrationThrottled(decision.retry_after_seconds(now))
    counted = throttle.record_registration(count, now)
    row.window_started_at = counted.window_started_at
    row.attempts_in_window = counted.in_window
    row.previous_window_attempts = counted.previous_window
    row.last_attempt_at = now
    await session.flush()


def _public_url(runtime: Runtime) -> str:
    return runtime.settings.public_url.rstrip("/")


# --- sign-in sessions -----------------------------------------------------------------------------


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
