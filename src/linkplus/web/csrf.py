"""Signed double-submit tokens for every form the web app posts.

A token is a random nonce plus an HMAC over the nonce and a *binding*: a hash of the visitor's
sign-in cookie when signed in, otherwise the random ``lp_csrf`` cookie. Another site can make the
browser send our cookies but cannot read them, so it cannot produce a token that matches them; and
a token lifted from one visitor's page is worthless with anyone else's cookies.
"""

from __future__ import annotations

import secrets

from linkplus.kit.secrets import same, sign, token_hash

CSRF_COOKIE = "lp_csrf"
FIELD = "csrf_token"


def new_cookie_value() -> str:
    return secrets.token_urlsafe(24)


def binding_for_session(cookie_token: str) -> str:
    """Bind to a hash of the sign-in cookie, so the token itself never repeats the secret."""
    return "session:" + token_hash(cookie_token)


def binding_for_visitor(csrf_cookie: str) -> str:
    return "visitor:" + csrf_cookie


def issue(key: str, binding: str) -> str:
    nonce = secrets.token_urlsafe(16)
    return f"{nonce}.{sign(key, _message(binding, nonce))}"


def is_valid(key: str, binding: str, token: str | None) -> bool:
    if not token or token.count(".") != 1:
        return False
    nonce, signature = token.split(".")
    if not nonce or not signature:
        return False
    return same(sign(key, _message(binding, nonce)), signature)


def _message(binding: str, nonce: str) -> str:
    return f"csrf|{binding}|{nonce}"
