"""VIN validation: shape, character set and the North-American check digit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkplus.kit.vin import ALPHABET, InvalidVin, check_digit, normalize_vin, uses_check_digit

# The worked example of the check-digit calculation in the North-American rules.
KNOWN_NA = "1M8GDM9AXKP042788"
# A European Lexus VIN: no check digit required (position 9 is the manufacturer's own).
EUROPEAN = "JTHBA3BH402049357"

CHARS = sorted(ALPHABET)
NA_FIRST = list("12345")
NOT_NA_FIRST = [c for c in CHARS if c not in "12345"]
# The standard's transliteration, written out independently of the implementation.
VALUE = {str(d): d for d in range(10)} | {
    letter: value
    for letters, value in [
        ("AJ", 1), ("BKS", 2), ("CLT", 3), ("DMU", 4), ("ENV", 5), ("FW", 6),
        ("GPX", 7), ("HY", 8), ("RZ", 9),
    ]
    for letter in letters
}  # fmt: skip


def with_check_digit(vin: str) -> str:
    return vin[:8] + check_digit(vin) + vin[9:]


@st.composite
def na_vins(draw: st.DrawFn) -> str:
    body = draw(st.lists(st.sampled_from(CHARS), min_size=16, max_size=16))
    raw = draw(st.sampled_from(NA_FIRST)) + "".join(body)
    return with_check_digit(raw)


def test_the_known_example_has_check_digit_x() -> None:
    assert check_digit(KNOWN_NA) == "X"
    assert normalize_vin(KNOWN_NA) == KNOWN_NA


def test_a_mistyped_north_american_vin_is_refused_by_the_check_digit() -> None:
    with pytest.raises(InvalidVin, match="check digit"):
        normalize_vin("1M8GDM9AXKP042789")


def test_european_vins_need_no_check_digit() -> None:
    assert not uses_check_digit(EUROPEAN)
    assert check_digit(EUROPEAN) != EUROPEAN[8]
    assert normalize_vin(EUROPEAN) == EUROPEAN


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter the 17-character"),
        ("   ", "Enter the 17-character"),
        ("JTHBA3BH40204935", "exactly 17 characters; this one has 16"),
        ("JTHBA3BH4020493571", "this one has 18"),
        ("JTHBA3BH4O2049357", "never contain I, O or Q"),
        ("JTHIA3BH402049357", "never contain I, O or Q"),
        ("QTHBA3BH402049357", "never contain I, O or Q"),
        ("JTHBA3BH40204935-", "remove '-'"),
        ("JTHBA3BH4020 9357", "remove ' '"),
        ("JTHBA3BH40204935Ä", "remove 'Ä'"),
    ],
)
def test_malformed_vins_say_what_is_wrong(raw: str, message: str) -> None:
    with pytest.raises(InvalidVin) as caught:
        normalize_vin(raw)
    assert message in caught.value.reason
    assert str(caught.value) == caught.value.reason


def test_check_digit_refuses_text_that_is_not_a_vin() -> None:
    with pytest.raises(InvalidVin):
        check_digit("1M8GDM9AXKP04278")


@given(na_vins())
def test_any_north_american_vin_with_its_check_digit_validates(vin: str) -> None:
    assert uses_check_digit(vin)
    assert normalize_vin(vin) == vin


@given(na_vins(), st.integers(min_value=0, max_value=16), st.sampled_from(CHARS))
def test_changing_one_character_breaks_the_check_unless_recomputed(
    vin: str, position: int, replacement: str
) -> None:
    if position == 0:
        # Stay North-American so the check digit still applies.
        replacement = replacement if replacement in NA_FIRST else "1"
    if replacement == vin[position]:
        return
    changed = vin[:position] + replacement + vin[position + 1 :]
    if position == 8:
        # Position 9 is the check digit itself: any other value is wrong.
        with pytest.raises(InvalidVin, match="check digit"):
            normalize_vin(changed)
        return
    if VALUE[replacement] == VALUE[vin[position]]:
        # The transliteration gives some characters the same value (A and J are both 1): such a
        # swap leaves the sum unchanged, and no check digit can notice it.
        assert normalize_vin(changed) == changed
        return
    # Every weight but position 9's is non-zero and 11 is prime, so the sum changes.
    with pytest.raises(InvalidVin, match="check digit"):
        normalize_vin(changed)
    assert normalize_vin(with_check_digit(changed)) == with_check_digit(changed)


@given(na_vins(), st.text(alphabet=" \t\n", max_size=3), st.text(alphabet=" \t\n", max_size=3))
def test_lowercase_and_surrounding_whitespace_normalize(vin: str, before: str, after: str) -> None:
    assert normalize_vin(before + vin.lower() + after) == vin


@given(
    st.sampled_from(NOT_NA_FIRST),
    st.lists(st.sampled_from(CHARS), min_size=16, max_size=16),
)
def test_any_vin_outside_north_america_is_accepted_whatever_position_9(
    first: str, rest: list[str]
) -> None:
    vin = first + "".join(rest)
    assert not uses_check_digit(vin)
    assert normalize_vin(vin.lower()) == vin
