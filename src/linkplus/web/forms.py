"""Turning posted forms into the services' input models, and their refusals into field messages."""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any

import pycountry
from babel import Locale
from pydantic import ValidationError

from linkplus.accounts.time_zones import zone_names
from linkplus.web.i18n import N_

# Languages offered in the forms; the API accepts any tag babel knows.
LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da", "nb", "fi", "cs")

_MISSING = N_("Fill in this field.")


def field_errors(exc: ValidationError) -> dict[str, str]:
    """The first message per top-level field, in words the form can show next to it."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        location = error.get("loc", ())
        name = str(location[0]) if location else "form"
        if name in errors:
            continue
        message = str(error.get("msg", "This value is not valid."))
        if error.get("type") == "missing":
            message = _MISSING
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        errors[name] = message
    return errors


def optional(value: str) -> str | None:
    return value or None


@cache
def country_options(language: str = "en") -> tuple[tuple[str, str], ...]:
    """ISO 3166 countries named in ``language`` (CLDR's names, pycountry's where CLDR has
    none), in that language's alphabetical order as far as accents go."""
    names = Locale.parse(language).territories

    def name(country: Any) -> str:
        return str(names.get(country.alpha_2) or getattr(country, "common_name", country.name))

    def order(pair: tuple[str, str]) -> str:
        plain = unicodedata.normalize("NFKD", pair[1])
        return "".join(c for c in plain if not unicodedata.combining(c)).casefold()

    countries = sorted(((c.alpha_2, name(c)) for c in pycountry.countries), key=order)
    return (("", N_("Choose your country")), *countries)


@cache
def language_options() -> tuple[tuple[str, str], ...]:
    options = []
    for code in LANGUAGES:
        name = Locale.parse(code).get_display_name(code) or code
        options.append((code, name[:1].upper() + name[1:]))
    return tuple(options)


@cache
def zone_options() -> tuple[tuple[str, str], ...]:
    """Every time zone an owner may choose, by IANA name (``America/Argentina/Buenos Aires``)."""
    return tuple((name, name.replace("_", " ")) for name in zone_names())


def preferred_language(accept_language: str | None) -> str:
    """The first language the browser asks for that the form offers; English otherwise."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        base = tag.split("-")[0]
        if base in LANGUAGES:
            return base
        if base == "no":
            return "nb"
    return "en"
