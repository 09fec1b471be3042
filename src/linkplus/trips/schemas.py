"""What the trips API returns. Scores are rounded to one decimal here, for display; the stored
figures stay unrounded. Distances are in km, durations in seconds, times in UTC."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from linkplus.kit.parsing import YearMonth

# A month asked for (``?month=YYYY-MM``, UTC): a year the calendar arithmetic of the monthly
# overview and its neighbouring months can always compute (year 0 or 9999 used to raise).
TripMonth = Annotated[str, YearMonth(2000, 2999)]


class Explanation(BaseModel):
    code: str
    message: str


class TripScoresOut(BaseModel):
    trip: float
    acceleration: float
    braking: float
    constant_speed: float | None
    constant_speed_absent: Explanation | None = Field(
        description="Why there is no constant-speed score, when there is none."
    )


class InsuranceScoreOut(BaseModel):
    """Usage-based insurance criteria 0..100; all None with ``unavailable`` when not scored."""

    speeding: float | None
    braking: float | None
    cornering: float | None
    accelerating: float | None
    combined: float | None
    unavailable: Explanation | None


class TipOut(BaseModel):
    part: str
    text: str


class EngineOnCauseOut(BaseModel):
    factor: str
    share: float
    distance_km: float
    explanation: str


class DrivingAnalyticsOut(BaseModel):
    kind: Literal["driving_analytics"]
    distance_km: float
    average_speed_kmh: float | None
    fuel_l_per_100km: float | None


class HybridCoachingOut(BaseModel):
    kind: Literal["hybrid_coaching"]
    distance_km: float
    ev_distance_km: float
    ev_time_s: float
    ev_distance_share: float | None
    ev_time_share: float | None
    lowered_by: list[EngineOnCauseOut]
    short_trip: bool
    fuel_l_per_100km: float | None
    energy_kwh_per_100km: float | None


class EvCoachingOut(BaseModel):
    kind: Literal["ev_coaching"]
    distance_km: float
    energy_used_kwh: float | None
    consumption_kwh_per_100km: float | None
    recovered_kwh: float | None
    recovered_share: float | None


CoachingOut = Annotated[
    DrivingAnalyticsOut | HybridCoachingOut | EvCoachingOut, Field(discriminator="kind")
]


class TripSummaryOut(BaseModel):
    id: uuid.UUID
    started_at: datetime
    ended_at: datetime
    distance_km: float
    duration_s: int
    average_speed_kmh: float | None
    score: float
    coaching_kind: str
    fuel_used_l: float | None
    energy_used_kwh: float | None
    rebuilt: bool
    rebuilt_explanation: str | None


class TripDetailOut(TripSummaryOut):
    scores: TripScoresOut
    insurance: InsuranceScoreOut
    coaching: CoachingOut
    tip: TipOut | None
    route: dict[str, Any] | None = Field(
        description="GeoJSON FeatureCollection: LineStrings with properties.rebuilt, and the "
        "start and end Points; null when no position of the trip is known."
    )
    route_deleted: bool = Field(
        description="The route and samples were deleted: trips older than the location "
        "retention (LINKPLUS_LOCATION_RETENTION_DAYS) keep their summary and scores only."
    )


class MonthOfTripsOut(BaseModel):
    month: str
    trips: list[TripSummaryOut]


class TripListOut(BaseModel):
    months: list[MonthOfTripsOut]
    next_cursor: str | None


class LastTripOut(BaseModel):
    trip: TripSummaryOut | None
    message: str | None


class BreakdownOut(BaseModel):
    performance: float | None
    acceleration: float | None
    braking: float | None
    constant_speed: float | None


class TotalsOut(BaseModel):
    trips: int
    distance_km: float
    duration_s: float
    fuel_l: float | None
    energy_kwh: float | None


class DayOut(BaseModel):
    date: date
    trips: int
    distance_km: float
    score: float | None


class MonthlyOut(BaseModel):
    month: str
    breakdown: BreakdownOut
    totals: TotalsOut
    days: list[DayOut]


class HybridProgrammeOut(BaseModel):
    trips: int
    distance_km: float
    electric_distance_share: float | None
    electric_time_share: float | None


class PlugInProgrammeOut(BaseModel):
    charging_sessions: int
    charging_days: int
    sessions_per_week: float
    km_per_charging_session: float | None
    charging_source: str


class InsuranceMonthOut(BaseModel):
    month: str
    trips: int
    usage_based: InsuranceScoreOut
    hybrid_programme: HybridProgrammeOut | None
    plug_in_programme: PlugInProgrammeOut | None


class MissingReasonOut(BaseModel):
    reason: str
    count: int
    explanation: str


class MissingMonthOut(BaseModel):
    month: str
    total: int
    reasons: list[MissingReasonOut]


class MissingTripsOut(BaseModel):
    months: list[MissingMonthOut]
    other_reasons: list[Explanation] = Field(
        description="Why a trip may be missing that the platform cannot count (FAQ)."
    )
