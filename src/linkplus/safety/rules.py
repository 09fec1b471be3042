"""Pure rules of the safety services: what the status light means, what an owner reads about a
case, and the timings the car and the platform keep to (documented in docs/safety.md)."""

from __future__ import annotations

from datetime import timedelta

from linkplus.models.safety import CaseKind

ATTEMPTS_PER_CALL = 3
"""An SOS press tries three times in all: the first attempt and two more."""
COLLISION_RETRY_WINDOW = timedelta(hours=24)
"""A collision notification keeps trying for 24 hours until it has coverage, then stops."""
TRACKING_INTERVAL_SECONDS = 30
"""While tracking runs the car reports its position every 30 seconds."""
TRACKING_COMMAND_LIFETIME = timedelta(minutes=10)
"""A tracking start or stop the car has not received within this time is not carried out."""
POLICE_LINK_HOURS_DEFAULT = 24
POLICE_LINK_HOURS_MAX = 7 * 24
REACTIVATION_CODE_LIFETIME = timedelta(minutes=15)
REACTIVATION_CODE_TRIES = 5
STREAM_POLL_SECONDS = 0.2
"""The console's live stream looks for changes five times a second (changes made by other
processes); a change committed in the stream's own process wakes it at once (``live``)."""

LIGHTS: dict[str, tuple[str, bool]] = {
    "self_test": ("Red and green in turn: the system checks itself after the ignition.", False),
    "working": ("Solid green: the emergency system works.", False),
    "call_in_progress": ("Flashing green: an emergency call is in progress.", False),
    "fault": (
        "Solid red: the emergency system has a fault. Emergency calls may not go through; "
        "see your dealer soon.",
        True,
    ),
}
UNKNOWN_LIGHT = "The car has not reported its emergency system yet."


def light_meaning(light: str | None) -> tuple[str, bool]:
    """What the light says, in the owner's words, and whether the owner should see a dealer."""
    if light is None:
        return UNKNOWN_LIGHT, False
    return LIGHTS.get(light, (UNKNOWN_LIGHT, False))


CASE_TITLES = {
    CaseKind.sos.value: "SOS call",
    CaseKind.collision.value: "Collision notification",
    CaseKind.theft.value: "Theft report",
}

OUTCOMES = {
    "accidental": "Pressed by accident: no help was needed.",
    "assisted": "The emergency centre helped on the phone.",
    "dispatched": "Emergency services were sent.",
    "no_answer_dispatched": "Nobody answered: emergency services were sent to the car.",
    "false_alarm": "A false alarm: no help was needed.",
    "recovered": "The car was recovered and its services reactivated.",
    "withdrawn": "The report was withdrawn.",
}

EMERGENCY_OUTCOMES = ("assisted", "dispatched", "no_answer_dispatched", "false_alarm")
DISPATCH_SERVICES = ("police", "fire", "ambulance")


def case_title(kind: str) -> str:
    return CASE_TITLES.get(kind, "Safety event")


def outcome_words(outcome: str | None) -> str | None:
    return None if outcome is None else OUTCOMES.get(outcome, outcome.replace("_", " "))
