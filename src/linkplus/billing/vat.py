"""The VAT inside a VAT-inclusive price. Pure.

Prices are shown and charged VAT included (EU consumer prices; GST in Australia), so invoices and
credit notes work backwards: ``VAT = gross × rate / (1 + rate)``, rounded half up to a minor unit
once, and ``net = gross − VAT``, so net + VAT is always exactly the amount charged or refunded.
An invoice with several lines at one rate takes its VAT from the total (one rounding) and shares
it out over the lines by largest remainder, so the lines add up to the totals to the cent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from linkplus.kit.money import Money, MoneyError, Rounding, sum_money


@dataclass(frozen=True)
class VatSplit:
    gross: Money  # what the customer pays (or gets back)
    net: Money
    vat: Money
    rate: Decimal  # 0.19 for 19 %


def _fraction(rate: Decimal) -> tuple[int, int]:
    if not rate.is_finite() or rate < 0 or rate >= 1:
        raise MoneyError(f"a VAT rate is a fraction from 0 to below 1, not {rate}")
    numerator, denominator = rate.as_integer_ratio()
    return numerator, denominator


def split_gross(gross: Money, rate: Decimal) -> VatSplit:
    """Net and VAT of a VAT-inclusive amount at ``rate``."""
    numerator, denominator = _fraction(rate)
    # gross × r / (1 + r) with r = numerator / denominator, exact until the single rounding
    vat = gross.scaled(numerator, denominator + numerator, Rounding.half_up)
    return VatSplit(gross=gross, net=gross - vat, vat=vat, rate=rate)


def split_lines(lines: Sequence[Money], rate: Decimal) -> tuple[list[VatSplit], VatSplit]:
    """Per-line splits and the total of an invoice whose lines share one ``rate``.

    The total's VAT is computed once; each line gets its share of it in proportion to its gross,
    so the lines' VAT and net add up exactly to the total's.
    """
    if not lines:
        raise MoneyError("an invoice needs at least one line")
    currency = lines[0].currency
    if any(line.is_negative for line in lines):
        raise MoneyError("invoice lines are positive amounts; a refund is a credit note")
    total = split_gross(sum_money(lines, currency), rate)
    weights = [line.minor for line in lines]
    if sum(weights) == 0:
        shares = [Money.zero(currency) for _ in lines]
    else:
        shares = total.vat.allocate(weights)
    splits = [
        VatSplit(gross=line, net=line - share, vat=share, rate=rate)
        for line, share in zip(lines, shares, strict=True)
    ]
    return splits, total
