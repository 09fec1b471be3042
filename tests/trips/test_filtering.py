"""Trips that are not saved, with their reason, and trips that need their route rebuilt."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkplus.trips.filtering import (
    MIN_DISTANCE_M,
    MIN_DURATION_S,
    NOT_SAVED_TEXT,
    NotSavedReason,
    decide,
)
from linkplus.trips.samples import TripFigures
from tests.trips.support import make_trip


@pytest.mark.parametrize(
    ("distance_m", "duration_s", "saved"),
    [
        (49.0, 9.0, False),
        (51.0, 11.0, True),
        (50.0, 10.0, True),
        (49.9, 600.0, False),  # a manoeuvre in a car park: no route to show
        (5000.0, 9.9, False),  # fewer than ten samples: nothing to score
    ],
)
def test_short_trip_boundaries(distance_m: float, duration_s: float, saved: bool) -> None:
    decision = decide(TripFigures(distance_m, duration_s), make_trip([20.0] * 5))
    assert decision.saved is saved
    assert decision.not_saved_reason is (None if saved else NotSavedReason.too_short)


@given(st.floats(0, 10_000), st.floats(0, 3600))
def test_saved_exactly_when_both_minimums_are_reached(distance_m, duration_s) -> None:
    decision = decide(TripFigures(distance_m, duration_s), None)
    assert decision.saved is (distance_m >= MIN_DISTANCE_M and duration_s >= MIN_DURATION_S)


def test_trip_that_ended_in_privacy_mode_is_not_saved() -> None:
    ended_hidden = make_trip([50.0] * 600, location_shared=[True] * 300 + [False] * 300)
    decision = decide(TripFigures(8000, 600), ended_hidden)
    assert not decision.saved
    assert decision.not_saved_reason is NotSavedReason.privacy_mode
    assert "Privacy Mode" in NOT_SAVED_TEXT[NotSavedReason.privacy_mode]
    # The car's own flag at engine-off wins over the last sample.
    told = decide(TripFigures(8000, 600), make_trip([50.0] * 600), location_sharing_at_end=False)
    assert told.not_saved_reason is NotSavedReason.privacy_mode
    # Privacy is the reason even for a very short trip: it is what the owner can change.
    short_and_hidden = decide(TripFigures(10, 3), make_trip([5.0] * 3, location_shared=[False] * 3))
    assert short_and_hidden.not_saved_reason is NotSavedReason.privacy_mode


def test_partly_private_trip_is_saved_and_needs_rebuilding() -> None:
    hidden_middle = [not (200 <= i < 400) for i in range(600)]
    decision = decide(
        TripFigures(8000, 600), make_trip([50.0] * 600, location_shared=hidden_middle)
    )
    assert decision.saved
    assert decision.needs_rebuild
    whole = decide(TripFigures(8000, 600), make_trip([50.0] * 600))
    assert whole.saved
    assert not whole.needs_rebuild
