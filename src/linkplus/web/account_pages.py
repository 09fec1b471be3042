"""The Account section: profile, notification settings, password and e-mail address."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from linkplus.accounts import service as accounts
from linkplus.accounts.schemas import EmailChangeIn, PasswordChange, ProfileUpdate
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.models.accounts import Account
from linkplus.notifications import service as notifications
from linkplus.notifications.schemas import NotificationPreferencesIn
from linkplus.web.forms import (
    country_options,
    field_errors,
    language_options,
    optional,
    zone_options,
)
from linkplus.web.i18n import N_
from linkplus.web.rendering import see_other
from linkplus.web.sessions import (
    FormDep,
    OwnerDep,
    Refused,
    Visitor,
    VisitorDep,
    attempt,
    form_secret,
    form_text,
    owner_account,
    render,
)

router = APIRouter(include_in_schema=False)

_PROFILE_FIELDS = ("first_name", "last_name", "phone", "country", "language", "time_zone")
# Categories an owner may switch, with their labels (translated on the page); "account" mail
# always goes.
_CATEGORIES = (
    ("account", N_("Account and security")),
    ("vehicle_alerts", N_("Vehicle alerts")),
    ("billing", N_("Billing")),
    ("marketing", N_("News and offers")),
)


async def _account_page(
    request: Request,
    visitor: Visitor,
    session: SessionDep,
    *,
    status: int = 200,
    profile: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    account = owner_account(visitor)
    preferences = await notifications.get_preferences(session, account_id=account.id)
    stored_profile = {
        "first_name": account.first_name,
        "last_name": account.last_name,
        "phone": account.phone or "",
        "country": account.country,
        "language": account.language,
        "time_zone": account.time_zone,
    }
    extra.setdefault("email_values", {})
    extra.setdefault("failed", None)
    extra.setdefault("error_here", None)
    return render(
        request,
        visitor,
        "account.html",
        status=status,
        section="account",
        profile=profile or stored_profile,
        countries=country_options(visitor.reader(request).language),
        languages=_languages_with(account),
        zones=zone_options(),
        preferences=[(key, label, getattr(preferences, key)) for key, label in _CATEGORIES],
        **extra,
    )


def _languages_with(account: Account) -> tuple[tuple[str, str], ...]:
    """The offered languages, plus the account's own if it chose another one through the API."""
    options = language_options()
    if any(code == account.language for code, _ in options):
        return options
    return ((account.language, account.language), *options)


@router.get("/account")
async def account_page(request: Request, visitor: OwnerDep, session: SessionDep) -> Response:
    return await _account_page(request, visitor, session)


@router.post("/account/profile")
async def save_profile(
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    values = {name: form_text(form, name) for name in _PROFILE_FIELDS}
    sent: dict[str, str | None] = {**values, "phone": optional(values["phone"])}
    if not values["time_zone"]:  # a form from before the zone was on it: the zone stays
        del sent["time_zone"]
        values["time_zone"] = owner_account(visitor).time_zone
    try:
        changes = ProfileUpdate.model_validate(sent)
    except ValidationError as exc:
        return await _account_page(
            request, visitor, session, status=422, profile=values, errors=field_errors(exc)
        )
    outcome = await attempt(
        session,
        visitor,
        accounts.update_profile(session, runtime, owner_account(visitor), changes),
    )
    if isinstance(outcome, Refused):
        return await _account_page(
            request,
            visitor,
            session,
            status=outcome.status,
            profile=values,
            failed="profile",
            error_here=outcome.detail,
        )
    return see_other("/account", done="profile_saved")


def _preferences_from(form: FormData) -> NotificationPreferencesIn:
    """Unticked boxes are not posted at all, so every switchable channel is set explicitly."""
    choices = {
        key: {"email": f"{key}.email" in form, "push": f"{key}.push" in form}
        for key, _label in _CATEGORIES
        if key != "account"
    }
    return NotificationPreferencesIn.model_validate(choices)


@router.post("/account/notifications")
async def save_preferences(
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    changes = ProfileUpdate(notification_preferences=_preferences_from(form))
    outcome = await attempt(
        session,
        visitor,
        accounts.update_profile(session, runtime, owner_account(visitor), changes),
    )
    if isinstance(outcome, Refused):
        return await _account_page(
            request,
            visitor,
            session,
            status=outcome.status,
            failed="preferences",
            error_here=outcome.detail,
        )
    return see_other("/account", done="preferences_saved")


@router.post("/account/password")
async def change_password(
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    try:
        data = PasswordChange(
            current_password=form_secret(form, "current_password"),
            new_password=form_secret(form, "new_password"),
        )
    except ValidationError as exc:
        return await _account_page(request, visitor, session, status=422, errors=field_errors(exc))

    async def change() -> None:
        # Every session but this browser's ends, as in the API, where the caller's session is
        # kept: the cookie stays, so forms open in other tabs of this browser still work.
        keep = None
        if visitor.session_cookie is not None:
            keep = await accounts.web_session_id(
                session, runtime, cookie_token=visitor.session_cookie
            )
        await accounts.change_password(
            session,
            runtime,
            owner_account(visitor),
            current_password=data.current_password,
            new_password=data.new_password,
            keep_session_id=keep,
        )

    outcome = await attempt(session, visitor, change())
    if isinstance(outcome, Refused):
        return await _account_page(
            request,
            visitor,
            session,
            status=outcome.status,
            failed="password",
            error_here=outcome.detail,
        )
    return see_other("/account", done="password_changed")


@router.post("/account/email")
async def change_email(
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    new_email = form_text(form, "new_email")
    email_values = {"new_email": new_email}
    try:
        data = EmailChangeIn(new_email=new_email, password=form_secret(form, "email_password"))
    except ValidationError as exc:
        errors = field_errors(exc)
        if "password" in errors:
            errors["email_password"] = errors.pop("password")
        return await _account_page(
            request, visitor, session, status=422, errors=errors, email_values=email_values
        )
    outcome = await attempt(
        session,
        visitor,
        accounts.request_email_change(
            session,
            runtime,
            owner_account(visitor),
            new_email=data.new_email,
            password=data.password,
        ),
    )
    if isinstance(outcome, Refused):
        return await _account_page(
            request,
            visitor,
            session,
            status=outcome.status,
            failed="email",
            error_here=outcome.detail,
            email_values=email_values,
        )
    return see_other("/account", done="email_change_sent")


@router.get("/confirm-email")
async def confirm_email_form(request: Request, visitor: VisitorDep) -> Response:
    token = request.query_params.get("token", "")
    return render(request, visitor, "confirm_email.html", token=token[:200])


@router.post("/confirm-email")
async def confirm_email(
    request: Request,
    visitor: VisitorDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    outcome = await attempt(
        session,
        visitor,
        accounts.confirm_email_change(session, runtime, token=form_text(form, "token")),
    )
    if isinstance(outcome, Refused):
        return render(
            request,
            visitor,
            "confirm_email.html",
            token="",
            error=outcome.detail,
            status=outcome.status,
        )
    if visitor.confirmed:
        return see_other("/account", done="email_changed")
    return see_other("/signin", done="email_changed")
