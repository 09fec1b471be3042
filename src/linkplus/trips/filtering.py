"""Which uploaded trips are not saved, and why, so the app can explain a missing trip.

The rule (docs/scoring.md, "Trips that are not saved"):

- A trip that ended while privacy mode was on (location sharing off at the end) is not saved: the
  owner asked for the car's whereabouts not to be kept.
- A trip must cover at least ``MIN_DISTANCE_M`` *and* last at least ``MIN_DURATION_S`` to be
  saved. Under 50 m it is a manoeuvre with no route to show; under 10 s there are fewer than ten
  samples, too few to score. Exactly 50 m and 10 s is saved.
- A saved trip with positions missing on the way (sharing off for part of it, or no GPS) is
  rebuilt (``linkplus.trips.rebuild``) and marked so.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from linkplus.trips.samples import TripFigures, TripSamples

MIN_DISTANCE_M = 50.0
MIN_DURATION_S = 10.0


class NotSavedReason(StrEnum):
    privacy_mode = "privacy_mode"
    too_short = "too_short"


NOT_SAVED_TEXT: dict[NotSavedReason, str] = {
    NotSavedReason.privacy_mode: (
        "Location sharing was off when the trip ended, so the trip was not saved. Turn it on in "
        "Privacy Mode (MyGarage) to keep your trips."
    ),
    NotSavedReason.too_short: (
        "Very short trips (less than about 50 metres or 10 seconds) are not saved to keep your "
        "trip list uncluttered."
    ),
}


@dataclass(frozen=True, slots=True)
class TripDecision:
    saved: bool
    not_saved_reason: NotSavedReason | None
    needs_rebuild: bool  # saved, but some positions on the way are missing


def is_too_short(distance_m: float, duration_s: float) -> bool:
    return distance_m < MIN_DISTANCE_M or duration_s < MIN_DURATION_S


def decide(
    figures: TripFigures,
    samples: TripSamples | None,
    *,
    location_sharing_at_end: bool | None = None,
) -> TripDecision:
    """``location_sharing_at_end``: the car's privacy state at engine-off, if it said so.

    Without it, the last sample's ``location_shared`` flag is the privacy state at the end; a
    trip with no samples at all is taken as shared.
    """
    ended_private = location_sharing_at_end is False
    if location_sharing_at_end is None and samples is not None and len(samples) > 0:
        ended_private = not bool(samples.location_shared[-1])
    if ended_private:
        return TripDecision(False, NotSavedReason.privacy_mode, False)
    if is_too_short(figures.distance_m, figures.duration_s):
        return TripDecision(False, NotSavedReason.too_short, False)
    needs_rebuild = samples is not None and bool(
        np.any(~samples.location_shared | np.isnan(samples.lat) | np.isnan(samples.lon))
    )
    return TripDecision(True, None, needs_rebuild)
