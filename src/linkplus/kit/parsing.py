"""The one strict reading of numbers, web addresses and display text that come from outside.

Everything a client sends (JSON bodies, query strings, headers, web forms) is read through these
functions or their Pydantic forms, so one rule holds everywhere:

- **Integers** are ASCII digits only (an optional ``-`` where the range allows negatives), inside
  a range the caller gives. ``str.isdigit()`` is not that rule: it accepts ``'²'`` and ``'٣'``,
  which ``int()`` then refuses or reads; ``int()`` alone accepts ``'+5'``, ``' 5 '`` and ``'1_0'``.
  A number past the range (for instance past 64 bits, where the database driver overflows) is
  refused here, before it reaches anything else.
- **Web addresses** are ``http``/``https`` only, with no surrounding whitespace, no control,
  format or other invisible characters, no spaces, no backslashes, no user name or password, and
  only ASCII (percent-encode the rest). The scheme and host are lower-cased, so
  ``HTTP://Example.org`` and ``http://example.org`` are the same address to every caller.
- **Display text** (names, nicknames, notes: anything another person reads) has no control
  characters and no Unicode format characters (category Cf: bidi overrides such as U+202E,
  zero-width characters such as U+200B, soft hyphen U+00AD), no line or paragraph separators, no
  private-use characters and no lone surrogates. This also refuses the zero-width joiners some
  scripts and emoji sequences use: an invisible character in a name another person trusts is the
  greater risk.

Each refusal is ``InputRefused`` (a ``ValueError``) naming the field, with a message telling the
person what to send instead; ``InputRefused.problem()`` turns it into the 422 ``invalid_input``
problem the request validation handler gives, so callers outside Pydantic answer the same way.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from linkplus.errors import InvalidInput

INT64_MAX = 2**63 - 1  # the largest id or counter either database stores (BIGINT)
MAX_URL_LENGTH = 2000

_ASCII_DIGITS = re.compile(r"-?[0-9]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters people never need in a name and that hide or reorder what is shown: controls (Cc),
# format characters (Cf), surrogates (Cs), private use (Co), line and paragraph separators (Zl,
# Zp). Unassigned code points (Cn) are not refused: they show as a box, hide nothing, and their
# 700 ranges would make the published pattern below ten kilobytes long.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


def _hidden_ranges() -> str:
    """The hidden characters as the body of a regex character class, built from the running
    Python's Unicode tables, so the published pattern and ``hidden_character`` always agree.
    Lone surrogates (Cs) are left out of the class: JSON text cannot carry them and regex
    engines that work on Unicode scalar values (the Rust one schemathesis validates with)
    refuse a pattern that names them; ``hidden_character`` still refuses them."""
    parts: list[str] = []
    start: int | None = None

    def escape(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"

    for code in range(sys.maxunicode + 2):
        category = unicodedata.category(chr(code)) if code <= sys.maxunicode else ""
        hidden = category in _HIDDEN_CATEGORIES and category != "Cs"
        if hidden and start is None:
            start = code
        elif not hidden and start is not None:
            end = code - 1
            parts.append(escape(start) if start == end else f"{escape(start)}-{escape(end)}")
            start = None
    return "".join(parts)


_HIDDEN = _hidden_ranges()
DISPLAY_TEXT_PATTERN = f"^[^{_HIDDEN}]*$"
"""What ``check_display_text`` accepts, as a regular expression (published in the OpenAPI)."""
DISPLAY_TEXT_MULTILINE_PATTERN = f"^(?:[^{_HIDDEN}]|\\n|\\r\\n)*$"
"""The same for text areas: line feeds and CR LF pairs allowed."""
NAME_PATTERN = f"^\\s*[^{_HIDDEN}]*[^\\s{_HIDDEN}][^{_HIDDEN}]*\\s*$"
"""A name: display text with at least one visible character once the surrounding white space
(which the validators strip, hidden separators included) is gone."""


class InputRefused(ValueError):
    """A value from outside that the strict rule refuses. ``field`` is the name the client used;
    ``message`` says what to send instead; ``kind`` is a stable machine code."""

    kind = "invalid_value"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def problem(self) -> InvalidInput:
        """The same 422 ``invalid_input`` problem as a request that fails schema validation."""
        return InvalidInput(
            "Correct the fields listed in 'errors' and send the request again.",
            errors=[{"field": self.field, "message": self.message, "type": self.kind}],
        )


class NotAnInteger(InputRefused):
    kind = "int_parsing"


class OutOfRange(InputRefused):
    kind = "out_of_range"


class NotAWebAddress(InputRefused):
    kind = "invalid_url"


class HiddenCharacters(InputRefused):
    kind = "hidden_characters"


# --- integers ----------------------------------------------------------------------------------


def parse_int(text: str, *, field: str, minimum: int, maximum: int) -> int:
    """``text`` as an integer in ``[minimum, maximum]``: ASCII digits, with a leading ``-`` only
    when ``minimum`` is negative. Nothing is stripped: a caller that allows separators removes
    them itself and says so."""
    if not isinstance(text, str) or not _ASCII_DIGITS.fullmatch(text):
        raise NotAnInteger(field, _range_message(minimum, maximum, "a whole number"))
    negative = text.startswith("-")
    if negative and minimum >= 0:
        raise NotAnInteger(field, _range_message(minimum, maximum, "a whole number"))
    digits = text.lstrip("-").lstrip("0") or "0"
    # Compare lengths first, so a thousand-digit number costs no big-integer conversion.
    widest = max(len(str(abs(minimum))), len(str(abs(maximum))))
    if len(digits) > widest:
        raise OutOfRange(field, _range_message(minimum, maximum, "a number"))
    value = -int(digits) if negative else int(digits)
    if not minimum <= value <= maximum:
        raise OutOfRange(field, _range_message(minimum, maximum, "a number"))
    return value


def parse_digits(text: str, *, field: str, min_length: int, max_length: int) -> str:
    """``text`` as a string of ASCII digits of the given length (card numbers, security codes,
    one-time codes: leading zeros matter, so it stays text)."""
    if (
        not isinstance(text, str)
        or not min_length <= len(text) <= max_length
        or not _ASCII_DIGITS.fullmatch(text)
        or text.startswith("-")
    ):
        size = f"{min_length}" if min_length == max_length else f"{min_length} to {max_length}"
        raise NotAnInteger(field, f"Enter {size} digits, 0-9 only.")
    return text


def _range_message(minimum: int, maximum: int, what: str) -> str:
    return f"Enter {what} from {minimum} to {maximum}, in the digits 0-9 only."


def _int_validator(minimum: int, maximum: int) -> Callable[[Any], int]:
    def validate(value: Any) -> int:
        if isinstance(value, bool):
            raise PydanticCustomError("int_parsing", _range_message(minimum, maximum, "a number"))
        if isinstance(value, float) and value.is_integer():
            # JSON has one number type: 5.0 is the integer 5 to JSON Schema ("type": "integer",
            # which the OpenAPI states) and to clients whose encoders write every number so.
            value = int(value)
        if isinstance(value, int):  # a JSON number: already an integer, only the range to check
            if not minimum <= value <= maximum:
                raise PydanticCustomError(
                    "out_of_range", _range_message(minimum, maximum, "a number")
                )
            return value
        if not isinstance(value, str):
            raise PydanticCustomError("int_parsing", _range_message(minimum, maximum, "a number"))
        try:
            return parse_int(value, field="", minimum=minimum, maximum=maximum)
        except InputRefused as refused:
            raise PydanticCustomError(refused.kind, refused.message) from None

    return validate


class StrictInt:
    """The Pydantic form of ``parse_int`` for query, header, path, form and JSON values:
    ``Annotated[int, StrictInt(0, 10)]``. The bounds also appear in the OpenAPI schema. A JSON
    integer (5, or 5.0: JSON Schema's integer) is checked against the same range; a JSON boolean
    or a fraction is refused."""

    def __init__(self, minimum: int, maximum: int) -> None:
        self.minimum = minimum
        self.maximum = maximum

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(
            _int_validator(self.minimum, self.maximum),
            core_schema.int_schema(ge=self.minimum, le=self.maximum),
        )


MONTH_PATTERN = r"^[0-9]{4}-[0-9]{2}$"


def parse_year_month(text: str, *, field: str, first_year: int, last_year: int) -> str:
    """``text`` as a calendar month ``YYYY-MM`` with the year in ``[first_year, last_year]``
    (a year the date functions of every caller can compute with, and its neighbours)."""
    wrong = NotAnInteger(
        field, f"Enter a month as YYYY-MM, from {first_year}-01 to {last_year}-12."
    )
    if not isinstance(text, str) or not re.fullmatch(MONTH_PATTERN, text):
        raise wrong
    try:
        year = parse_int(text[:4], field=field, minimum=first_year, maximum=last_year)
        month = parse_int(text[5:], field=field, minimum=1, maximum=12)
    except InputRefused:
        raise wrong from None
    return f"{year:04d}-{month:02d}"


class YearMonth:
    """The Pydantic form of ``parse_year_month``: ``Annotated[str, YearMonth(2000, 2999)]``."""

    def __init__(self, first_year: int, last_year: int) -> None:
        self.first_year = first_year
        self.last_year = last_year

    def _validate(self, value: str) -> str:
        try:
            return parse_year_month(
                value, field="", first_year=self.first_year, last_year=self.last_year
            )
        except InputRefused as refused:
            raise PydanticCustomError(refused.kind, refused.message) from None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            self._validate, core_schema.str_schema(pattern=MONTH_PATTERN)
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The exact rule when the years are one whole millennium (2000-2999, the only one in
        use), so a month the OpenAPI allows is one the validator takes."""
        json_schema = handler(schema)
        if self.first_year % 1000 == 0 and self.last_year == self.first_year + 999:
            millennium = self.first_year // 1000
            json_schema["pattern"] = rf"^{millennium}[0-9]{{3}}-(0[1-9]|1[0-2])$"
        return json_schema


# --- web addresses ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebAddress:
    """A checked ``http``/``https`` address: ``url`` is its normalised text."""

    url: str
    scheme: str
    host: str
    port: int

    @property
    def origin(self) -> tuple[str, str, int]:
        """Scheme, host and port (the default port filled in), as browsers compare origins."""
        return (self.scheme, self.host, self.port)

    @property
    def origin_text(self) -> str:
        default = _DEFAULT_PORTS[self.scheme] == self.port
        return f"{self.scheme}://{self.host}" + ("" if default else f":{self.port}")


def parse_web_address(
    text: str,
    *,
    field: str,
    schemes: Collection[str] = ("http", "https"),
    max_length: int = MAX_URL_LENGTH,
) -> WebAddress:
    """``text`` as an absolute web address, normalised (scheme and host lower-cased)."""

    def refuse(reason: str) -> NotAWebAddress:
        allowed = " or ".join(f"{s}://" for s in schemes)
        return NotAWebAddress(field, f"{reason} Send an absolute {allowed} address.")

    if not isinstance(text, str) or not text:
        raise refuse("The address is empty.")
    if len(text) > max_length:
        raise refuse(f"The address is longer than {max_length} characters.")
    if text != text.strip():
        raise refuse("The address starts or ends with a space or line break.")
    if not text.isascii():
        raise refuse("The address contains characters outside ASCII; percent-encode them.")
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in text):
        raise refuse("The address contains a space or a control character (such as tab or NUL).")
    if "\\" in text:
        raise refuse("The address contains a backslash.")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise refuse("The address is malformed (check the host and port).") from None
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        raise refuse("This kind of address is not accepted.")
    if "@" in parts.netloc:
        raise refuse("The address must not contain a user name or password.")
    host = (parts.hostname or "").lower()
    if not host:
        raise refuse("The address has no host.")
    netloc = parts.netloc.lower()
    url = urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment))
    return WebAddress(
        url=url, scheme=scheme, host=host, port=port if port is not None else _DEFAULT_PORTS[scheme]
    )


WEB_ADDRESS_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?"
    r"(?::(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}))?(?:[/?#][!#-\[\]-~]*)?$"
)
"""A web address ``parse_web_address`` accepts, as published in the OpenAPI: a stricter subset
(no IP-literal hosts, ports up to 59999), so an address the schema allows is never refused."""


@dataclass(frozen=True)
class _WebAddress:
    schemes: tuple[str, ...]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        schemes = self.schemes

        def validate(value: Any) -> str:
            try:
                return parse_web_address(value, field="", schemes=schemes).url
            except InputRefused as refused:
                raise PydanticCustomError(refused.kind, refused.message) from None

        return core_schema.no_info_before_validator_function(validate, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.update(format="uri", maxLength=MAX_URL_LENGTH)
        if set(self.schemes) <= {"http", "https"}:
            json_schema["pattern"] = WEB_ADDRESS_PATTERN
        return json_schema


def web_address(*, schemes: Collection[str] = ("http", "https")) -> _WebAddress:
    """The Pydantic form of ``parse_web_address``; the field's value becomes the normalised
    text, and the OpenAPI states the rule: ``Annotated[str, web_address()]``."""
    return _WebAddress(tuple(schemes))


def parse_site_path(text: str, *, field: str, max_length: int = MAX_URL_LENGTH) -> str:
    """``text`` as a path on this site (with an optional query), for "come back here"
    addresses: it starts with exactly one ``/``, names no scheme or host, and follows the web
    address rules (ASCII, no spaces, control characters or backslashes); no fragment. Returned
    unchanged. Anything else could send the browser to another site (``//evil.example``,
    ``/\\evil.example``, ``https:...``)."""

    def refuse(reason: str) -> NotAWebAddress:
        return NotAWebAddress(field, f"{reason} Send a path on this site, such as /wallet.")

    if not isinstance(text, str) or not text:
        raise refuse("The path is empty.")
    if len(text) > max_length:
        raise refuse(f"The path is longer than {max_length} characters.")
    if not text.isascii():
        raise refuse("The path contains characters outside ASCII; percent-encode them.")
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in text):
        raise refuse("The path contains a space or a control character (such as tab or NUL).")
    if "\\" in text:
        raise refuse("The path contains a backslash.")
    if not text.startswith("/") or text.startswith("//"):
        raise refuse("The path must start with a single /.")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise refuse("The path is malformed.") from None
    if parts.scheme or parts.netloc:
        raise refuse("The path must not name a scheme or a host.")
    if parts.fragment or "#" in text:
        raise refuse("The path must not have a fragment (#).")
    return text


# --- display text -------------------------------------------------------------------------------


def hidden_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character of ``text`` that would be invisible or reorder what is shown, as
    ``U+XXXX NAME``; None when there is none. ``multiline`` allows line feeds (text areas)."""
    for char in text:
        if multiline and char == "\n":
            continue
        if unicodedata.category(char) in _HIDDEN_CATEGORIES:
            name = unicodedata.name(char, "")
            return f"U+{ord(char):04X}" + (f" {name}" if name else "")
    return None


def check_display_text(text: str, *, field: str, multiline: bool = False) -> str:
    """``text`` unchanged when it has no hidden characters (see the module's docstring).
    ``multiline`` also accepts line breaks (a CR LF pair becomes one line feed)."""
    if multiline:
        text = text.replace("\r\n", "\n")
    found = hidden_character(text, multiline=multiline)
    if found is not None:
        raise HiddenCharacters(
            field,
            f"Remove the invisible or control character {found}: text others read may contain "
            "only visible characters and spaces.",
        )
    return text


@dataclass(frozen=True)
class _DisplayText:
    multiline: bool = False

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        multiline = self.multiline

        def validate(value: str) -> str:
            try:
                return check_display_text(value, field="", multiline=multiline)
            except InputRefused as refused:
                raise PydanticCustomError(refused.kind, refused.message) from None

        return core_schema.no_info_after_validator_function(validate, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = (
            DISPLAY_TEXT_MULTILINE_PATTERN if self.multiline else DISPLAY_TEXT_PATTERN
        )
        return json_schema


def display_text(*, multiline: bool = False) -> _DisplayText:
    """The Pydantic form of ``check_display_text`` (it runs after the field's own checks, so
    it sees the stripped text), which also publishes the rule as the field's ``pattern``:
    ``Annotated[str, ..., display_text()]``."""
    return _DisplayText(multiline)
