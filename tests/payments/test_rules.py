"""Pure rules: the wallet's (brand, expiry, removal) and the sandbox's card checks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkplus.payments import card_rules
from linkplus.payments.sandbox.cards import (
    TEST_CARDS,
    Behaviour,
    CardRefused,
    brand_of,
    check_card,
    fingerprint,
    luhn_valid,
)

TODAY = date(2026, 11, 21)


def _with_check_digit(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


@given(
    st.text(alphabet="0123456789", min_size=15, max_size=15), st.integers(0, 15), st.integers(1, 9)
)
def test_changing_any_one_digit_breaks_the_luhn_check(body: str, position: int, shift: int) -> None:
    number = _with_check_digit(body)
    changed = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]

    assert luhn_valid(number)
    assert not luhn_valid(changed)


def test_every_documented_test_card_is_a_valid_accepted_number() -> None:
    for number in TEST_CARDS:
        assert luhn_valid(number), number
        assert brand_of(number) in ("visa", "mastercard"), number


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4111111111111111", "visa"),
        ("4222222222222", "visa"),
        ("5105105105105100", "mastercard"),
        ("5500000000000004", "mastercard"),
        ("2221000000000009", "mastercard"),
        ("2720990000000007", "mastercard"),
        ("2720999999999996", "mastercard"),
        ("2220990000000008", "unknown"),  # just below the 2-series range
        ("2721000000000004", "unknown"),  # just above it
        ("5000000000000009", "unknown"),  # 50 is Maestro, not Mastercard
        ("378282246310005", "amex"),
        ("6011111111111117", "discover"),
    ],
)
def test_brands_by_number_range(number: str, brand: str) -> None:
    assert brand_of(number) == brand


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        ({"number": "4242 4242 4242 4241"}, "number"),
        ({"number": "5000000000000009"}, "number"),
        ({"exp_month": "13"}, "expiry"),
        ({"exp_month": "10", "exp_year": "2026"}, "expiry"),
        ({"exp_year": "next"}, "expiry"),
        ({"cvc": "12"}, "cvc"),
        ({"cvc": "12a"}, "cvc"),
        ({"holder": " "}, "holder"),
    ],
)
def test_the_card_form_is_checked_field_by_field(typed: dict[str, str], field: str) -> None:
    values = {"number": "4242424242424242", "exp_month": "12", "exp_year": "30", "cvc": "737"}
    values |= {"holder": "Alex Driver"} | typed

    with pytest.raises(CardRefused) as refused:
        check_card(**values, today=TODAY)

    assert refused.value.field == field


def test_a_valid_card_keeps_its_public_parts_and_behaviour() -> None:
    card = check_card(
        number="4000-0000-0000-9995",
        exp_month="11",
        exp_year="26",
        cvc="737",
        holder="  Alex   Driver ",
        today=TODAY,
    )

    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("visa", "9995", 11, 2026)
    assert card.holder == "Alex Driver"
    assert card.behaviour is Behaviour.insufficient_funds


def test_fingerprints_identify_a_card_without_revealing_it() -> None:
    assert fingerprint("k", "4242424242424242") == fingerprint("k", "4242424242424242")
    assert fingerprint("k", "4242424242424242") != fingerprint("k", "5555555555554444")
    assert fingerprint("k", "4242424242424242") != fingerprint("other", "4242424242424242")
    assert len(fingerprint("k", "4242424242424242")) == 32


@pytest.mark.parametrize(
    ("month", "year", "now", "expired", "soon"),
    [
        (11, 2026, datetime(2026, 11, 30, 23, 59, tzinfo=UTC), False, True),
        (11, 2026, datetime(2026, 12, 1, tzinfo=UTC), True, False),
        (12, 2026, datetime(2026, 12, 31, 12, tzinfo=UTC), False, True),
        (12, 2026, datetime(2027, 1, 1, tzinfo=UTC), True, False),
        (1, 2027, datetime(2026, 12, 1, tzinfo=UTC), False, False),  # 61 days left
        (1, 2027, datetime(2027, 1, 2, tzinfo=UTC), False, True),  # 30 days left
    ],
)
def test_a_card_is_valid_to_the_end_of_its_expiry_month(
    month: int, year: int, now: datetime, expired: bool, soon: bool
) -> None:
    assert card_rules.is_expired(month, year, now) is expired
    assert card_rules.expires_soon(month, year, now) is soon


@pytest.mark.parametrize(
    ("cards", "paid", "allowed"),
    [(1, False, True), (2, False, True), (2, True, True), (1, True, False)],
)
def test_the_last_card_stays_only_while_a_paid_subscription_is_active(
    cards: int, paid: bool, allowed: bool
) -> None:
    assert (
        card_rules.can_remove(cards_in_wallet=cards, has_active_paid_subscription=paid) is allowed
    )


def test_only_visa_and_mastercard_are_accepted() -> None:
    assert card_rules.is_accepted_brand("visa")
    assert card_rules.is_accepted_brand("mastercard")
    assert not card_rules.is_accepted_brand("amex")
    assert not card_rules.is_accepted_brand("maestro")
