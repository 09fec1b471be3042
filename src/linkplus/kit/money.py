"""Amounts of money as whole minor units (cents, pence) of one ISO 4217 currency.

Customers' money never passes through a float. Amounts are integers of the currency's minor unit;
the exponent (2 for EUR, 0 for JPY) comes from babel's copy of the CLDR currency data. Where a
share has to be taken (a pro-rata refund, the VAT inside a price) the arithmetic stays in exact
integers and rounds once, at the end, by an explicit rule (`Rounding`); splitting an amount into
parts hands the leftover minor units out one by one, so no cent is created or lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache, total_ordering

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision, is_currency


class MoneyError(ValueError):
    """An amount or currency that cannot be money, or arithmetic across two currencies."""


class Rounding(StrEnum):
    """How a share that falls between two minor units becomes whole minor units."""

    half_up = "half_up"  # nearest; an exact half goes away from zero (commercial rounding)
    down = "down"  # towards zero
    up = "up"  # away from zero


def _divide(numerator: int, denominator: int, rounding: Rounding) -> int:
    """``numerator / denominator`` as an integer, rounded by ``rounding``; exact, no Decimal."""
    if denominator == 0:
        raise MoneyError("division by zero")
    negative = (numerator < 0) != (denominator < 0)
    quotient, remainder = divmod(abs(numerator), abs(denominator))
    rounds_away = rounding is Rounding.up or (
        rounding is Rounding.half_up and 2 * remainder >= abs(denominator)
    )
    if remainder and rounds_away:
        quotient += 1
    return -quotient if negative else quotient


@cache
def currency_exponent(currency: str) -> int:
    """Digits after the decimal point in ``currency`` (EUR 2, JPY 0, BHD 3). Cached: every
    Money asks, and babel's lookup is slow enough to show in the billing run's profile."""
    if len(currency) != 3 or not currency.isascii() or not currency.isupper():
        raise MoneyError(f"{currency!r} is not an ISO 4217 currency code")
    if not is_currency(currency):
        raise MoneyError(f"{currency} is not a known currency")
    return int(get_currency_precision(currency))


@total_ordering
@dataclass(frozen=True, slots=True)
class Money:
    """``minor`` units of ``currency``: ``Money(1999, "EUR")`` is 19.99 EUR."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if type(self.minor) is not int:  # bool is an int too, and floats must never get in
            raise MoneyError(f"minor units must be an int, not {type(self.minor).__name__}")
        currency_exponent(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def of(cls, amount: str | Decimal | int, currency: str) -> Money:
        """An amount in major units written exactly (``"19.99"``); more decimals are refused."""
        if isinstance(amount, bool) or not isinstance(amount, str | Decimal | int):
            raise MoneyError(f"an amount must be text, a Decimal or an int: {amount!r}")
        try:
            value = Decimal(amount)
        except InvalidOperation as exc:
            raise MoneyError(f"{amount!r} is not an amount") from exc
        if not value.is_finite():
            raise MoneyError(f"{amount!r} is not an amount")
        scaled = value.scaleb(currency_exponent(currency))
        if scaled != scaled.to_integral_value():
            raise MoneyError(f"{amount} has more decimals than {currency} allows")
        return cls(int(scaled), currency)

    @property
    def exponent(self) -> int:
        return currency_exponent(self.currency)

    def to_decimal(self) -> Decimal:
        """The amount in major units, exact (for display and documents, not for arithmetic)."""
        return Decimal(self.minor).scaleb(-self.exponent)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __mul__(self, factor: int) -> Money:
        if type(factor) is not int:
            raise TypeError("Money can only be multiplied by an int; use scaled() for shares")
        return Money(self.minor * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    @property
    def is_zero(self) -> bool:
        return self.minor == 0

    @property
    def is_positive(self) -> bool:
        return self.minor > 0

    @property
    def is_negative(self) -> bool:
        return self.minor < 0

    def scaled(
        self, numerator: int, denominator: int, rounding: Rounding = Rounding.half_up
    ) -> Money:
        """``self × numerator / denominator`` rounded once, by ``rounding``, to a minor unit."""
        return Money(_divide(self.minor * numerator, denominator, rounding), self.currency)

    def allocate(self, weights: Sequence[int]) -> list[Money]:
        """Split in proportion to ``weights``; the parts always add up to exactly ``self``.

        Each part gets its share rounded down; the minor units left over go one each to the
        parts with the largest remainders (earlier parts first on a tie).
        """
        if not weights or any(type(w) is not int or w < 0 for w in weights):
            raise MoneyError("weights must be non-negative ints")
        total_weight = sum(weights)
        if total_weight == 0:
            raise MoneyError("at least one weight must be positive")
        sign = -1 if self.minor < 0 else 1
        amount = abs(self.minor)
        shares = [divmod(amount * w, total_weight) for w in weights]
        parts = [share for share, _ in shares]
        leftover = amount - sum(parts)
        by_remainder = sorted(range(len(weights)), key=lambda i: (-shares[i][1], i))
        for i in by_remainder[:leftover]:
            parts[i] += 1
        return [Money(sign * p, self.currency) for p in parts]

    def split(self, parts: int) -> list[Money]:
        """``parts`` near-equal amounts that add up to exactly ``self`` (larger ones first)."""
        if type(parts) is not int or parts < 1:
            raise MoneyError("parts must be a positive int")
        return self.allocate([1] * parts)

    def __str__(self) -> str:
        return f"{self.currency} {self.to_decimal():f}"


def sum_money(amounts: Iterable[Money], currency: str) -> Money:
    """The total of ``amounts`` (all in ``currency``); zero for none."""
    total = Money.zero(currency)
    for amount in amounts:
        total = total + amount
    return total


def format_money(money: Money, locale: str) -> str:
    """``money`` as a reader in ``locale`` expects it: ``1.234,50 €`` for de-DE."""
    try:
        parsed = Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError) as exc:
        raise MoneyError(f"unknown locale {locale!r}") from exc
    return str(format_currency(money.to_decimal(), money.currency, locale=parsed))
