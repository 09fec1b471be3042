"""Staff accounts: created only from the command line, signed in to the API and the console."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.accounts import repository
from linkplus.accounts.email_address import InvalidEmail, normalize_email
from linkplus.accounts.errors import (
    InvalidCredentials,
    InvalidEmailAddress,
    InvalidStaffInput,
    StaffEmailTaken,
)
from linkplus.accounts.service._common import (
    TOUCH_EVERY,
    IssuedTokens,
    _guarded_verify,
    _hash,
    _lookup_key,
    _open_session,
    _rehash_if_needed,
    _require_policy,
    _throttle_key,
)
from linkplus.audit import service as audit
from linkplus.kit.parsing import hidden_character
from linkplus.kit.secrets import token_hash
from linkplus.models.accounts import Audience, StaffAccount, StaffRole
from linkplus.runtime import Runtime


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
    if (hidden := hidden_character(clean_name)) is not None:
        raise InvalidStaffInput(
            f"Remove the invisible or control character {hidden} from the name."
        )
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
