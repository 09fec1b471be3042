"""Who is calling: dependencies every router uses to authenticate owners and staff.

``CurrentOwner`` is an owner whose e-mail is confirmed (everything else in the API needs that);
``UnconfirmedOwner`` lets an owner who has not confirmed yet see that they must, and ask for a new
link. ``CurrentStaff`` answers 404 to anyone without a staff token, so the staff API does not even
show that it exists.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from linkplus.accounts import repository
from linkplus.accounts.tokens import decode_access_token
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import Forbidden, NotFound, ProblemError, Unauthorized
from linkplus.models.accounts import Account, Audience, StaffAccount, StaffRole

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/token")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


class SessionRevoked(Unauthorized):
    code = "session_revoked"
    title = "This sign-in has ended"


class EmailNotConfirmed(Forbidden):
    code = "email_not_confirmed"
    title = "Confirm your e-mail address first"


async def _owner(
    request: Request, runtime: RuntimeDep, session: SessionDep, credentials: BearerDep
) -> Account:
    if credentials is None:
        raise Unauthorized(
            "Sign in first and send the access token as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    now = runtime.clock.now()
    claims = decode_access_token(runtime.settings, now, credentials.credentials, audience=Audience.owner)
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
    return account


UnconfirmedOwner = Annotated[Account, Depends(_owner)]


async def _confirmed_owner(account: UnconfirmedOwner) -> Account:
    if account.email_confirmed_at is None:
        raise EmailNotConfirmed(
            "Open the link in the e-mail we sent you to confirm your address. "
            "To get a new link, use POST /api/v1/accounts/activation-email."
        )
    return account


CurrentOwner = Annotated[Account, Depends(_confirmed_owner)]


async def _staff(
    request: Request, runtime: RuntimeDep, session: SessionDep, credentials: BearerDep
) -> StaffAccount:
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
    return staff


CurrentStaff = Annotated[StaffAccount, Depends(_staff)]


def staff_with_role(
    *roles: StaffRole,
) -> Callable[[StaffAccount], Coroutine[Any, Any, StaffAccount]]:
    """A dependency that admits staff with one of ``roles`` (admins always)."""
    allowed = {role.value for role in roles} | {StaffRole.admin.value}

    async def check(staff: CurrentStaff) -> StaffAccount:
        if staff.role not in allowed:
            raise Forbidden(
                "Your staff role does not include this function. Ask an administrator.",
            )
        return staff

    return check
