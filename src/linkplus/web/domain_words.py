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

# ``rights.erasure_rules``: the erasure preview's lines of what is erased, and of what is kept
# (each group's name and exactly what stays). The rule and the period of a kept group come from
# the personal-data map and its settings: data, shown in English and marked so (``lang="en"``).
ERASED_CARS = N_("Your cars")
ERASED_CARDS = N_("Cards in your wallet")
ERASED: tuple[tuple[str, str], ...] = (
    (N_("Your profile"), N_("name, e-mail address, phone, language, time zone, password")),
    (
        N_("Sign-ins"),
        N_("every sign-in session and refresh token: you are signed out everywhere"),
    ),
    (N_("Trips"), N_("every trip with its route, scores and coaching")),
    (
        N_("Your cars' history in your time"),
        N_("positions, status values, events, the parked position, privacy-mode changes"),
    ),
    (
        N_("Remote commands"),
        N_("every command, its history and the car's answers; schedules"),
    ),
    (
        N_("Notifications"),
        N_("inbox, e-mails sent to you, push subscriptions, preferences"),
    ),
    (
        N_("Consents"),
        N_("every acceptance of the terms and the privacy notice, with history"),
    ),
    (N_("Payment cards"), N_("deleted in the wallet and at the payment provider")),
    (N_("Connected services"), N_("activations and the sell checklist")),
    (N_("Preferred dealer"), N_("your choice of dealer")),
)
KEPT: tuple[tuple[str, str], ...] = (
    (
        N_("Invoices and credit notes"),
        N_(
            "as issued: number, date, your name and billing address, the lines (package, car's "
            "VIN, period) and the amounts; filed under a pseudonym instead of your account"
        ),
    ),
    (
        N_("Subscriptions and payments"),
        N_(
            "package, plan, dates, amounts, charges and refunds with the provider's ids, under the "
            "pseudonym; no billing address, no card, no payment token"
        ),
    ),
    (
        N_("Safety cases"),
        N_(
            "emergency calls and stolen-vehicle cases: what happened, where, what the agents and "
            "the police were told; no longer linked to your account"
        ),
    ),
    (
        N_("Audit log"),
        N_(
            "who did what and when, and that your account was erased and when; your account's id "
            "and every identifier of yours (e-mail address, sign-in sessions) replaced by the "
            "pseudonym"
        ),
    ),
    (
        N_("Your cars' own history"),
        N_(
            "wrong odometer readings typed for a car, and when its location sharing was switched, "
            "without your account"
        ),
    ),
)

# ``rights.errors`` and ``accounts.errors``: the refusals the export and erasure pages show that
# carry no value of their own (those naming a date stay English: the domain writes it in UTC).
RIGHTS_REFUSALS: tuple[str, ...] = (
    N_("Enter your current password. If you forgot it, reset it."),
    N_(
        "Your data export is already being made. You will be told when it is ready; then "
        "download it, or ask again after that."
    ),
    N_("Your data export is still being made. You will be told when it is ready."),
    N_("This export could not be made. Ask for a new one."),
    N_("The download link has expired and the file is deleted. Ask for a new export."),
    N_("Your account is not due to be erased; there is nothing to cancel."),
    N_("The grace period is over and your account is being erased; it cannot be stopped."),
)
