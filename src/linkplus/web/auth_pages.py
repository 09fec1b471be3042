"""Sign-up, activation, sign-in, sign-out and password reset.

Links from e-mails open a page with a button (GET changes nothing, because mail scanners fetch
links); the button posts the token and the service acts on it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from linkplus.accounts import service as accounts
from linkplus.accounts.schemas import PasswordResetComplete, RegistrationIn
from linkplus.accounts.time_zones import is_zone
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.models.accounts import Account
from linkplus.web.forms import (
    country_options,
    field_errors,
    language_options,
    optional,
    preferred_language,
)
from linkplus.web.i18n import N_
from linkplus.web.rendering import safe_next, see_other
from linkplus.web.sessions import (
    SESSION_COOKIE,
    FormDep,
    Refused,
    SignedInDep,
    VisitorDep,
    attempt,
    clear_cookie,
    form_secret,
    form_text,
    render,
    set_session_cookie,
)

router = APIRouter(include_in_schema=False)

_SIGNUP_FIELDS = ("first_name", "last_name", "email", "country", "language", "phone", "time_zone")


# --- sign-up ---------------------------------------------------------------------------------


def _signup_page(
    request: Request, visitor: VisitorDep, values: dict[str, str], **extra: Any
) -> Response:
    return render(
        request,
        visitor,
        "signup.html",
        values=values,
        countries=country_options(visitor.reader(request).language),
        languages=language_options(),
        **extra,
    )


@router.get("/signup")
async def signup_form(request: Request, visitor: VisitorDep) -> Response:
    if visitor.signed_in:
        return see_other("/")
    language = preferred_language(request.headers.get("accept-language"))
    return _signup_page(request, visitor, {"language": language})


@router.post("/signup")
async def signup(
    request: Request,
    visitor: VisitorDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    values = {name: form_text(form, name) for name in _SIGNUP_FIELDS}
    try:
        data = RegistrationIn.model_validate(
            {
                **values,
                "phone": optional(values["phone"]),
                # The browser's zone (time-zone.js); none or one this platform does not know:
                # the country's main zone. A hidden field gets no error message of its own.
                "time_zone": values["time_zone"] if is_zone(values["time_zone"]) else None,
                "password": form_secret(form, "password"),
            }
        )
    except ValidationError as exc:
        errors = field_errors(exc)
        if "country" in errors and not values["country"]:
            errors["country"] = N_("Choose your country.")
        return _signup_page(request, visitor, values, errors=errors, status=422)
    client = request.client.host if request.client else None
    outcome = await attempt(
        session, visitor, accounts.register(session, runtime, data, client=client, channel="web")
    )
    if isinstance(outcome, Refused):
        page = _signup_page(request, visitor, values, error=outcome.detail, status=outcome.status)
        page.headers.update(outcome.problem.headers)
        return page
    return see_other("/signup/done")


@router.get("/signup/done")
async def signup_done(request: Request, visitor: VisitorDep) -> Response:
    return render(request, visitor, "signed_up.html")


# --- activation ------------------------------------------------------------------------------


@router.get("/activate")
async def activate_form(request: Request, visitor: VisitorDep) -> Response:
    token = request.query_params.get("token", "")
    return render(request, visitor, "activate.html", token=token[:200])


@router.post("/activate")
async def activate(
    request: Request,
    visitor: VisitorDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    outcome = await attempt(
        session, visitor, accounts.activate(session, runtime, token=form_text(form, "token"))
    )
    if isinstance(outcome, Refused):
        return render(
            request, visitor, "activate.html", token="", error=outcome.detail, status=outcome.status
        )
    if visitor.signed_in:
        return see_other("/vehicle")
    return see_other("/signin", done="activated")


@router.get("/activation-email")
async def activation_email_form(request: Request, visitor: VisitorDep) -> Response:
    if visitor.confirmed:
        return see_other("/vehicle")
    return render(request, visitor, "activation_email.html")


@router.post("/activation-email")
async def activation_email(
    visitor: VisitorDep, form: FormDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    email = visitor.account.email if visitor.account else form_text(form, "email")
    await accounts.resend_activation(session, runtime, email=email)
    return see_other("/activation-email", done="activation_sent")


# --- sign-in and sign-out --------------------------------------------------------------------


@router.get("/signin")
async def signin_form(request: Request, visitor: VisitorDep) -> Response:
    if visitor.signed_in:
        return see_other("/")
    next_path = safe_next(request.query_params.get("next"))
    return render(request, visitor, "signin.html", next_path=next_path)


@router.post("/signin")
async def signin(
    request: Request,
    visitor: VisitorDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    email = form_text(form, "email")
    next_path = safe_next(form_text(form, "next"))

    async def sign_in() -> tuple[Account, accounts.IssuedTokens]:
        account = await accounts.authenticate(
            session, runtime, email=email, password=form_secret(form, "password")
        )
        issued = await accounts.start_session(
            session,
            runtime,
            account,
            channel="web",
            user_agent=request.headers.get("user-agent"),
        )
        return account, issued

    outcome = await attempt(session, visitor, sign_in())
    if isinstance(outcome, Refused):
        return render(
            request,
            visitor,
            "signin.html",
            values={"email": email},
            next_path=next_path,
            error=outcome.detail,
            status=outcome.status,
        )
    account, issued = outcome
    target = next_path if account.email_confirmed_at is not None else "/activation-email"
    response = see_other(target)
    set_session_cookie(response, runtime.settings, issued.refresh_token)
    return response


@router.post("/signout")
async def signout(
    visitor: SignedInDep, _form: FormDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    if visitor.session_cookie is not None:
        await accounts.end_web_session(session, runtime, cookie_token=visitor.session_cookie)
    response = see_other("/signin", done="signed_out")
    clear_cookie(response, runtime.settings, SESSION_COOKIE)
    return response


# --- password reset --------------------------------------------------------------------------


@router.get("/forgot-password")
async def forgot_password_form(request: Request, visitor: VisitorDep) -> Response:
    return render(request, visitor, "forgot_password.html")


@router.post("/forgot-password")
async def forgot_password(form: FormDep, session: SessionDep, runtime: RuntimeDep) -> Response:
    await accounts.request_password_reset(session, runtime, email=form_text(form, "email"))
    return see_other("/signin", done="reset_sent")


@router.get("/reset-password")
async def reset_password_form(request: Request, visitor: VisitorDep) -> Response:
    token = request.query_params.get("token", "")
    if not token:  # "reset your password now" in a security mail: start from the beginning
        return see_other("/forgot-password")
    return render(request, visitor, "reset_password.html", token=token[:200])


@router.post("/reset-password")
async def reset_password(
    request: Request,
    visitor: VisitorDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    token = form_text(form, "token")
    try:
        data = PasswordResetComplete(token=token, new_password=form_secret(form, "new_password"))
    except ValidationError as exc:
        errors = field_errors(exc)
        return render(
            request,
            visitor,
            "reset_password.html",
            token=token if "token" not in errors else "",
            errors=errors,
            error=errors.get("token"),
            status=422,
        )
    outcome = await attempt(
        session,
        visitor,
        accounts.complete_password_reset(
            session, runtime, token=data.token, new_password=data.new_password
        ),
    )
    if isinstance(outcome, Refused):
        if outcome.code == "weak_password":  # the link is fine: let them choose another password
            return render(
                request,
                visitor,
                "reset_password.html",
                token=token,
                errors={"new_password": outcome.detail},
                status=outcome.status,
            )
        return render(
            request,
            visitor,
            "reset_password.html",
            token="",
            error=outcome.detail,
            status=outcome.status,
        )
    response = see_other("/signin", done="password_reset")
    clear_cookie(response, runtime.settings, SESSION_COOKIE)
    return response
