"""Who is calling: dependencies every router uses to authenticate owners and staff.

``CurrentOwner`` is an owner whose e-mail is confirmed (everything else in the API needs that);
``UnconfirmedOwner`` lets an owner who has not confirmed yet see that they must, and ask for a new
link. ``CurrentStaff`` answers 404 to anyone without a staff token, so the staff API does not even
show that it exists.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from linkplus.auth import repository
from linkplus.auth.errors import EmailNotConfirmed, SessionRevoked
from linkplus.auth.tokens import decode_access_token
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import Forbidden, NotFound, ProblemError, Unauthorized, raises
from linkplus.models.accounts import Account, Audience, StaffAccount, StaffRole

__all__ = [
    "CurrentOwner",
    "CurrentOwnerSignIn",
    "CurrentStaff",
    "CurrentStaffSignIn",
    "EmailNotConfirmed",
    "OwnerSignIn",
    "SessionRevoked",
    "StaffSignIn",
    "UnconfirmedOwner",
    "UnconfirmedOwnerSignIn",
    "staff_with_role",
]

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/token")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


@dataclass(frozen=True)
class OwnerSignIn:
    """The owner and the sign-in session their access token names (for sign-out and the like)."""

    account: Account
    session_id: uuid.UUID


@dataclass(frozen=True)
class StaffSignIn:
    staff: StaffAccount
    session_id: uuid.UUID


@raises(401)
async def _owner_sign_in(
    request: Request, runtime: RuntimeDep, session: SessionDep, credentials: BearerDep
) -> OwnerSignIn:
    if credentials is None:
        raise Unauthorized(
            "Sign in first and send the access token as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    now = runtime.clock.now()
    claims = decode_access_token(
        runtime.settings, now, credentials.credentials, audience=Audience.owner
    )
    request.state.authenticated = True
    sign_in = await repository.get_sign_in_session(session, claims.session_id)
    if (
        sign_in is None
        or sign_in.revoked_at is not None
        or sign_in.account_id != claims.subject
        or sign_in.expires_at <= now
    ):
        raise SessionRevoked("You were signed out. Sign in again.")
    account = await repository.get_account(session, claims.subject)
    if account is None:
        raise SessionRevoked("You were signed out. Sign in again.")
    return OwnerSignIn(account, sign_in.id)


UnconfirmedOwnerSignIn = Annotated[OwnerSignIn, Depends(_owner_sign_in)]


async def _owner(sign_in: UnconfirmedOwnerSignIn) -> Account:
    return sign_in.account


UnconfirmedOwner = Annotated[Account, Depends(_owner)]


@raises(403)
async def _confirmed_owner_sign_in(sign_in: UnconfirmedOwnerSignIn) -> OwnerSignIn:
    if sign_in.account.email_confirmed_at is None:
        raise EmailNotConfirmed(
            "Open the link in the e-mail we sent you to confirm your address. "
            "To get a new link, use POST /api/v1/accounts/activation-email."
        )
    return sign_in


CurrentOwnerSignIn = Annotated[OwnerSignIn, Depends(_confirmed_owner_sign_in)]


async def _confirmed_owner(sign_in: CurrentOwnerSignIn) -> Account:
    return sign_in.account


CurrentOwner = Annotated[Account, Depends(_confirmed_owner)]


@raises(401, 404)
async def _staff_sign_in(
    request: Request, runtime: RuntimeDep, session: SessionDep, credentials: BearerDep
) -> StaffSignIn:
    hidden = NotFound("There is nothing at this address.")
    if credentials is None:
        raise hidden
    now = runtime.clock.now()
    try:
        claims = decode_access_token(
            runtime.settings, now, credentials.credentials, audience=Audience.staff
        )
    except ProblemError as exc:
        # Expired staff tokens say so (staff need to know to sign in again); anything else,
        # including an owner's token, finds nothing here.
        if exc.code == "token_expired":
            raise
        raise hidden from exc
    request.state.authenticated = True
    sign_in = await repository.get_sign_in_session(session, claims.session_id)
    if (
        sign_in is None
        or sign_in.revoked_at is not None
        or sign_in.staff_id != claims.subject
        or sign_in.expires_at <= now
    ):
        raise SessionRevoked("You were signed out. Sign in again.")
    staff = await repository.get_staff(session, claims.subject)
    if staff is None or not staff.active:
        raise SessionRevoked("This staff account is no longer active.")
    return StaffSignIn(staff, sign_in.id)


CurrentStaffSignIn = Annotated[StaffSignIn, Depends(_staff_sign_in)]


async def _staff(sign_in: CurrentStaffSignIn) -> StaffAccount:
    return sign_in.staff


CurrentStaff = Annotated[StaffAccount, Depends(_staff)]


def staff_with_role(
    *roles: StaffRole,
) -> Callable[[StaffAccount], Coroutine[Any, Any, StaffAccount]]:
    """A dependency that admits staff with one of ``roles`` (admins always)."""
    allowed = {role.value for role in roles} | {StaffRole.admin.value}

    @raises(403)
    async def check(staff: CurrentStaff) -> StaffAccount:
        if staff.role not in allowed:
            raise Forbidden(
                "Your staff role does not include this function. Ask an administrator.",
            )
        return staff

    return check
