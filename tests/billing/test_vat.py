"""The VAT inside VAT-inclusive prices, for invoices and credit notes (pure)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkplus.billing.vat import split_gross, split_lines
from linkplus.kit.money import Money, MoneyError, sum_money

RATES = [Decimal(r) for r in ("0.19", "0.20", "0.21", "0.22", "0.23", "0.25", "0.10", "0")]


@pytest.mark.parametrize(
    ("gross", "rate", "vat", "net"),
    [
        ("59.00", "0.19", "9.42", "49.58"),  # DE: 59 × 19/119 = 9.4201…
        ("59.00", "0.20", "9.83", "49.17"),  # AT/FR/GB: 59 / 6 = 9.8333…
        ("59.00", "0.21", "10.24", "48.76"),  # NL: 59 × 21/121 = 10.239…
        ("99.00", "0.10", "9.00", "90.00"),  # AU GST: exactly one eleventh
        ("0.06", "0.20", "0.01", "0.05"),  # 0.06 / 6 = 0.01 exactly
        ("0.03", "0.20", "0.01", "0.02"),  # 0.005 → half up
        ("10.00", "0", "0.00", "10.00"),
    ],
)
def test_split_of_a_vat_inclusive_price(gross: str, rate: str, vat: str, net: str) -> None:
    split = split_gross(Money.of(gross, "EUR"), Decimal(rate))
    assert split.vat == Money.of(vat, "EUR")
    assert split.net == Money.of(net, "EUR")
    assert split.rate == Decimal(rate)


def test_rates_out_of_range_are_refused() -> None:
    for rate in ("1", "-0.1", "NaN", "Infinity"):
        with pytest.raises(MoneyError):
            split_gross(Money(100, "EUR"), Decimal(rate))


def test_invoice_lines_share_the_totals_vat_to_the_cent() -> None:
    lines = [Money.of("0.03", "EUR")] * 3  # each alone would round to 0.01 VAT: 0.03 in total
    splits, total = split_lines(lines, Decimal("0.20"))
    assert total.gross == Money.of("0.09", "EUR")
    assert total.vat == Money.of("0.02", "EUR")  # 0.09 / 6 = 0.015 → 0.02, computed once
    assert sum_money((s.vat for s in splits), "EUR") == total.vat
    assert sum_money((s.net for s in splits), "EUR") == total.net
    with pytest.raises(MoneyError):
        split_lines([], Decimal("0.20"))
    with pytest.raises(MoneyError):
        split_lines([Money(-1, "EUR")], Decimal("0.20"))
    zero_splits, zero_total = split_lines([Money(0, "EUR")], Decimal("0.20"))
    assert zero_total.vat.is_zero
    assert zero_splits[0].net.is_zero


@given(st.integers(min_value=0, max_value=10**10), st.sampled_from(RATES))
def test_net_plus_vat_is_always_the_gross(minor: int, rate: Decimal) -> None:
    split = split_gross(Money(minor, "EUR"), rate)
    assert split.net + split.vat == split.gross
    exact = Decimal(minor) * rate / (1 + rate)
    assert abs(Decimal(split.vat.minor) - exact) <= Decimal("0.5")
    assert Money(0, "EUR") <= split.vat <= split.gross


@given(
    st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=10),
    st.sampled_from(RATES),
)
def test_lines_add_up_to_the_totals(minors: list[int], rate: Decimal) -> None:
    lines = [Money(m, "GBP") for m in minors]
    splits, total = split_lines(lines, rate)
    assert sum_money((s.gross for s in splits), "GBP") == total.gross
    assert sum_money((s.vat for s in splits), "GBP") == total.vat
    assert sum_money((s.net for s in splits), "GBP") == total.net
    assert all(s.net + s.vat == s.gross for s in splits)
