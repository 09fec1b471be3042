"""Use cases of the trips feature: taking in a trip the car uploaded, and what the owner reads.

Ingestion (``ingest_trip``) runs in a job after the vehicle link stored the upload. It is
idempotent by the car's trip id: a trip re-sent after a reconnect, or a second job for the same
upload, finds the trip already taken in and does nothing. A trip that arrives hours late is
taken in like any other and sorts by its own start time.

Who sees a trip: the account that was the car's primary account when the trip came in, while it
still is the primary account (``PrimaryVehicle`` in the API), and only while the car's coaching
service (driving analytics, hybrid or EV coaching, by powertrain) is active.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import json
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

import numpy as np
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.connected_services import service as connected_services
from linkplus.db import PurgeBudget, Purged
from linkplus.garage import service as garage
from linkplus.garage.deps import CallerVehicle
from linkplus.models.trips import Trip
from linkplus.privacy import service as privacy
from linkplus.protocol.vehicle import TripUpload
from linkplus.runtime import Runtime
from linkplus.trips import export, packing, periods, repository, views
from linkplus.trips.coaching import CoachingKind, coach_trip, coaching_kind
from linkplus.trips.errors import InvalidCursor, InvalidPeriod, ServiceNotActive, TripNotFound
from linkplus.trips.filtering import decide
from linkplus.trips.insurance import (
    INSURANCE_UNAVAILABLE_TEXT,
    ElectricDriving,
    InsuranceScore,
    InsuredTrip,
    hybrid_programme,
    period_insurance_score,
    plug_in_programme,
    score_trip_and_insurance,
)
from linkplus.trips.rebuild import RebuiltTrip, rebuild_route
from linkplus.trips.samples import from_protocol
from linkplus.trips.schemas import (
    BreakdownOut,
    DayOut,
    Explanation,
    HybridCoachingOut,
    HybridProgrammeOut,
    InsuranceMonthOut,
    InsuranceScoreOut,
    LastTripOut,
    MissingMonthOut,
    MissingReasonOut,
    MissingTripsOut,
    MonthlyOut,
    MonthOfTripsOut,
    PlugInProgrammeOut,
    TotalsOut,
    TripDetailOut,
    TripListOut,
)
from linkplus.vehicle_link import service as vehicle_link
from linkplus.vehicles import service as vehicles
from linkplus.vehicles.catalogue import Powertrain

log = structlog.get_logger("linkplus.trips")

SERVICE_NAMES = {
    CoachingKind.driving_analytics: "Driving analytics",
    CoachingKind.hybrid_coaching: "Hybrid coaching",
    CoachingKind.ev_coaching: "EV coaching",
}
ROUTE_POINTS = 1000
"""The detail's route is thinned to this many points: plenty for a phone screen; the export
has every sample."""
CHARGING_SOURCE_NONE = "none_until_charging_feature"
"""Charging sessions come from the charging feature, which does not exist yet: until then the
plug-in programme counts the sessions it is given (none from the API)."""

ExportFormat = Literal["gpx", "geojson"]


# --- ingestion ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    saved: bool
    id: uuid.UUID | None  # the saved trip's id
    not_saved_reason: str | None
    already_known: bool = False


async def purge_routes(session: AsyncSession, runtime: Runtime) -> Purged:
    """Trip samples follow the location retention (``location_retention_days``, counted from
    the trip's end): the route and the 1 Hz samples go, the summary and the scores stay."""
    cutoff = runtime.clock.now() - timedelta(days=runtime.settings.location_retention_days)
    purged = await repository.delete_samples_before(
        session, cutoff, budget=PurgeBudget.of(runtime.settings)
    )
    log.info("trip_routes_purged", trips=purged.rows, more=purged.more)
    return purged


async def ingest_upload(
    session: AsyncSession, runtime: Runtime, *, msg_id: uuid.UUID
) -> IngestOutcome | None:
    """Take in the upload waiting in the vehicle link's inbox; None when it is not there."""
    record = await vehicle_link.trip_upload(session, msg_id=msg_id)
    if record is None:
        return None
    upload = TripUpload.model_validate_json(json.dumps(record.payload))
    outcome = await ingest_trip(session, runtime, vin=record.vin, upload=upload)
    await vehicle_link.mark_trip_consumed(session, msg_id=msg_id, now=runtime.clock.now())
    return outcome


async def ingest_trip(
    session: AsyncSession, runtime: Runtime, *, vin: str, upload: TripUpload
) -> IngestOutcome:
    trip = upload.trip
    if await repository.known_trip(session, vin=vin, trip_id=trip.trip_id):
        return IngestOutcome(False, None, None, already_known=True)
    vehicle = await vehicles.get_vehicle(session, vin)
    if vehicle is None:
        return IngestOutcome(False, None, None)
    powertrain = vehicles.model_of(vehicle).powertrain
    kind = coaching_kind(powertrain)
    now = runtime.clock.now()
    account_id = await garage.primary_account_id(session, vin)
    if account_id is None or not await connected_services.is_active(
        session, runtime, vin=vin, service=kind.value
    ):
        return await _not_saved(session, vin, upload, account_id, views.SERVICES_NOT_ACTIVE, now)
    samples, figures = from_protocol(trip)
    shared_at_end = await privacy.location_shared_at(session, vin=vin, at=trip.ended_at)
    decision = decide(figures, samples, location_sharing_at_end=None if shared_at_end else False)
    if not decision.saved:
        assert decision.not_saved_reason is not None
        return await _not_saved(
            session, vin, upload, account_id, decision.not_saved_reason.value, now
        )
    route = (
        rebuild_route(samples)
        if decision.needs_rebuild
        else RebuiltTrip(samples, False, np.zeros(len(samples), dtype=np.bool_))
    )
    scores, insurance = score_trip_and_insurance(route.samples)
    coaching = coach_trip(powertrain, route.samples, figures)
    insured = insurance.score
    saved_id = await repository.add_trip(
        session,
        {
            "id": uuid.uuid4(),
            "vin": vin,
            "trip_id": trip.trip_id,
            "account_id": account_id,
            "started_at": trip.started_at,
            "ended_at": trip.ended_at,
            "received_at": now,
            "distance_m": trip.distance_m,
            "duration_s": trip.duration_s,
            "fuel_used_l": trip.fuel_used_l,
            "energy_used_kwh": trip.energy_used_kwh,
            "regenerated_kwh": trip.regenerated_kwh,
            "powertrain": powertrain.value,
            "coaching_kind": kind.value,
            "rebuilt": route.rebuilt,
            "location_known": bool(np.any(samples.location_shared & np.isfinite(samples.lat))),
            "score_trip": scores.trip,
            "score_acceleration": scores.acceleration,
            "score_braking": scores.braking,
            "score_constant_speed": scores.constant_speed,
            "constant_speed_absent": (
                scores.constant_speed_absent.value if scores.constant_speed_absent else None
            ),
            "insurance_speeding": insured.speeding if insured else None,
            "insurance_braking": insured.braking if insured else None,
            "insurance_cornering": insured.cornering if insured else None,
            "insurance_accelerating": insured.accelerating if insured else None,
            "insurance_combined": insured.combined if insured else None,
            "insurance_unavailable": insurance.unavailable.value if insurance.unavailable else None,
            "coaching": views.coaching_out(coaching).model_dump(mode="json"),
            "samples": packing.pack(route.samples, route.rebuilt_mask),
        },
    )
    if saved_id is None:
        return IngestOutcome(False, None, None, already_known=True)
    return IngestOutcome(True, saved_id, None)


async def _not_saved(
    session: AsyncSession,
    vin: str,
    upload: TripUpload,
    account_id: uuid.UUID | None,
    reason: str,
    now: datetime,
) -> IngestOutcome:
    await repository.add_not_saved(
        session,
        {
            "vin": vin,
            "trip_id": upload.trip.trip_id,
            "account_id": account_id,
            "reason": reason,
            "started_at": upload.trip.started_at,
            "ended_at": upload.trip.ended_at,
            "recorded_at": now,
        },
    )
    return IngestOutcome(False, None, reason)


async def has_history(session: AsyncSession, *, vin: str) -> bool:
    """Whether any trip of the car was ever taken in (saved or not)."""
    return await repository.has_trips(session, vin=vin)


# --- reading -----------------------------------------------------------------------------------


async def require_service(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> CoachingKind:
    """The car's coaching service; refused while it is not active."""
    kind = coaching_kind(caller.model.powertrain)
    if not await connected_services.is_active(
        session, runtime, vin=caller.vehicle.vin, service=kind.value
    ):
        raise ServiceNotActive(SERVICE_NAMES[kind])
    return kind


def _encode_cursor(trip: Trip) -> str:
    raw = f"{trip.started_at.astimezone(UTC).isoformat()}|{trip.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        started, trip_id = raw.split("|")
        moment = datetime.fromisoformat(started)
        if moment.tzinfo is None:
            raise ValueError("naive time")
        return moment, uuid.UUID(trip_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursor() from None


async def list_trips(
    session: AsyncSession,
    runtime: Runtime,
    caller: CallerVehicle,
    *,
    cursor: str | None = None,
    limit: int = 20,
) -> TripListOut:
    """ "All Trips": newest first, grouped by the month (UTC) they started in."""
    await require_service(session, runtime, caller)
    before = _decode_cursor(cursor) if cursor else None
    rows = await repository.page_of_trips(
        session,
        vin=caller.vehicle.vin,
        account_id=caller.tenure.account_id,
        spans=caller.tenure.spans,
        limit=limit + 1,
        before=before,
    )
    page, more = rows[:limit], len(rows) > limit
    months: list[MonthOfTripsOut] = []
    for trip in page:
        key = views.month_key(trip.started_at)
        if not months or months[-1].month != key:
            months.append(MonthOfTripsOut(month=key, trips=[]))
        months[-1].trips.append(views.summary_out(trip))
    return TripListOut(months=months, next_cursor=_encode_cursor(page[-1]) if more else None)


async def trip_detail(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, *, trip_id: uuid.UUID
) -> TripDetailOut:
    await require_service(session, runtime, caller)
    trip = await repository.get_trip(
        session,
        vin=caller.vehicle.vin,
        account_id=caller.tenure.account_id,
        spans=caller.tenure.spans,
        trip_id=trip_id,
    )
    if trip is None:
        raise TripNotFound()
    stored = packing.unpack(trip.samples)
    route = export.route_geojson(
        stored.samples.lat, stored.samples.lon, stored.rebuilt_mask, max_points=ROUTE_POINTS
    )
    return TripDetailOut(
        **views.summary_out(trip).model_dump(),
        scores=views.scores_out(trip),
        insurance=views.insurance_out(trip),
        coaching=views.stored_coaching(trip),
        tip=views.tip_out(trip),
        route=route,
        route_deleted=trip.samples == packing.ROUTE_DELETED,
    )


async def last_trip(session: AsyncSession, runtime: Runtime, caller: CallerVehicle) -> LastTripOut:
    """The home screen's last trip (by start time), or why there is none yet."""
    await require_service(session, runtime, caller)
    rows = await repository.page_of_trips(
        session,
        vin=caller.vehicle.vin,
        account_id=caller.tenure.account_id,
        spans=caller.tenure.spans,
        limit=1,
    )
    if not rows:
        return LastTripOut(trip=None, message=views.NO_TRIPS_YET)
    return LastTripOut(trip=views.summary_out(rows[0]), message=None)


def month_bounds(month: str) -> tuple[int, int, datetime, datetime]:
    """Year, month and the month's [start, end) in UTC, for ``YYYY-MM``."""
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=UTC)
    days = calendar.monthrange(year, number)[1]
    return year, number, start, start + timedelta(days=days)


def _month_or_now(runtime: Runtime, month: str | None) -> str:
    return month or views.month_key(runtime.clock.now())


def _period_trip(trip: Trip) -> periods.PeriodTrip:
    return periods.PeriodTrip(
        started_at=trip.started_at,
        distance_m=trip.distance_m,
        duration_s=float(trip.duration_s),
        scores=views.trip_scores(trip),
        fuel_used_l=trip.fuel_used_l,
        energy_used_kwh=trip.energy_used_kwh,
    )


def _opt(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


async def monthly(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, *, month: str | None = None
) -> MonthlyOut:
    """The month's performance score, breakdown, totals and one value per day (UTC days)."""
    await require_service(session, runtime, caller)
    key = _month_or_now(runtime, month)
    year, number, start, end = month_bounds(key)
    rows = await repository.trips_between(
        session,
        vin=caller.vehicle.vin,
        account_id=caller.tenure.account_id,
        spans=caller.tenure.spans,
        start=start,
        end=end,
    )
    overview = periods.monthly_overview(
        [_period_trip(trip) for trip in rows], year=year, month=number
    )
    parts = overview.breakdown
    totals = overview.totals
    return MonthlyOut(
        month=key,
        breakdown=BreakdownOut(
            performance=_opt(parts.performance),
            acceleration=_opt(parts.acceleration),
            braking=_opt(parts.braking),
            constant_speed=_opt(parts.constant_speed),
        ),
        totals=TotalsOut(
            trips=totals.trips,
            distance_km=round(totals.distance_km, 3),
            duration_s=totals.duration_s,
            fuel_l=_opt(totals.fuel_l, 3),
            energy_kwh=_opt(totals.energy_kwh, 3),
        ),
        days=[
            DayOut(
                date=day.day,
                trips=day.trips,
                distance_km=round(day.distance_km, 3),
                score=_opt(day.score),
            )
            for day in overview.days
        ],
    )


def _insured(trip: Trip) -> InsuredTrip:
    score = None
    if trip.insurance_unavailable is None and trip.insurance_combined is not None:
        assert trip.insurance_braking is not None
        assert trip.insurance_cornering is not None
        assert trip.insurance_accelerating is not None
        score = InsuranceScore(
            speeding=trip.insurance_speeding,
            braking=trip.insurance_braking,
            cornering=trip.insurance_cornering,
            accelerating=trip.insurance_accelerating,
            combined=trip.insurance_combined,
        )
    return InsuredTrip(distance_m=trip.distance_m, score=score)


def _electric(trip: Trip) -> ElectricDriving:
    coaching = views.stored_coaching(trip)
    ev_km = coaching.ev_distance_km if isinstance(coaching, HybridCoachingOut) else 0.0
    ev_s = coaching.ev_time_s if isinstance(coaching, HybridCoachingOut) else 0.0
    return ElectricDriving(
        distance_m=trip.distance_m,
        duration_s=float(trip.duration_s),
        ev_distance_m=ev_km * 1000.0,
        ev_time_s=ev_s,
        location_shared=trip.location_known,
    )


async def insurance_month(
    session: AsyncSession,
    runtime: Runtime,
    caller: CallerVehicle,
    *,
    month: str | None = None,
    charging_dates: Sequence[date] | None = None,
) -> InsuranceMonthOut:
    """Usage-based insurance score for the month; for hybrids the Full Hybrid Insurance figures,
    for plug-in hybrids also the charging frequency of Plug-in Hybrid Insurance.

    ``charging_dates``: start dates of the car's charging sessions. The charging feature will
    provide them; until it exists the API passes none, so the frequency reads 0 (and says so in
    ``charging_source``).
    """
    await require_service(session, runtime, caller)
    key = _month_or_now(runtime, month)
    year, number, start, end = month_bounds(key)
    rows = await repository.trips_between(
        session,
        vin=caller.vehicle.vin,
        account_id=caller.tenure.account_id,
        spans=caller.tenure.spans,
        start=start,
        end=end,
    )
    outcome = period_insurance_score([_insured(trip) for trip in rows])
    score = outcome.score
    usage_based = InsuranceScoreOut(
        speeding=_opt(score.speeding) if score else None,
        braking=_opt(score.braking) if score else None,
        cornering=_opt(score.cornering) if score else None,
        accelerating=_opt(score.accelerating) if score else None,
        combined=_opt(score.combined) if score else None,
        unavailable=(
            Explanation(
                code=outcome.unavailable.value,
                message=INSURANCE_UNAVAILABLE_TEXT[outcome.unavailable],
            )
            if outcome.unavailable
            else None
        ),
    )
    powertrain = caller.model.powertrain
    hybrid: HybridProgrammeOut | None = None
    plug_in: PlugInProgrammeOut | None = None
    if powertrain in (Powertrain.hev, Powertrain.phev):
        electric = [_electric(trip) for trip in rows]
        figures = hybrid_programme(electric)
        hybrid = HybridProgrammeOut(
            trips=figures.trips,
            distance_km=round(figures.distance_km, 3),
            electric_distance_share=_opt(figures.electric_distance_share, 4),
            electric_time_share=_opt(figures.electric_time_share, 4),
        )
        if powertrain is Powertrain.phev:
            charging = plug_in_programme(
                electric, list(charging_dates or ()), year=year, month=number
            )
            plug_in = PlugInProgrammeOut(
                charging_sessions=charging.charging_sessions,
                charging_days=charging.charging_days,
                sessions_per_week=round(charging.sessions_per_week, 2),
                km_per_charging_session=_opt(charging.km_per_charging_session),
                charging_source="given" if charging_dates is not None else CHARGING_SOURCE_NONE,
            )
    return InsuranceMonthOut(
        month=key,
        trips=len(rows),
        usage_based=usage_based,
        hybrid_programme=hybrid,
        plug_in_programme=plug_in,
    )


async def missing_trips(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, *, month: str | None = None
) -> MissingTripsOut:
    """Trips of the car that were not saved, counted per month and reason, newest month first,
    with the FAQ's explanation of each reason. Only trips from while the caller was primary."""
    await require_service(session, runtime, caller)
    start = end = None
    if month is not None:
        _, _, start, end = month_bounds(month)
    rows = await repository.not_saved(
        session,
        vin=caller.vehicle.vin,
        account_id=caller.tenure.account_id,
        spans=caller.tenure.spans,
        start=start,
        end=end,
    )
    counts: dict[str, Counter[str]] = {}
    for started_at, reason in rows:
        counts.setdefault(views.month_key(started_at), Counter())[reason] += 1
    months = [
        MissingMonthOut(
            month=key,
            total=sum(counts[key].values()),
            reasons=[
                MissingReasonOut(
                    reason=reason,
                    count=count,
                    explanation=views.NOT_SAVED_EXPLANATIONS[reason],
                )
                for reason, count in sorted(counts[key].items(), key=lambda item: -item[1])
            ],
        )
        for key in sorted(counts, reverse=True)
    ]
    return MissingTripsOut(months=months, other_reasons=list(views.OTHER_MISSING_REASONS))


@dataclass(frozen=True, slots=True)
class ExportFile:
    media_type: str
    filename: str
    body: str


async def export_trips(
    session: AsyncSession,
    runtime: Runtime,
    caller: CallerVehicle,
    *,
    format: ExportFormat,
    start: date | None = None,
    end: date | None = None,
) -> ExportFile:
    """Every trip (or those that started from ``start`` to ``end``, both days included) with
    every recorded sample, as GPX or GeoJSON."""
    await require_service(session, runtime, caller)
    if start is not None and end is not None and start > end:
        raise InvalidPeriod()
    rows = await repository.trips_between(
        session,
        vin=caller.vehicle.vin,
        account_id=caller.tenure.account_id,
        spans=caller.tenure.spans,
        start=datetime.combine(start, time(), UTC) if start else None,
        end=datetime.combine(end + timedelta(days=1), time(), UTC) if end else None,
        with_samples=True,
    )
    routes = []
    for trip in rows:
        stored = packing.unpack(trip.samples)
        routes.append(
            export.RouteTrip(
                id=trip.id,
                started_at=trip.started_at,
                ended_at=trip.ended_at,
                distance_m=trip.distance_m,
                score=trip.score_trip,
                t=stored.samples.t,
                lat=stored.samples.lat,
                lon=stored.samples.lon,
                rebuilt=stored.rebuilt_mask,
            )
        )
    name = f"trips-{caller.vehicle.vin}"
    if format == "gpx":
        body = export.trips_gpx(routes, created_at=runtime.clock.now())
        return ExportFile("application/gpx+xml", f"{name}.gpx", body)
    return ExportFile(
        "application/geo+json", f"{name}.geojson", json.dumps(export.trips_geojson(routes))
    )
