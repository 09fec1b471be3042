"""The odometer tolerance and the three-wrong-readings rule."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from linkplus.garage.ownership import (
    KM_ABOVE_LAST_REPORT,
    KM_BELOW_LAST_REPORT,
    MAX_WRONG_READINGS,
    Outcome,
    attempts_left,
    judge_reading,
    reading_matches,
)


def test_tolerance_edges() -> None:
    assert reading_matches(10_000, 10_000)
    assert reading_matches(10_000 - KM_BELOW_LAST_REPORT, 10_000)
    assert reading_matches(10_000 + KM_ABOVE_LAST_REPORT, 10_000)
    assert not reading_matches(10_000 - KM_BELOW_LAST_REPORT - 1, 10_000)
    assert not reading_matches(10_000 + KM_ABOVE_LAST_REPORT + 1, 10_000)
    assert (KM_BELOW_LAST_REPORT, KM_ABOVE_LAST_REPORT) == (5, 50)


def test_third_wrong_reading_blocks() -> None:
    first = judge_reading(1, 10_000, failed_attempts=0)
    second = judge_reading(1, 10_000, failed_attempts=first.failed_attempts)
    third = judge_reading(1, 10_000, failed_attempts=second.failed_attempts)
    assert [j.outcome for j in (first, second, third)] == [
        Outcome.wrong,
        Outcome.wrong,
        Outcome.blocked,
    ]
    assert [j.attempts_left for j in (first, second, third)] == [2, 1, 0]
    assert third.failed_attempts == MAX_WRONG_READINGS


def test_a_correct_reading_does_not_count() -> None:
    judgement = judge_reading(10_020, 10_000, failed_attempts=2)
    assert judgement.outcome is Outcome.passed
    assert judgement.failed_attempts == 2


@given(
    reported=st.integers(min_value=0, max_value=1_000_000),
    offset=st.integers(min_value=-1_000, max_value=1_000),
    failed=st.integers(min_value=0, max_value=MAX_WRONG_READINGS - 1),
)
def test_judgement_agrees_with_the_tolerance(reported: int, offset: int, failed: int) -> None:
    judgement = judge_reading(reported + offset, reported, failed_attempts=failed)
    inside = -KM_BELOW_LAST_REPORT <= offset <= KM_ABOVE_LAST_REPORT
    assert (judgement.outcome is Outcome.passed) == inside
    if not inside:
        assert judgement.failed_attempts == failed + 1
        assert judgement.attempts_left == attempts_left(failed + 1) >= 0
        assert (judgement.outcome is Outcome.blocked) == (failed + 1 >= MAX_WRONG_READINGS)
