"""Normalizing e-mail addresses: what is refused, what is folded, and that it is stable."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkplus.accounts.email_address import InvalidEmail, normalize_email


def test_surrounding_spaces_are_forgiven_and_the_domain_lower_cased() -> None:
    assert normalize_email("  Alex.Driver@Example.COM ") == (
        "Alex.Driver@example.com",
        "alex.driver@example.com",
    )


@pytest.mark.parametrize(
    "raw",
    [
        "alex@example.com\r\n",
        "alex@example.com\n",
        "\talex@example.com",
        "alex @example.com",
        "alex@exam\u200bple.com",  # zero-width space
        "alex\x00@example.com",
        "alex@example.com\u2028",
    ],
)
def test_hidden_characters_are_refused_not_trimmed(raw: str) -> None:
    with pytest.raises(InvalidEmail, match="line breaks or invisible"):
        normalize_email(raw)


@pytest.mark.parametrize("raw", ["", "   ", "no-at-sign", "a@", "@example.com", "a@@b.com"])
def test_malformed_addresses_are_refused(raw: str) -> None:
    with pytest.raises(InvalidEmail):
        normalize_email(raw)


def test_non_ascii_local_part_is_refused() -> None:
    with pytest.raises(InvalidEmail):
        normalize_email("jürgen@example.com")


def test_look_alike_domain_is_shown_in_punycode() -> None:
    # "exаmple.com" with a Cyrillic "а" must not display as example.com.
    display, key = normalize_email("alex@ex\u0430mple.com")
    assert display == "alex@xn--exmple-4nf.com"
    assert key != normalize_email("alex@example.com")[1]


def test_internationalized_domain_becomes_ascii() -> None:
    assert normalize_email("info@Bücher.de")[0] == "info@xn--bcher-kva.de"


def test_case_variants_share_one_key() -> None:
    assert normalize_email("ALEX@EXAMPLE.COM")[1] == normalize_email("alex@example.com")[1]


_control = st.characters(categories=["Cc", "Cf", "Zl", "Zp"])
_local = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789._+-"), min_size=1)


@given(local=_local, control=_control, position=st.integers(min_value=0, max_value=40))
def test_any_control_character_anywhere_is_refused(local: str, control: str, position: int) -> None:
    address = f"{local}@example.com"
    at = position % (len(address) + 1)
    with pytest.raises(InvalidEmail):
        normalize_email(address[:at] + control + address[at:])


@given(st.text(max_size=60))
def test_normalizing_is_stable(raw: str) -> None:
    try:
        display, key = normalize_email(raw)
    except InvalidEmail:
        return
    assert normalize_email(display) == (display, key)
    assert display.isascii()
    assert not any(unicodedata.category(c).startswith("C") or c.isspace() for c in display)


@given(local=_local, domain=st.sampled_from(["Example.COM", "mail.EXAMPLE.org", "x.de"]))
def test_valid_addresses_keep_their_local_part(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    try:
        display, key = normalize_email(address)
    except InvalidEmail:
        return  # e.g. a leading dot: not a valid address
    assert display == f"{local}@{domain.lower()}"
    assert key == display.casefold()
