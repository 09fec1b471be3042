"""Sentences the domains write in English and the owner pages show, marked for the catalogue.

The safety and trips domains answer the API in English (their words are the API's); the pages
show those sentences through ``| translated``, which finds them in the reader's catalogue by
their English words. The copies here put them in the catalogue (babel extracts ``N_``).
``tests/web/test_i18n.py`` holds each copy equal to the domain's own, so a sentence changed in
a domain cannot drop out of the catalogue and show in English unseen. (The remote domain's
names and refusals are in ``remote_pages``, which also hands them to ``remote.js``.)
"""

from __future__ import annotations

from linkplus.web.i18n import N_

# ``safety.rules``: what the emergency system's light means, the cases' titles and outcomes.
LIGHT_MEANINGS: dict[str, str] = {
    "self_test": N_("Red and green in turn: the system checks itself after the ignition."),
    "working": N_("Solid green: the emergency system works."),
    "call_in_progress": N_("Flashing green: an emergency call is in progress."),
    "fault": N_(
        "Solid red: the emergency system has a fault. Emergency calls may not go through; see "
        "your dealer soon."
    ),
}
UNKNOWN_LIGHT = N_("The car has not reported its emergency system yet.")
CASE_TITLES: dict[str, str] = {
    "sos": N_("SOS call"),
    "collision": N_("Collision notification"),
    "theft": N_("Theft report"),
}
OUTCOMES: dict[str, str] = {
    "accidental": N_("Pressed by accident: no help was needed."),
    "assisted": N_("The emergency centre helped on the phone."),
    "dispatched": N_("Emergency services were sent."),
    "no_answer_dispatched": N_("Nobody answered: emergency services were sent to the car."),
    "false_alarm": N_("A false alarm: no help was needed."),
    "recovered": N_("The car was recovered and its services reactivated."),
    "withdrawn": N_("The report was withdrawn."),
}

# ``trips.views``: why a trip was not saved or may be missing, and what a rebuilt route is.
NOT_SAVED_EXPLANATIONS: dict[str, str] = {
    "privacy_mode": N_(
        "Location sharing was off when the trip ended, so the trip was not saved. Turn it on in "
        "Privacy Mode (MyGarage) to keep your trips."
    ),
    "too_short": N_(
        "Very short trips (less than about 50 metres or 10 seconds) are not saved to keep your "
        "trip list uncluttered."
    ),
    "services_not_active": N_(
        "Connected services were not active when the trip ended, so it was not saved. Activate "
        "the standard services in the Connected Services Centre (My Garage)."
    ),
}
OTHER_MISSING_REASONS: dict[str, str] = {
    "no_trips_yet": N_("Driving analytics becomes available after your first recorded trip."),
    "gps_signal": N_(
        "Trips may not record correctly where GPS coverage is poor or absent (for example "
        "underground parking). They may appear later once the signal improves."
    ),
    "sync_delay": N_("Trip data may take a few hours to appear."),
    "profile_not_linked": N_(
        "Link your profile to the multimedia system in your car so trip data is recorded in your "
        "app."
    ),
    "maintenance": N_("Temporary outages or updates may affect trip recording."),
}
REBUILT_EXPLANATION = N_(
    "Location sharing was off (or GPS was lost) for part of this trip. That part of the route was"
    " rebuilt from the known points and may not be the road you drove; the trip's figures may be "
    "less accurate."
)
