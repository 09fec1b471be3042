"""Refusals of authentication that do not come from the token itself (those are in ``tokens``)."""

from __future__ import annotations

from linkplus.errors import Forbidden, Unauthorized


class SessionRevoked(Unauthorized):
    code = "session_revoked"
    title = "This sign-in has ended"


class EmailNotConfirmed(Forbidden):
    code = "email_not_confirmed"
    title = "Confirm your e-mail address first"
