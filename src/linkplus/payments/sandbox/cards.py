"""What the sandbox decides from a card number: is it a card, is it accepted, how does it behave.

Pure functions. The number is looked at once, when the owner types it into the sandbox's page;
what is kept afterwards is its brand, last four digits, a fingerprint and the behaviour below.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from linkplus.kit.parsing import InputRefused, parse_digits, parse_int

CHALLENGE_CODE = "123456"


class Behaviour(StrEnum):
    """How a test card behaves at 3-D Secure and when it is charged."""

    succeed = "succeed"
    decline = "decline"
    insufficient_funds = "insufficient_funds"
    expired_card = "expired_card"
    challenge = "challenge"  # 3-D Secure challenge: CHALLENGE_CODE passes, anything else fails
    challenge_fails = "challenge_fails"  # the issuer refuses the 3-D Secure check whatever is typed
    requires_action = "requires_action"  # every charge asks for authentication
    flaky_error = "flaky_error"  # first request per idempotency key: HTTP 500, nothing charged
    flaky_timeout = "flaky_timeout"  # first request per key: charged, but answered too late


TEST_CARDS: dict[str, Behaviour] = {
    "4242424242424242": Behaviour.succeed,
    "5555555555554444": Behaviour.succeed,
    "2221000000000009": Behaviour.succeed,
    "4000000000000002": Behaviour.decline,
    "4000000000009995": Behaviour.insufficient_funds,
    "4000000000000069": Behaviour.expired_card,
    "4000000000003063": Behaviour.challenge,
    "4000000000003089": Behaviour.challenge_fails,
    "4000000000003220": Behaviour.requires_action,
    "4000000000000119": Behaviour.flaky_error,
    "4000000000000408": Behaviour.flaky_timeout,
}

NEEDS_CHALLENGE = frozenset({Behaviour.challenge, Behaviour.challenge_fails})

WHAT_IT_DOES: dict[Behaviour, str] = {
    Behaviour.succeed: "Saved, and every payment succeeds.",
    Behaviour.decline: "Saved, but every payment is declined.",
    Behaviour.insufficient_funds: "Saved, but payments are declined: insufficient funds.",
    Behaviour.expired_card: "Saved, but payments are declined: the bank says it has expired.",
    Behaviour.challenge: "Asks for the bank's 3-D Secure code (the bank's page shows it), then "
    "saved.",
    Behaviour.challenge_fails: "Asks for the bank's 3-D Secure code, and the bank refuses it.",
    Behaviour.requires_action: "Saved, but every payment asks for authentication.",
    Behaviour.flaky_error: "Saved; each payment's first attempt fails with a server error.",
    Behaviour.flaky_timeout: "Saved; each payment's first attempt is charged but answers late.",
}
"""What each test card does, in the words the sandbox's card page lists them with."""


@dataclass(frozen=True)
class ListedCard:
    number: str  # grouped in fours, as printed on a card
    brand: str
    does: str


def listed_cards() -> list[ListedCard]:
    """Every test card with its brand and behaviour, for the sandbox's card page."""
    return [
        ListedCard(
            " ".join(number[i : i + 4] for i in range(0, len(number), 4)),
            brand_of(number),
            WHAT_IT_DOES[behaviour],
        )
        for number, behaviour in TEST_CARDS.items()
    ]


class CardRefused(ValueError):
    """The typed card cannot be tokenised; ``field`` is the form field to correct."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ValidCard:
    number: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    holder: str
    behaviour: Behaviour


def digits_of(number: str) -> str:
    """The number without the spaces and dashes people type."""
    return "".join(ch for ch in number if ch not in " -")


def luhn_valid(number: str) -> bool:
    try:
        parse_digits(number, field="number", min_length=12, max_length=19)
    except InputRefused:
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def brand_of(number: str) -> str:
    """``visa``, ``mastercard`` (51-55 and 2221-2720), or the brand we refuse."""
    if number.startswith("4") and len(number) in (13, 16, 19):
        return "visa"
    if len(number) == 16 and (51 <= int(number[:2]) <= 55 or 2221 <= int(number[:4]) <= 2720):
        return "mastercard"
    if number[:2] in ("34", "37"):
        return "amex"
    if number.startswith(("6011", "65")) or 644 <= int(number[:3]) <= 649:
        return "discover"
    if 3528 <= int(number[:4]) <= 3589:
        return "jcb"
    if number[:2] in ("36", "38", "39") or 300 <= int(number[:3]) <= 305:
        return "diners"
    return "unknown"


def expired(exp_month: int, exp_year: int, today: date) -> bool:
    """A card is valid to the last day of its expiry month."""
    return (today.year, today.month) > (exp_year, exp_month)


def check_card(
    *, number: str, exp_month: str, exp_year: str, cvc: str, holder: str, today: date
) -> ValidCard:
    """Validate what the owner typed, in the order a form shows its fields."""
    pan = digits_of(number)
    if not luhn_valid(pan):
        raise CardRefused("number", "This card number is not valid. Check it and try again.")
    brand = brand_of(pan)
    if brand not in ("visa", "mastercard"):
        raise CardRefused(
            "number", "Only Visa and Mastercard credit cards are accepted. Use another card."
        )
    try:
        month = parse_int(exp_month, field="exp_month", minimum=1, maximum=12)
        year = parse_int(exp_year, field="exp_year", minimum=0, maximum=2099)
    except InputRefused:
        raise CardRefused(
            "expiry", "Enter the expiry month (1-12) and year as on the card."
        ) from None
    if year < 100:
        year += 2000
    if not 1 <= month <= 12 or not 2000 <= year <= 2099:
        raise CardRefused("expiry", "Enter the expiry month (1-12) and year as on the card.")
    if expired(month, year, today):
        raise CardRefused("expiry", "This card has expired. Use a card that is still valid.")
    try:
        parse_digits(cvc, field="cvc", min_length=3, max_length=3)
    except InputRefused:
        raise CardRefused(
            "cvc", "Enter the 3-digit security code from the back of the card."
        ) from None
    name = " ".join(holder.split())
    if not 2 <= len(name) <= 200:
        raise CardRefused("holder", "Enter the name as it is printed on the card.")
    return ValidCard(
        number=pan,
        brand=brand,
        last4=pan[-4:],
        exp_month=month,
        exp_year=year,
        holder=name,
        behaviour=TEST_CARDS.get(pan, Behaviour.succeed),
    )


def fingerprint(secret: str, number: str) -> str:
    """The same physical card always gets the same fingerprint; it cannot be turned back into
    the number without the secret."""
    return hmac.new(secret.encode(), number.encode(), hashlib.sha256).hexdigest()[:32]
