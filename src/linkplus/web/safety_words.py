"""What the safety pages (the console's and the police page) say about a case in words, and the
points its map draws. Pure: no database, no request."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from linkplus.safety.schemas import CaseOut

OSM = "https://www.openstreetmap.org/"

TRACKING_WORDS = {
    "none": "Not started",
    "active": "Active: the car reports its position every 30 seconds",
    "paused": "Paused: the car's battery is flat or disconnected; it resumes when power returns",
    "ended": "Ended",
}

ENDED_BY = {"police": "the police", "reporter": "the person who reported the theft"}

OUTCOME_CHOICES = (
    ("assisted", "Helped on the phone"),
    ("dispatched", "Emergency services sent"),
    ("no_answer_dispatched", "Nobody answered: emergency services sent"),
    ("false_alarm", "False alarm"),
)

# The timeline's entries, in the agent's words.
ACTIONS = {
    "opened": "The car opened the case",
    "attempt": "Call attempt",
    "voice": "Voice line",
    "viewed": "Viewed by an agent",
    "taken": "Taken",
    "dispatched": "Dispatched",
    "closed": "Closed",
    "reported": "Theft reported",
    "checked": "Checks recorded",
    "tracking_started": "Tracking started",
    "tracking_stopped": "Tracking stopped",
    "tracking_paused": "Tracking paused by the car",
    "tracking_active": "Tracking resumed by the car",
    "positions_viewed": "Positions viewed",
    "exported": "Positions exported",
    "police_link_created": "Police link made",
    "police_viewed": "Police link opened",
    "reactivation_started": "Owner started the reactivation",
    "reactivated": "Owner reactivated the services",
}


def _coordinate(value: float, positive: str, negative: str) -> str:
    return f"{abs(value):.5f}° {positive if value >= 0 else negative}"


def position_words(latitude: float | None, longitude: float | None) -> str:
    if latitude is None or longitude is None:
        return "No position yet"
    return f"{_coordinate(latitude, 'N', 'S')}, {_coordinate(longitude, 'E', 'W')}"


def osm_link(latitude: float, longitude: float) -> str:
    """The position on openstreetmap.org, for agents who are online."""
    return f"{OSM}?mlat={latitude:.5f}&mlon={longitude:.5f}#map=16/{latitude:.5f}/{longitude:.5f}"


def trail_points(
    trail: Sequence[tuple[datetime, float, float, float | None]],
) -> list[dict[str, Any]]:
    return [
        {"lat": round(lat, 6), "lon": round(lon, 6), "at": ts.strftime("%d %b %H:%M:%S UTC")}
        for ts, lat, lon, _heading in trail
    ]


def map_points(
    case: CaseOut, trail: Sequence[tuple[datetime, float, float, float | None]]
) -> list[dict[str, Any]]:
    """What the case's map draws, oldest first: a theft's trail, or an emergency's position."""
    if trail:
        return trail_points(trail)
    if case.latitude is None or case.longitude is None:
        return []
    return [
        {
            "lat": round(case.latitude, 6),
            "lon": round(case.longitude, 6),
            "at": case.opened_at.strftime("%d %b %H:%M:%S UTC"),
        }
    ]


def age_words(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} d"
