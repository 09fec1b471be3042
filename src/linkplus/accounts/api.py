"""Owner accounts (``router``) and staff sign-in (``staff_router``) under /api/v1."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from linkplus.accounts import service
from linkplus.accounts.schemas import (
    Accepted,
    Activated,
    Done,
    EmailChangeIn,
    EmailIn,
    LogoutIn,
    PasswordChange,
    PasswordResetComplete,
    PendingConfirmation,
    ProfileOut,
    ProfileUpdate,
    RefreshIn,
    RegistrationIn,
    StaffOut,
    TokenIn,
    TokenPair,
)
from linkplus.auth.deps import (
    CurrentOwner,
    CurrentOwnerSignIn,
    CurrentStaff,
    CurrentStaffSignIn,
    UnconfirmedOwner,
    UnconfirmedOwnerSignIn,
)
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import problem_responses
from linkplus.models.accounts import Audience

# Links that are unknown or expired (400), wrong credentials (401), an address in use (409).
router = APIRouter(tags=["accounts"], responses=problem_responses(400, 401, 409))
staff_router = APIRouter(tags=["staff"], responses=problem_responses(401))

PasswordForm = Annotated[OAuth2PasswordRequestForm, Depends()]


def _token_pair(response: Response, issued: service.IssuedTokens) -> TokenPair:
    # RFC 6749 5.1: token responses must not be cached.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return TokenPair(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        refresh_token=issued.refresh_token,
        email_confirmed=issued.email_confirmed,
        role=issued.role,
    )


# --- registration and activation ------------------------------------------------------------


@router.post("/accounts", status_code=status.HTTP_202_ACCEPTED)
async def register(
    data: RegistrationIn, request: Request, session: SessionDep, runtime: RuntimeDep
) -> PendingConfirmation:
    """Create an account. The answer is the same when the address already has one.

    At most 10 registrations per client (IP address) per hour: 429 with ``Retry-After``.
    """
    client = request.client.host if request.client else None
    account = await service.register(session, runtime, data, client=client)
    return PendingConfirmation(
        detail=f"We sent a confirmation link to {account.email}. Open it within "
        f"{runtime.settings.activation_hours} hours to activate your account."
    )


@router.post("/accounts/activate")
async def activate(body: TokenIn, session: SessionDep, runtime: RuntimeDep) -> Activated:
    account = await service.activate(session, runtime, token=body.token)
    return Activated(
        email=account.email, detail="Your address is confirmed. You can now use your account."
    )


@router.post("/accounts/activation-email", status_code=status.HTTP_202_ACCEPTED)
async def resend_activation(body: EmailIn, session: SessionDep, runtime: RuntimeDep) -> Accepted:
    await service.resend_activation(session, runtime, email=body.email)
    return Accepted(
        detail="If this address has an account waiting for confirmation, we sent a new link."
    )


# --- sign-in and sessions -------------------------------------------------------------------


@router.post("/auth/token")
async def sign_in(
    form: PasswordForm,
    request: Request,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
) -> TokenPair:
    """OAuth2 password grant: ``username`` is the e-mail address."""
    issued = await service.sign_in(
        session,
        runtime,
        email=form.username,
        password=form.password,
        user_agent=request.headers.get("user-agent"),
    )
    return _token_pair(response, issued)


@router.post("/auth/refresh")
async def refresh(
    body: RefreshIn, response: Response, session: SessionDep, runtime: RuntimeDep
) -> TokenPair:
    issued = await service.refresh(session, runtime, refresh_token=body.refresh_token)
    return _token_pair(response, issued)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    caller: UnconfirmedOwnerSignIn,
    session: SessionDep,
    runtime: RuntimeDep,
    body: LogoutIn | None = None,
) -> None:
    await service.logout(
        session,
        runtime,
        account_id=caller.account.id,
        session_id=caller.session_id,
        refresh_token=body.refresh_token if body else None,
    )


@router.post("/auth/password-reset", status_code=status.HTTP_202_ACCEPTED)
async def request_password_reset(
    body: EmailIn, session: SessionDep, runtime: RuntimeDep
) -> Accepted:
    await service.request_password_reset(session, runtime, email=body.email)
    return Accepted(
        detail="If this address has an account, we sent a link to reset the password. It is "
        f"valid for {runtime.settings.password_reset_minutes} minutes."
    )


@router.post("/auth/password-reset/complete")
async def complete_password_reset(
    body: PasswordResetComplete, session: SessionDep, runtime: RuntimeDep
) -> Done:
    await service.complete_password_reset(
        session, runtime, token=body.token, new_password=body.new_password
    )
    return Done(
        status="password_changed",
        detail="Your password is changed and you were signed out everywhere. Sign in again.",
    )


# --- the signed-in owner --------------------------------------------------------------------


@router.get("/me")
async def me(account: UnconfirmedOwner, session: SessionDep) -> ProfileOut:
    """Works before the address is confirmed, so the app can show that it must be."""
    return await service.profile(session, account)


@router.patch("/me")
async def update_me(
    changes: ProfileUpdate, account: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> ProfileOut:
    return await service.update_and_show_profile(session, runtime, account, changes)


@router.post("/me/password")
async def change_password(
    body: PasswordChange, caller: CurrentOwnerSignIn, session: SessionDep, runtime: RuntimeDep
) -> Done:
    await service.change_password(
        session,
        runtime,
        caller.account,
        current_password=body.current_password,
        new_password=body.new_password,
        keep_session_id=caller.session_id,
    )
    return Done(
        status="password_changed",
        detail="Your password is changed. Every other device was signed out.",
    )


@router.post("/me/email", status_code=status.HTTP_202_ACCEPTED)
async def request_email_change(
    body: EmailChangeIn, account: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> Accepted:
    await service.request_email_change(
        session, runtime, account, new_email=body.new_email, password=body.password
    )
    return Accepted(
        detail=f"We sent a link to {body.new_email}. Your address changes once you open it "
        f"(within {runtime.settings.email_change_hours} hours)."
    )


@router.post("/me/email/confirm")
async def confirm_email_change(body: TokenIn, session: SessionDep, runtime: RuntimeDep) -> Done:
    """Needs no sign-in: the link may be opened on another device."""
    account = await service.confirm_email_change(session, runtime, token=body.token)
    return Done(status="email_changed", detail=f"Your account now signs in with {account.email}.")


# --- staff ----------------------------------------------------------------------------------


@staff_router.post("/staff/auth/token")
async def staff_sign_in(
    form: PasswordForm,
    request: Request,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
) -> TokenPair:
    issued = await service.sign_in_staff(
        session,
        runtime,
        email=form.username,
        password=form.password,
        user_agent=request.headers.get("user-agent"),
    )
    return _token_pair(response, issued)


@staff_router.post("/staff/auth/refresh")
async def staff_refresh(
    body: RefreshIn, response: Response, session: SessionDep, runtime: RuntimeDep
) -> TokenPair:
    issued = await service.refresh(
        session, runtime, refresh_token=body.refresh_token, audience=Audience.staff
    )
    return _token_pair(response, issued)


@staff_router.post("/staff/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def staff_logout(
    caller: CurrentStaffSignIn,
    session: SessionDep,
    runtime: RuntimeDep,
    body: LogoutIn | None = None,
) -> None:
    await service.logout(
        session,
        runtime,
        staff_id=caller.staff.id,
        session_id=caller.session_id,
        refresh_token=body.refresh_token if body else None,
    )


@staff_router.get("/staff/me")
async def staff_me(staff: CurrentStaff) -> StaffOut:
    return StaffOut(id=staff.id, email=staff.email, name=staff.name, role=staff.role)
