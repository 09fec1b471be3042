"""The strict parsers for numbers, web addresses and display text from outside (kit.parsing)."""

from __future__ import annotations

import string
import sys
import unicodedata
from typing import Annotated
from urllib.parse import urlsplit

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from linkplus.errors import InvalidInput
from linkplus.kit.parsing import (
    INT64_MAX,
    HiddenCharacters,
    InputRefused,
    NotAnInteger,
    NotAWebAddress,
    OutOfRange,
    StrictInt,
    check_display_text,
    display_text,
    parse_int,
    parse_site_path,
    parse_web_address,
    web_address,
)

ASCII_DIGITS = frozenset(string.digits)
# Every character Python calls a digit or decimal that is not an ASCII digit ('²', '٣', '߀', ...).
UNICODE_DIGITS = sorted(
    {
        chr(c)
        for c in range(sys.maxunicode + 1)
        if (chr(c).isdigit() or chr(c).isdecimal()) and chr(c) not in ASCII_DIGITS
    }
)

# --- integers ----------------------------------------------------------------------------------


@st.composite
def ranges(draw: st.DrawFn) -> tuple[int, int]:
    low = draw(st.integers(min_value=-(2**70), max_value=2**70))
    high = draw(st.integers(min_value=low, max_value=2**70))
    return low, high


@given(ranges(), st.data())
def test_every_number_in_range_written_in_ascii_digits_reads_back(
    bounds: tuple[int, int], data: st.DataObject
) -> None:
    low, high = bounds
    value = data.draw(st.integers(min_value=low, max_value=high))
    zeros = data.draw(st.integers(min_value=0, max_value=3))
    text = ("-" if value < 0 else "") + "0" * zeros + str(abs(value))
    assert parse_int(text, field="n", minimum=low, maximum=high) == value


@given(ranges(), st.integers(min_value=-(2**200), max_value=2**200))
def test_a_number_outside_the_range_is_out_of_range(bounds: tuple[int, int], value: int) -> None:
    low, high = bounds
    assume(not low <= value <= high)
    assume(value >= 0 or low < 0)  # a minus sign where none is allowed is not even a number
    with pytest.raises(OutOfRange) as refused:
        parse_int(str(value), field="after", minimum=low, maximum=high)
    assert refused.value.field == "after"


@given(st.text(max_size=30))
def test_only_ascii_digits_with_an_optional_minus_are_numbers(text: str) -> None:
    body = text[1:] if text.startswith("-") else text
    is_number = bool(body) and set(body) <= ASCII_DIGITS
    try:
        parse_int(text, field="n", minimum=-(10**40), maximum=10**40)
    except NotAnInteger:
        assert not is_number
    else:
        assert is_number


@given(
    st.integers(min_value=0, max_value=10**6),
    st.sampled_from(UNICODE_DIGITS),
    st.integers(min_value=0, max_value=7),
)
def test_a_unicode_digit_anywhere_is_refused_even_where_int_would_read_it(
    value: int, odd: str, position: int
) -> None:
    text = str(value)
    position = min(position, len(text))
    with pytest.raises(NotAnInteger):
        parse_int(text[:position] + odd + text[position:], field="n", minimum=0, maximum=10**9)


@pytest.mark.parametrize("text", ["+5", " 5", "5 ", "1_000", "5.0", "0x10", "", "-", "--1", "²"])
def test_what_int_tolerates_is_refused(text: str) -> None:
    with pytest.raises(NotAnInteger):
        parse_int(text, field="n", minimum=-100, maximum=10**6)


def test_a_minus_sign_is_refused_where_the_range_has_no_negatives() -> None:
    with pytest.raises(NotAnInteger):
        parse_int("-0", field="n", minimum=0, maximum=10)


def test_a_thousand_digit_number_is_refused_without_converting_it() -> None:
    # Past Python's int-from-text digit limit, which would raise a different ValueError.
    with pytest.raises(OutOfRange):
        parse_int("9" * 10_000, field="n", minimum=0, maximum=INT64_MAX)
    assert parse_int("0" * 10_000 + "7", field="n", minimum=0, maximum=10) == 7


def test_a_refusal_becomes_the_invalid_input_problem_naming_the_field() -> None:
    with pytest.raises(InputRefused) as refused:
        parse_int("²", field="Last-Event-ID", minimum=0, maximum=INT64_MAX)
    problem = refused.value.problem()
    assert isinstance(problem, InvalidInput)
    assert (problem.status, problem.code) == (422, "invalid_input")
    assert problem.extra["errors"][0]["field"] == "Last-Event-ID"
    assert problem.extra["errors"][0]["type"] == "int_parsing"
    assert "0-9" in problem.extra["errors"][0]["message"]


class Reading(BaseModel):
    km: Annotated[int, StrictInt(0, 2_000_000)]


@given(st.one_of(st.integers(), st.text(max_size=12), st.booleans(), st.floats()))
def test_the_pydantic_form_follows_the_same_rule(value: object) -> None:
    try:
        expected: int | None = parse_int(
            str(value) if isinstance(value, int) and not isinstance(value, bool) else value,  # type: ignore[arg-type]
            field="km",
            minimum=0,
            maximum=2_000_000,
        )
    except (InputRefused, TypeError):
        expected = None
    if isinstance(value, bool):
        expected = None
    elif isinstance(value, float):
        # JSON Schema's integer: 5.0 is 5; a fraction, an infinity or NaN is refused.
        whole = value.is_integer() and 0 <= value <= 2_000_000
        expected = int(value) if whole else None
    if expected is None:
        with pytest.raises(ValidationError) as refused:
            Reading.model_validate({"km": value})
        assert refused.value.errors()[0]["loc"] == ("km",)
    else:
        assert Reading.model_validate({"km": value}).km == expected


def test_a_whole_json_number_is_the_integer_its_schema_says() -> None:
    assert Reading.model_validate({"km": 5.0}).km == 5
    for refused in (5.5, float("nan"), float("inf"), True):
        with pytest.raises(ValidationError):
            Reading.model_validate({"km": refused})


def test_the_pydantic_form_states_its_bounds_in_the_schema() -> None:
    km = Reading.model_json_schema()["properties"]["km"]
    assert (km["type"], km["minimum"], km["maximum"]) == ("integer", 0, 2_000_000)


# --- web addresses ----------------------------------------------------------------------------

HOSTS = st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9-]{0,10}){0,2}", fullmatch=True)
PATHS = st.from_regex(r"(/[A-Za-z0-9._~%-]{0,8}){0,3}(\?[a-z0-9=&]{1,10})?", fullmatch=True)


@st.composite
def addresses(draw: st.DrawFn) -> tuple[str, str, str, int | None, str]:
    scheme = draw(st.sampled_from(["http", "https"]))
    host = draw(HOSTS)
    port = draw(st.none() | st.integers(min_value=1, max_value=65535))
    path = draw(PATHS)
    return scheme, host, path, port, f"{scheme}://{host}{'' if port is None else f':{port}'}{path}"


def _recase(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if flip else c for c, flip in zip(text, flips, strict=True))


@given(addresses(), st.data())
def test_scheme_and_host_case_do_not_matter_and_the_result_is_lower_case(
    parts: tuple[str, str, str, int | None, str], data: st.DataObject
) -> None:
    scheme, host, path, port, url = parts
    typed = (
        _recase(data.draw, scheme)
        + "://"
        + _recase(data.draw, host)
        + url[len(scheme) + 3 + len(host) :]
    )
    checked = parse_web_address(typed, field="return_url")
    assert checked.url == url
    assert checked.origin == (scheme, host, port or {"http": 80, "https": 443}[scheme])
    assert parse_web_address(checked.url, field="return_url") == checked  # idempotent
    assert urlsplit(checked.url).path == path.split("?")[0]


@given(
    addresses(),
    st.sampled_from([" ", "\t", "\n", "\r", "\x00", "\x0b", "\x0c", "\x7f", "\x85"]),
    st.booleans(),
)
def test_leading_or_trailing_whitespace_and_controls_are_refused(
    parts: tuple[str, str, str, int | None, str], odd: str, at_start: bool
) -> None:
    url = parts[-1]
    with pytest.raises(NotAWebAddress):
        parse_web_address(odd + url if at_start else url + odd, field="return_url")


@given(addresses(), st.characters(codec="utf-8"), st.data())
def test_a_control_space_or_non_ascii_character_anywhere_is_refused(
    parts: tuple[str, str, str, int | None, str], odd: str, data: st.DataObject
) -> None:
    assume(not odd.isascii() or ord(odd) < 0x21 or odd in "\x7f\\")
    url = parts[-1]
    at = data.draw(st.integers(min_value=0, max_value=len(url)))
    with pytest.raises(NotAWebAddress):
        parse_web_address(url[:at] + odd + url[at:], field="return_url")


@given(addresses(), st.from_regex(r"[a-z]{1,8}(:[a-z0-9]{0,8})?", fullmatch=True))
def test_a_user_name_or_password_is_refused(
    parts: tuple[str, str, str, int | None, str], userinfo: str
) -> None:
    _scheme, _host, _path, _port, url = parts
    with pytest.raises(NotAWebAddress):
        parse_web_address(url.replace("://", f"://{userinfo}@", 1), field="return_url")


@given(st.text(max_size=60))
def test_anything_accepted_is_an_absolute_http_address_without_hidden_parts(text: str) -> None:
    try:
        checked = parse_web_address(text, field="u")
    except NotAWebAddress:
        return
    parts = urlsplit(checked.url)
    assert parts.scheme in ("http", "https")
    assert parts.hostname
    assert parts.username is None
    assert parts.password is None
    assert checked.url.isascii()
    assert all(0x21 <= ord(c) < 0x7F for c in checked.url)


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/", "javascript:alert(1)", "data:text/html,x", "//example.org/x", "/x",
     "http:///x", "http://example.org:99999/", "http://example.org:x/", "https://ex\\ample.org/"],
)  # fmt: skip
def test_what_is_not_an_absolute_http_address_is_refused(url: str) -> None:
    with pytest.raises(NotAWebAddress):
        parse_web_address(url, field="u")


def test_other_schemes_only_where_the_caller_allows_them() -> None:
    with pytest.raises(NotAWebAddress):
        parse_web_address("http://push.example.org/", field="endpoint", schemes=("https",))
    assert parse_web_address("HTTPS://Push.Example.org/x", field="e", schemes=("https",)).url == (
        "https://push.example.org/x"
    )


class Back(BaseModel):
    return_url: Annotated[str, web_address()]


def test_the_pydantic_form_gives_the_normalised_text_and_names_the_field() -> None:
    assert Back(return_url="HTTP://TestServer/x?a=B").return_url == "http://testserver/x?a=B"
    with pytest.raises(ValidationError) as refused:
        Back(return_url="\thttp://testserver/x")
    assert refused.value.errors()[0]["loc"] == ("return_url",)
    assert refused.value.errors()[0]["type"] == "invalid_url"


# --- display text ------------------------------------------------------------------------------

HIDDEN = ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")
FORMAT_CHARACTERS = [
    chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"
]


@given(st.text(max_size=40))
def test_text_without_hidden_characters_is_kept_as_it_is(text: str) -> None:
    visible = "".join(c for c in text if unicodedata.category(c) not in (*HIDDEN, "Cn"))
    assert check_display_text(visible, field="name") == visible


@given(st.text(max_size=20), st.sampled_from(FORMAT_CHARACTERS), st.text(max_size=20))
def test_every_format_character_is_refused_wherever_it_is(
    before: str, hidden: str, after: str
) -> None:
    with pytest.raises(HiddenCharacters) as refused:
        check_display_text(before + hidden + after, field="nickname")
    assert refused.value.field == "nickname"


@pytest.mark.parametrize(
    "hidden", ["\u202e", "\u200b", "\u2066", "\u00ad", "\ufeff", "\u200d", "\x00", "\t", "\x85",
               "\u2028", "\ud800", "\ue000"],
)  # fmt: skip
def test_the_known_tricks_are_refused_and_named(hidden: str) -> None:
    with pytest.raises(HiddenCharacters) as refused:
        check_display_text(f"Ali{hidden}ce", field="first_name")
    assert f"U+{ord(hidden):04X}" in refused.value.message


def test_text_areas_may_have_line_breaks_and_nothing_else_hidden() -> None:
    assert check_display_text("seen\r\nID card", field="notes", multiline=True) == "seen\nID card"
    with pytest.raises(HiddenCharacters):
        check_display_text("seen\nID card", field="notes")
    with pytest.raises(HiddenCharacters):
        check_display_text("seen\n\u202eID card", field="notes", multiline=True)


class Named(BaseModel):
    name: Annotated[str, display_text()]


def test_the_pydantic_form_refuses_with_its_own_type() -> None:
    assert Named(name="Zoë Ångström 李").name == "Zoë Ångström 李"
    with pytest.raises(ValidationError) as refused:
        Named(name="Bob\u202e")
    assert refused.value.errors()[0]["type"] == "hidden_characters"


# --- paths on this site ------------------------------------------------------------------------


@given(st.text(max_size=60))
def test_an_accepted_site_path_never_leaves_the_site(text: str) -> None:
    """Whatever is accepted, a browser resolves it against this site's origin to this site."""
    try:
        path = parse_site_path(text, field="next")
    except NotAWebAddress:
        return
    assert path == text
    parts = urlsplit("https://linkplus.example" + path)
    assert (parts.scheme, parts.netloc) == ("https", "linkplus.example")
    assert path.startswith("/")
    assert not path.startswith("//")
    assert "\\" not in path
    assert all(0x21 <= ord(c) < 0x7F for c in path)


@pytest.mark.parametrize(
    "text",
    ["", "wallet", "//evil.example/x", "/\\evil.example", "\\/evil.example", "https://x.org/",
     "javascript:alert(1)", "/a b", "/a\tb", "/caf\u00e9", "/x#frag", " /wallet", "/" + "a" * 2001],
)  # fmt: skip
def test_what_could_leave_the_site_is_not_a_site_path(text: str) -> None:
    with pytest.raises(NotAWebAddress):
        parse_site_path(text, field="next")


def test_a_site_path_keeps_its_query() -> None:
    path = "/vehicle/JTH/subscriptions/offers/svt/checkout?plan=yearly&step=card"
    assert parse_site_path(path, field="next") == path
