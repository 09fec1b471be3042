"""The ownership check by odometer reading: when a reading counts as proof, and when to block.

Pure: values in, values out.

Tolerance: the car reports its odometer at the end of each trip, so the owner's reading is usually
a little higher than the last report (they may have driven since, e.g. to the dealer) and never
really lower. We accept readings from 5 km below the last report (rounding, miles-to-km display) to
50 km above it. Anything else is a wrong reading; the third wrong reading for the same account and
car blocks the check. A blocked check refuses every proof for that account and car, a correct
reading or a QR code included, until a dealer has seen the owner's identity document in person and
unblocks it: the block exists because someone may be guessing, so only a person can lift it.

The car counts too (``car_is_blocked``). Per account alone, every new account got three fresh
guesses of the 56 km window, so a script with many accounts could find the reading. Every wrong
reading is therefore also counted for the car, from whichever account; the fifth within 30 days
blocks the check for the car, for every account, until a dealer unblocks the car. Why 5 in 30
days: one owner who mistypes is blocked by the per-account rule after 3, so a fourth and fifth
wrong reading mean a second account is guessing too; and the count must outlast an attacker's
patience: with a 30-day window a script staying under the limit gets at most 4 guesses a month
(each covering 56 km of a dial that could read anything in a range of tens of thousands), while
the primary account is told of each one at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

KM_BELOW_LAST_REPORT = 5
KM_ABOVE_LAST_REPORT = 50
MAX_WRONG_READINGS = 3
MAX_WRONG_READINGS_PER_CAR = 5
CAR_WINDOW = timedelta(days=30)
# A dealer's identity check allows an unblock for this long after it was recorded.
IDENTITY_CHECK_VALID_FOR = timedelta(hours=24)


def reading_matches(entered_km: int, reported_km: int) -> bool:
    return reported_km - KM_BELOW_LAST_REPORT <= entered_km <= reported_km + KM_ABOVE_LAST_REPORT


class Outcome(StrEnum):
    passed = "passed"
    wrong = "wrong"  # counted; tries are left
    blocked = "blocked"  # this wrong reading used the last try


@dataclass(frozen=True)
class Judgement:
    outcome: Outcome
    failed_attempts: int  # after this reading
    attempts_left: int


def judge_reading(entered_km: int, reported_km: int, *, failed_attempts: int) -> Judgement:
    """Judge one reading against the car's last report, given the wrong readings so far."""
    if reading_matches(entered_km, reported_km):
        return Judgement(Outcome.passed, failed_attempts, attempts_left(failed_attempts))
    failed = failed_attempts + 1
    outcome = Outcome.blocked if failed >= MAX_WRONG_READINGS else Outcome.wrong
    return Judgement(outcome, failed, attempts_left(failed))


def attempts_left(failed_attempts: int) -> int:
    return max(MAX_WRONG_READINGS - failed_attempts, 0)


def car_count_since(now: datetime, counted_since: datetime | None) -> datetime:
    """From when on a car's wrong readings count: the window, or the last unblock if later."""
    start = now - CAR_WINDOW
    return max(start, counted_since) if counted_since is not None else start


def car_is_blocked(wrong_readings_in_window: int) -> bool:
    """Whether the car's wrong readings (from all accounts, in the window) block its check."""
    return wrong_readings_in_window >= MAX_WRONG_READINGS_PER_CAR
