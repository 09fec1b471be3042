"""Stored trips as the API shows them, and the coaching figures as they are stored.

The explanations are the app's answers to "why is a trip missing", "why is trip data
inaccurate" and "why is there no constant speed score" (seed 003's FAQ), keyed by the codes the
pure modules return.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import TypeAdapter

from linkplus.models.trips import Trip
from linkplus.trips.coaching import (
    Coaching,
    DrivingAnalytics,
    EvCoaching,
    EvShareFactor,
    HybridCoaching,
    tip,
)
from linkplus.trips.filtering import NOT_SAVED_TEXT, NotSavedReason
from linkplus.trips.insurance import INSURANCE_UNAVAILABLE_TEXT, InsuranceUnavailable
from linkplus.trips.schemas import (
    CoachingOut,
    DrivingAnalyticsOut,
    EngineOnCauseOut,
    EvCoachingOut,
    Explanation,
    HybridCoachingOut,
    InsuranceScoreOut,
    TipOut,
    TripScoresOut,
    TripSummaryOut,
)
from linkplus.trips.scoring import CONSTANT_SPEED_ABSENCE_TEXT, ConstantSpeedAbsence, TripScores

SERVICES_NOT_ACTIVE = "services_not_active"
"""Not saved because the car's coaching service was not active (a reason of this module, beside
``filtering.NotSavedReason``: the pure filter knows nothing of subscriptions)."""

NOT_SAVED_EXPLANATIONS: dict[str, str] = {
    **{reason.value: text for reason, text in NOT_SAVED_TEXT.items()},
    SERVICES_NOT_ACTIVE: (
        "Connected services were not active when the trip ended, so it was not saved. Activate "
        "the standard services in the Connected Services Centre (My Garage)."
    ),
}
NOT_SAVED_ORDER = (NotSavedReason.privacy_mode.value, NotSavedReason.too_short.value)

OTHER_MISSING_REASONS: tuple[Explanation, ...] = (
    Explanation(
        code="no_trips_yet",
        message="Driving analytics becomes available after your first recorded trip.",
    ),
    Explanation(
        code="gps_signal",
        message="Trips may not record correctly where GPS coverage is poor or absent (for "
        "example underground parking). They may appear later once the signal improves.",
    ),
    Explanation(code="sync_delay", message="Trip data may take a few hours to appear."),
    Explanation(
        code="profile_not_linked",
        message="Link your profile to the multimedia system in your car so trip data is "
        "recorded in your app.",
    ),
    Explanation(
        code="maintenance",
        message="Temporary outages or updates may affect trip recording.",
    ),
)

REBUILT_EXPLANATION = (
    "Location sharing was off (or GPS was lost) for part of this trip. That part of the route was "
    "rebuilt from the known points and may not be the road you drove; the trip's figures may be "
    "less accurate."
)
NO_TRIPS_YET = OTHER_MISSING_REASONS[0].message

ENGINE_ON_TEXT: dict[str, str] = {
    EvShareFactor.cold_start.value: "The engine warms itself up in the first minutes of a trip.",
    EvShareFactor.high_speed.value: "At higher speeds the car needs its engine.",
    EvShareFactor.hard_acceleration.value: (
        "Accelerating hard starts the engine; accelerate gently to stay electric."
    ),
    EvShareFactor.other.value: "Low battery, heating or engine braking kept the engine running.",
}

_COACHING: TypeAdapter[CoachingOut] = TypeAdapter(CoachingOut)


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def coaching_out(coaching: Coaching) -> CoachingOut:
    if isinstance(coaching, HybridCoaching):
        return HybridCoachingOut(
            kind="hybrid_coaching",
            distance_km=round(coaching.distance_km, 3),
            ev_distance_km=round(coaching.ev_distance_m / 1000.0, 3),
            ev_time_s=round(coaching.ev_time_s, 1),
            ev_distance_share=_r(coaching.ev_distance_share, 4),
            ev_time_share=_r(coaching.ev_time_share, 4),
            lowered_by=[
                EngineOnCauseOut(
                    factor=loss.factor.value,
                    share=round(loss.share, 4),
                    distance_km=round(loss.distance_m / 1000.0, 3),
                    explanation=ENGINE_ON_TEXT[loss.factor.value],
                )
                for loss in coaching.lowered_by
            ],
            short_trip=coaching.short_trip,
            fuel_l_per_100km=_r(coaching.fuel_l_per_100km, 2),
            energy_kwh_per_100km=_r(coaching.energy_kwh_per_100km, 2),
        )
    if isinstance(coaching, EvCoaching):
        return EvCoachingOut(
            kind="ev_coaching",
            distance_km=round(coaching.distance_km, 3),
            energy_used_kwh=_r(coaching.energy_used_kwh, 3),
            consumption_kwh_per_100km=_r(coaching.consumption_kwh_per_100km, 2),
            recovered_kwh=_r(coaching.recovered_kwh, 3),
            recovered_share=_r(coaching.recovered_share, 4),
        )
    assert isinstance(coaching, DrivingAnalytics)
    return DrivingAnalyticsOut(
        kind="driving_analytics",
        distance_km=round(coaching.distance_km, 3),
        average_speed_kmh=_r(coaching.average_speed_kmh),
        fuel_l_per_100km=_r(coaching.fuel_l_per_100km, 2),
    )


def stored_coaching(trip: Trip) -> CoachingOut:
    return _COACHING.validate_python(trip.coaching)


def trip_scores(trip: Trip) -> TripScores:
    absent = trip.constant_speed_absent
    return TripScores(
        acceleration=trip.score_acceleration,
        braking=trip.score_braking,
        constant_speed=trip.score_constant_speed,
        constant_speed_absent=ConstantSpeedAbsence(absent) if absent else None,
        trip=trip.score_trip,
    )


def scores_out(trip: Trip) -> TripScoresOut:
    absent = trip.constant_speed_absent
    return TripScoresOut(
        trip=round(trip.score_trip, 1),
        acceleration=round(trip.score_acceleration, 1),
        braking=round(trip.score_braking, 1),
        constant_speed=_r(trip.score_constant_speed),
        constant_speed_absent=(
            Explanation(
                code=absent, message=CONSTANT_SPEED_ABSENCE_TEXT[ConstantSpeedAbsence(absent)]
            )
            if absent
            else None
        ),
    )


def insurance_out(trip: Trip) -> InsuranceScoreOut:
    missing = trip.insurance_unavailable
    return InsuranceScoreOut(
        speeding=_r(trip.insurance_speeding),
        braking=_r(trip.insurance_braking),
        cornering=_r(trip.insurance_cornering),
        accelerating=_r(trip.insurance_accelerating),
        combined=_r(trip.insurance_combined),
        unavailable=(
            Explanation(
                code=missing,
                message=INSURANCE_UNAVAILABLE_TEXT[InsuranceUnavailable(missing)],
            )
            if missing
            else None
        ),
    )


def tip_out(trip: Trip) -> TipOut | None:
    found = tip(trip_scores(trip))
    return None if found is None else TipOut(part=found[0], text=found[1])


def summary_out(trip: Trip) -> TripSummaryOut:
    return TripSummaryOut(
        id=trip.id,
        started_at=trip.started_at,
        ended_at=trip.ended_at,
        distance_km=round(trip.distance_m / 1000.0, 3),
        duration_s=trip.duration_s,
        average_speed_kmh=(
            round(trip.distance_m / trip.duration_s * 3.6, 1) if trip.duration_s > 0 else None
        ),
        score=round(trip.score_trip, 1),
        coaching_kind=trip.coaching_kind,
        fuel_used_l=trip.fuel_used_l,
        energy_used_kwh=trip.energy_used_kwh,
        rebuilt=trip.rebuilt,
        rebuilt_explanation=REBUILT_EXPLANATION if trip.rebuilt else None,
    )


def month_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")
