"""Short-lived access tokens (JWT, HS256). ``aud`` separates owners from staff.

Expiry is checked against the injected clock, not the system time, so tests can move past it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from linkplus.config import Settings
from linkplus.errors import Unauthorized
from linkplus.models.accounts import Audience

ISSUER = "linkplus"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class AccessClaims:
    subject: uuid.UUID
    audience: Audience
    session_id: uuid.UUID
    role: str | None
    expires_at: datetime


class InvalidToken(Unauthorized):
    code = "invalid_token"
    title = "The access token is not valid"


class ExpiredToken(Unauthorized):
    code = "token_expired"
    title = "The access token has expired"


class WrongAudience(Unauthorized):
    code = "wrong_token_audience"
    title = "This token is not for this part of the API"


def issue_access_token(
    settings: Settings,
    now: datetime,
    *,
    subject: uuid.UUID,
    audience: Audience,
    session_id: uuid.UUID,
    role: str | None = None,
    ttl: timedelta | None = None,
) -> str:
    expires = now + (ttl or settings.access_token_ttl)
    claims: dict[str, object] = {
        "iss": ISSUER,
        "sub": str(subject),
        "aud": audience.value,
        "sid": str(session_id),
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": uuid.uuid4().hex,
    }
    if role is not None:
        claims["role"] = role
    return jwt.encode(claims, settings.resolved_secret_key, algorithm=ALGORITHM)


def decode_access_token(
    settings: Settings, now: datetime, token: str, *, audience: Audience
) -> AccessClaims:
    try:
        claims = jwt.decode(
            token,
            settings.resolved_secret_key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={
                "verify_aud": False,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "require": ["sub", "aud", "sid", "exp", "iss"],
            },
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken("Sign in again to get a new token.") from exc
    if claims.get("aud") != audience.value:
        if audience is Audience.owner:
            raise WrongAudience("Staff tokens cannot be used on owner routes; sign in as an owner.")
        raise WrongAudience("Owner tokens cannot be used here.")
    exp = claims["exp"]
    if not isinstance(exp, int) or now.timestamp() >= exp:
        raise ExpiredToken("Refresh the token or sign in again.")
    try:
        return AccessClaims(
            subject=uuid.UUID(str(claims["sub"])),
            audience=audience,
            session_id=uuid.UUID(str(claims["sid"])),
            role=claims.get("role"),
            expires_at=datetime.fromtimestamp(exp, tz=now.tzinfo),
        )
    except ValueError as exc:
        raise InvalidToken("Sign in again to get a new token.") from exc
