"""Owner and staff accounts: registration, activation, sign-in, sessions, passwords, profile.

Callers import the package (``from linkplus.accounts import service as accounts``); the modules
inside split it by use case and share their helpers through ``_common``.

Two deliberate departures from "services flush, never commit":

* A refused sign-in (wrong password, unknown address) and a re-used refresh token must leave a
  trace (a throttle count, a revoked family) although the request then fails, and the request
  scope rolls back on any error. ``_commit_then_refuse`` commits that trace before raising. It
  is used only on those refusal paths, where nothing else has been written.

Non-revealing answers: sign-in, registration and password reset answer the same whether or not an
address has an account. An unknown address is checked against a dummy hash and counted in the
same throttle as a known one, so even timing and back-off behave alike.
"""

from linkplus.accounts.service._common import IssuedTokens
from linkplus.accounts.service.profile import (
    account_by_id,
    confirm_email_change,
    profile,
    request_email_change,
    update_and_show_profile,
    update_profile,
)
from linkplus.accounts.service.recovery import (
    change_password,
    complete_password_reset,
    confirm_password,
    request_password_reset,
)
from linkplus.accounts.service.registration import (
    activate,
    ensure_demo_owner,
    register,
    resend_activation,
)
from linkplus.accounts.service.sessions import (
    account_for_web_session,
    authenticate,
    end_session,
    end_web_session,
    logout,
    refresh,
    sign_in,
    start_session,
    web_session_id,
)
from linkplus.accounts.service.staff import (
    authenticate_staff,
    create_staff,
    sign_in_staff,
    staff_for_web_session,
    start_staff_session,
)

__all__ = [
    "IssuedTokens",
    "account_by_id",
    "account_for_web_session",
    "activate",
    "authenticate",
    "authenticate_staff",
    "change_password",
    "complete_password_reset",
    "confirm_email_change",
    "confirm_password",
    "create_staff",
    "end_session",
    "end_web_session",
    "ensure_demo_owner",
    "logout",
    "profile",
    "refresh",
    "register",
    "request_email_change",
    "request_password_reset",
    "resend_activation",
    "sign_in",
    "sign_in_staff",
    "staff_for_web_session",
    "start_session",
    "start_staff_session",
    "update_and_show_profile",
    "update_profile",
    "web_session_id",
]
