"""Vehicle identification numbers (ISO 3779).

A VIN is 17 characters from A-Z and 0-9 without I, O and Q (too easily read as 1 and 0). Cars
built for North America (world manufacturer identifier starting with 1-5) carry a check digit in
position 9, computed from the other sixteen characters; a single mistyped character changes it, so
it catches most typing mistakes before anything is looked up. Other regions do not require the
check digit, so there position 9 is whatever the manufacturer put there and is accepted as is.
"""

from __future__ import annotations

import string

VIN_LENGTH = 17
CHECK_DIGIT_POSITION = 9  # 1-based, as the standard counts

_FORBIDDEN = frozenset("IOQ")
ALPHABET = frozenset(string.ascii_uppercase + string.digits) - _FORBIDDEN

# Letters stand for digits in the check-digit sum (the table the standard gives).
_VALUES: dict[str, int] = {str(d): d for d in range(10)} | {
    "A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, "H": 8,
    "J": 1, "K": 2, "L": 3, "M": 4, "N": 5, "P": 7, "R": 9,
    "S": 2, "T": 3, "U": 4, "V": 5, "W": 6, "X": 7, "Y": 8, "Z": 9,
}  # fmt: skip
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)

_NORTH_AMERICA = frozenset("12345")


class InvalidVin(ValueError):
    """The text cannot be a VIN. ``reason`` tells the person what to correct."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _check_shape(vin: str) -> None:
    if not vin:
        raise InvalidVin("Enter the 17-character vehicle identification number (VIN).")
    if len(vin) != VIN_LENGTH:
        raise InvalidVin(f"A VIN has exactly 17 characters; this one has {len(vin)}.")
    forbidden = sorted(set(vin) & _FORBIDDEN)
    if forbidden:
        raise InvalidVin(
            "VINs never contain I, O or Q (found "
            + ", ".join(forbidden)
            + "); you probably mean 1 or 0."
        )
    wrong = [ch for ch in vin if ch not in ALPHABET]
    if wrong:
        raise InvalidVin(
            f"A VIN contains only the letters A-Z and the digits 0-9; remove {wrong[0]!r}."
        )


def check_digit(vin: str) -> str:
    """The position-9 check digit of ``vin`` (its current position 9 is ignored): '0'-'9' or 'X'.

    ``vin`` must already be upper-case; raises InvalidVin when it is not 17 valid characters.
    """
    _check_shape(vin)
    total = sum(_VALUES[ch] * weight for ch, weight in zip(vin, _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def uses_check_digit(vin: str) -> bool:
    """Whether position 9 must be the check digit: North-American VINs (WMI starts with 1-5)."""
    return bool(vin) and vin[0] in _NORTH_AMERICA


def normalize_vin(raw: str) -> str:
    """The canonical form of ``raw`` (surrounding spaces removed, upper-case), fully validated."""
    vin = raw.strip().upper()
    _check_shape(vin)
    if uses_check_digit(vin):
        expected = check_digit(vin)
        if vin[CHECK_DIGIT_POSITION - 1] != expected:
            raise InvalidVin(
                "The check digit (9th character) does not match the rest of this VIN, so a "
                "character is mistyped; compare it character by character with the vehicle "
                "registration document."
            )
    return vin
