"""Money: exact minor units, one currency at a time, splitting without losing a cent (pure)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkplus.kit.money import (
    Money,
    MoneyError,
    Rounding,
    currency_exponent,
    format_money,
    sum_money,
)

CURRENCIES = ["EUR", "GBP", "AUD", "JPY", "BHD", "SEK", "PLN"]
amounts = st.integers(min_value=-(10**12), max_value=10**12)


def test_exponent_comes_from_iso_4217() -> None:
    assert currency_exponent("EUR") == 2
    assert currency_exponent("JPY") == 0
    assert currency_exponent("BHD") == 3


@pytest.mark.parametrize("code", ["eur", "EURO", "ZZZ", "", "E1R"])
def test_unknown_or_malformed_currency_is_refused(code: str) -> None:
    with pytest.raises(MoneyError):
        Money(100, code)


def test_floats_and_bools_never_become_money() -> None:
    with pytest.raises(MoneyError):
        Money(1.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(True, "EUR")
    with pytest.raises(MoneyError):
        Money.of(1.5, "EUR")  # type: ignore[arg-type]


def test_parsing_is_exact_and_refuses_extra_decimals() -> None:
    assert Money.of("19.99", "EUR") == Money(1999, "EUR")
    assert Money.of("1000", "JPY") == Money(1000, "JPY")
    assert Money.of(Decimal("0.10"), "EUR") == Money(10, "EUR")
    assert Money.of("1.234", "BHD") == Money(1234, "BHD")
    with pytest.raises(MoneyError):
        Money.of("19.999", "EUR")
    with pytest.raises(MoneyError):
        Money.of("1.5", "JPY")
    with pytest.raises(MoneyError):
        Money.of("abc", "EUR")
    with pytest.raises(MoneyError):
        Money.of("NaN", "EUR")


def test_arithmetic_only_within_one_currency() -> None:
    eur = Money(1000, "EUR")
    assert eur + Money(5, "EUR") == Money(1005, "EUR")
    assert eur - Money(1005, "EUR") == Money(-5, "EUR")
    assert 3 * eur == Money(3000, "EUR")
    assert eur * 2 == Money(2000, "EUR")
    assert -eur == Money(-1000, "EUR")
    with pytest.raises(MoneyError):
        eur + Money(5, "GBP")
    with pytest.raises(MoneyError):
        _ = eur < Money(5, "GBP")
    with pytest.raises(TypeError):
        eur * 1.5  # type: ignore[operator]


def test_ordering_and_flags() -> None:
    assert Money(1, "EUR") < Money(2, "EUR") <= Money(2, "EUR")
    assert Money(3, "EUR") > Money(2, "EUR")
    assert Money(0, "EUR").is_zero
    assert Money(1, "EUR").is_positive
    assert Money(-1, "EUR").is_negative
    assert str(Money(1999, "EUR")) == "EUR 19.99"
    assert Money(1999, "EUR").to_decimal() == Decimal("19.99")


def test_scaled_rounds_once_by_the_named_rule() -> None:
    price = Money(4999, "EUR")  # 49.99 × 8 / 12 = 33.3266…
    assert price.scaled(8, 12) == Money(3333, "EUR")
    assert price.scaled(8, 12, Rounding.down) == Money(3332, "EUR")
    assert price.scaled(8, 12, Rounding.up) == Money(3333, "EUR")
    assert Money(5, "EUR").scaled(1, 2) == Money(3, "EUR")  # an exact half goes up
    assert Money(-5, "EUR").scaled(1, 2) == Money(-3, "EUR")  # …away from zero
    assert Money(5, "EUR").scaled(1, 2, Rounding.down) == Money(2, "EUR")
    with pytest.raises(MoneyError):
        price.scaled(1, 0)


def test_split_hands_out_leftover_cents_first_come() -> None:
    assert Money(1000, "EUR").split(3) == [Money(334, "EUR"), Money(333, "EUR"), Money(333, "EUR")]
    assert Money(-100, "EUR").split(3) == [Money(-34, "EUR"), Money(-33, "EUR"), Money(-33, "EUR")]
    assert Money(1, "EUR").allocate([0, 1]) == [Money(0, "EUR"), Money(1, "EUR")]
    with pytest.raises(MoneyError):
        Money(1, "EUR").allocate([0, 0])
    with pytest.raises(MoneyError):
        Money(1, "EUR").allocate([-1, 2])
    with pytest.raises(MoneyError):
        Money(1, "EUR").split(0)


@given(amounts, st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=12))
def test_allocation_never_loses_or_creates_a_minor_unit(minor: int, weights: list[int]) -> None:
    if sum(weights) == 0:
        weights = [*weights, 1]
    money = Money(minor, "EUR")
    parts = money.allocate(weights)
    assert sum_money(parts, "EUR") == money
    total = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Decimal(minor) * weight / total
        assert abs(Decimal(part.minor) - exact) < 1  # each part within one cent of its share


@given(amounts, st.integers(min_value=1, max_value=100))
def test_split_parts_differ_by_at_most_one_minor_unit(minor: int, parts: int) -> None:
    split = Money(minor, "GBP").split(parts)
    assert sum(p.minor for p in split) == minor
    assert max(p.minor for p in split) - min(p.minor for p in split) <= 1


@given(
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=0, max_value=48),
    st.integers(min_value=1, max_value=48),
)
def test_scaled_share_never_exceeds_the_whole(minor: int, numerator: int, denominator: int) -> None:
    numerator = min(numerator, denominator)
    share = Money(minor, "EUR").scaled(numerator, denominator)
    assert Money(0, "EUR") <= share <= Money(minor, "EUR")
    assert abs(Decimal(share.minor) - Decimal(minor) * numerator / denominator) <= Decimal("0.5")


@given(amounts, st.sampled_from(CURRENCIES))
def test_text_round_trip_is_exact(minor: int, currency: str) -> None:
    money = Money(minor, currency)
    assert Money.of(format(money.to_decimal(), "f"), currency) == money


def test_format_with_babel_per_locale() -> None:
    assert format_money(Money(123450, "EUR"), "de-DE") == "1.234,50\xa0€"
    assert format_money(Money(123450, "EUR"), "de_AT") == "€\xa01.234,50"
    assert format_money(Money(-1250, "GBP"), "en_GB") == "-£12.50"
    assert format_money(Money(999, "AUD"), "en_AU") == "$9.99"
    assert format_money(Money(1000, "JPY"), "ja_JP") == "￥1,000"
    with pytest.raises(MoneyError):
        format_money(Money(1, "EUR"), "xx_YY_ZZ")
