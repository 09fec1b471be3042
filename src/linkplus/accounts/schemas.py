"""Request and response bodies of the accounts API.

Input models refuse unknown fields, so a body carrying ``"role": "admin"`` is answered 422
naming that field instead of being silently ignored. Values are checked here (country, language,
phone, e-mail syntax, password policy) so every refusal names the field it is about.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import phonenumbers
import pycountry
from babel import Locale, UnknownLocaleError
from babel.localedata import locale_identifiers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from linkplus.accounts.email_address import InvalidEmail, normalize_email
from linkplus.accounts.passwords import MAX_LENGTH, MIN_LENGTH, policy_problem
from linkplus.accounts.time_zones import MAX_LENGTH as ZONE_MAX_LENGTH
from linkplus.accounts.time_zones import is_zone, zone_names
from linkplus.kit.parsing import NAME_PATTERN, InputRefused, check_display_text
from linkplus.notifications.schemas import NotificationPreferencesIn, NotificationPreferencesOut


def check_email(value: str) -> str:
    try:
        return normalize_email(value)[0]
    except InvalidEmail as exc:
        raise PydanticCustomError("invalid_email", str(exc)) from exc


def check_country(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise PydanticCustomError(
            "invalid_country", "Use a two-letter ISO 3166-1 country code such as DE or FR."
        )
    return code


def check_language(value: str) -> str:
    """A language tag babel knows (``de``, ``en-GB``, ``pt_BR``), stored with a hyphen."""
    try:
        locale = Locale.parse(value.strip().replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise PydanticCustomError(
            "invalid_language", "Use a language code such as en, de or fr-CA."
        ) from exc
    return "-".join(part for part in (locale.language, locale.script, locale.territory) if part)


def check_time_zone(value: str) -> str:
    """An IANA time zone name (``Europe/Berlin``, ``UTC``), as the browser reports it."""
    name = value.strip()
    if not is_zone(name):
        raise PydanticCustomError(
            "invalid_time_zone", "Use a time zone name such as Europe/Berlin or UTC."
        )
    return name


def check_phone(value: str) -> str:
    """E.164 only (``+4915112345678``): unambiguous without knowing the owner's country."""
    candidate = value.strip()
    message = "Use the international format with country code, such as +4915112345678."
    if not candidate.startswith("+"):
        raise PydanticCustomError("invalid_phone", message)
    try:
        parsed = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException as exc:
        raise PydanticCustomError("invalid_phone", message) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise PydanticCustomError("invalid_phone", "This is not a valid phone number. " + message)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _strip_name(value: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise PydanticCustomError("empty_name", "Enter a name.")
    try:
        return check_display_text(stripped, field="name")
    except InputRefused as refused:
        raise PydanticCustomError(refused.kind, refused.message) from None


# The OpenAPI states what the validators enforce, so a request the schema allows is not refused:
# the e-mail format, the ISO country codes and the language tags babel knows.
COUNTRY_CODES = sorted(country.alpha_2 for country in pycountry.countries)
LANGUAGE_TAGS = sorted({check_language(tag) for tag in locale_identifiers()})

Email = Annotated[
    str,
    Field(max_length=320, json_schema_extra={"format": "email"}),
    AfterValidator(check_email),
]
Country = Annotated[
    str,
    Field(max_length=100, json_schema_extra={"enum": COUNTRY_CODES}),
    AfterValidator(check_country),
]
Language = Annotated[
    str,
    Field(max_length=35, json_schema_extra={"enum": LANGUAGE_TAGS}),
    AfterValidator(check_language),
]
TimeZone = Annotated[
    str,
    Field(max_length=ZONE_MAX_LENGTH, json_schema_extra={"enum": list(zone_names())}),
    AfterValidator(check_time_zone),
]
Phone = Annotated[str, Field(max_length=32), AfterValidator(check_phone)]
Name = Annotated[
    str,
    Field(max_length=100, json_schema_extra={"pattern": NAME_PATTERN}),
    AfterValidator(_strip_name),
]
Password = Annotated[str, Field(max_length=MAX_LENGTH)]
# A password being set: the schema states the policy's length and "not only spaces"; the policy
# itself checks them (with its own message) and what no schema can say: the common-password
# list and "not your e-mail address".
NewPassword = Annotated[
    str,
    Field(max_length=MAX_LENGTH, json_schema_extra={"minLength": MIN_LENGTH, "pattern": r"\S"}),
]
Token = Annotated[str, Field(min_length=1, max_length=200)]


def _password_policy(password: str, email: str | None = None) -> str:
    problem = policy_problem(password, email=email)
    if problem is not None:
        raise PydanticCustomError("weak_password", problem)
    return password


def _absent_not_null(schema: dict[str, Any], *names: str) -> None:
    """In the OpenAPI, fields that may be left out but not sent as null: drop the null branch."""
    for name in names:
        field = schema["properties"][name]
        choices = [c for c in field.pop("anyOf", []) if c != {"type": "null"}]
        if len(choices) == 1:
            field.update(choices[0])
        elif choices:
            field["anyOf"] = choices


# --- registration and activation ------------------------------------------------------------


class RegistrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: NewPassword
    first_name: Name
    last_name: Name
    country: Country
    language: Language
    # Left out: the country's main zone (the web form sends the browser's own).
    time_zone: TimeZone | None = None
    phone: Phone | None = None

    @field_validator("password")
    @classmethod
    def _policy(cls, value: str, info: ValidationInfo) -> str:
        email = info.data.get("email")
        return _password_policy(value, email if isinstance(email, str) else None)


class PendingConfirmation(BaseModel):
    """The answer to every registration, whether or not the address was already known."""

    status: str = "pending_confirmation"
    detail: str


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Token


class EmailIn(BaseModel):
    """An address to send a link to. Not validated: every value gets the same answer."""

    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, Field(max_length=320)]


class Accepted(BaseModel):
    status: str = "accepted"
    detail: str


class Activated(BaseModel):
    status: str = "active"
    email: str
    detail: str


# --- sign-in and sessions -------------------------------------------------------------------


class TokenPair(BaseModel):
    """OAuth2 token response (RFC 6749 section 5.1) plus whether the e-mail is confirmed."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int
    refresh_token: str
    email_confirmed: bool | None = None
    role: str | None = None


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: Token


class LogoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: Token | None = None


# --- password -------------------------------------------------------------------------------


class PasswordResetComplete(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Token
    new_password: NewPassword

    @field_validator("new_password")
    @classmethod
    def _policy(cls, value: str) -> str:
        return _password_policy(value)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: Password
    new_password: NewPassword

    @field_validator("new_password")
    @classmethod
    def _policy(cls, value: str) -> str:
        return _password_policy(value)


class Done(BaseModel):
    status: str
    detail: str


# --- profile --------------------------------------------------------------------------------


class ProfileUpdate(BaseModel):
    """Only the fields sent are changed; ``phone: null`` removes the phone number."""

    first_name: Name | None = None
    last_name: Name | None = None
    phone: Phone | None = None
    language: Language | None = None
    country: Country | None = None
    time_zone: TimeZone | None = None
    notification_preferences: NotificationPreferencesIn | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=lambda schema: _absent_not_null(
            schema,
            "first_name",
            "last_name",
            "language",
            "country",
            "time_zone",
            "notification_preferences",
        ),
    )

    @field_validator(
        "first_name", "last_name", "language", "country", "time_zone", "notification_preferences"
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Runs only for fields that were sent: null is refused where a value is required.
        if value is None:
            raise PydanticCustomError("required_value", "This cannot be removed; send a value.")
        return value


class ProfileOut(BaseModel):
    id: uuid.UUID
    email: str
    email_confirmed: bool
    first_name: str
    last_name: str
    phone: str | None
    language: str
    country: str
    time_zone: str = Field(description="IANA time zone name; the app shows times in it.")
    created_at: datetime
    notification_preferences: NotificationPreferencesOut


class EmailChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    new_email: Email
    password: Password


# --- staff ----------------------------------------------------------------------------------


class StaffOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    role: str
