"""Refusals of the accounts domain, each with a stable code and a message saying what to do."""

from __future__ import annotations

from linkplus.errors import Conflict, Forbidden, InvalidInput, TooManyRequests, Unauthorized


class InvalidCredentials(Unauthorized):
    """The same answer for an unknown address and a wrong password."""

    code = "invalid_credentials"
    title = "E-mail address or password is wrong"

    def __init__(self) -> None:
        super().__init__(
            "Check the e-mail address and password and try again, or reset your password.",
            headers={"WWW-Authenticate": "Bearer"},
        )


class SignInThrottled(TooManyRequests):
    code = "sign_in_throttled"
    title = "Too many failed sign-ins"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many failed attempts. Try again in {retry_after} seconds or reset your password.",
            headers={"Retry-After": str(retry_after)},
            retry_after=retry_after,
        )


class RegistrationThrottled(TooManyRequests):
    """Too many registrations from one client; says nothing about the address that was sent."""

    code = "registration_throttled"
    title = "Too many registrations from your connection"

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__(
            "Too many accounts were registered from your connection in the last hour. Nothing "
            f"was registered: try again in {minutes} minute{'' if minutes == 1 else 's'}.",
            headers={"Retry-After": str(retry_after)},
            retry_after=retry_after,
        )


class WrongPassword(Forbidden):
    code = "wrong_password"
    title = "The current password is wrong"

    def __init__(self) -> None:
        super().__init__("Enter your current password. If you forgot it, reset it.")


class WeakPassword(InvalidInput):
    code = "weak_password"
    title = "Choose another password"


class InvalidEmailAddress(InvalidInput):
    code = "invalid_email"
    title = "The e-mail address cannot be used"


class SameEmail(InvalidInput):
    code = "same_email"
    title = "This is already your address"


class EmailTaken(Conflict):
    code = "email_taken"
    title = "The address belongs to another account"


class StaffEmailTaken(Conflict):
    code = "staff_email_taken"
    title = "A staff account with this address exists"


class InvalidStaffInput(InvalidInput):
    code = "invalid_staff_input"
    title = "The staff account cannot be created"


class LinkInvalid(InvalidInput):
    """Unknown or already used e-mailed token."""

    status = 400
    code = "link_invalid"
    title = "This link is not valid"


class LinkExpired(InvalidInput):
    status = 400
    code = "link_expired"
    title = "This link has expired"


class InvalidRefreshToken(Unauthorized):
    code = "invalid_refresh_token"
    title = "The refresh token is not valid"

    def __init__(self) -> None:
        super().__init__("Sign in again.")


class RefreshTokenReused(Unauthorized):
    code = "refresh_token_reused"
    title = "This refresh token was already used"

    def __init__(self) -> None:
        super().__init__(
            "This refresh token was used before, so it may have been copied. For your safety "
            "this sign-in has ended on every device that shared it. Sign in again and consider "
            "changing your password."
        )
