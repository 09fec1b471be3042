"""Use cases of the maintenance feature: taking in the car's warnings, the health report, the
service schedule and its reminders, and the service history.

The owner-facing calls take a ``CallerVehicle`` the garage has loaded (the car is in the
caller's garage, 404 otherwise); the health report needs the car's vehicle-status service.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.audit import service as audit
from linkplus.connected_services import service as connected_services
from linkplus.dealers import service as dealers
from linkplus.garage import service as garage
from linkplus.garage.deps import CallerVehicle
from linkplus.garage.errors import InvalidVinInput, UnknownVehicle
from linkplus.kit.vin import InvalidVin, normalize_vin
from linkplus.maintenance import explanations, health, report_pdf, repository, schedule, warnings
from linkplus.maintenance.errors import (
    CostWithoutCurrency,
    ReportMonthNotFound,
    ServiceDateInFuture,
    UnknownDealer,
)
from linkplus.maintenance.explanations import Explanation
from linkplus.maintenance.report_pdf import MonthWarning
from linkplus.maintenance.schemas import (
    BatteryOut,
    DealerVisitIn,
    ExplanationOut,
    HealthReportOut,
    OilOut,
    OwnerServiceRecordIn,
    ServiceDueOut,
    ServiceRecordOut,
    TyreOut,
)
from linkplus.models.accounts import StaffAccount
from linkplus.models.maintenance import ServiceRecord, ServiceSource, VehicleWarning, WarningSource
from linkplus.models.notifications import Category
from linkplus.models.vehicles import Vehicle
from linkplus.notifications import service as notifications
from linkplus.notifications.links import CarPage, car_page
from linkplus.runtime import Runtime
from linkplus.vehicle_link import service as vehicle_link
from linkplus.vehicle_link.errors import ServiceNotActive
from linkplus.vehicles import service as vehicles

log = structlog.get_logger("linkplus.maintenance")

VEHICLE_STATUS = "vehicle_status"
_SEVERITY_WORDS = {
    "stop": "Stop safely as soon as you can.",
    "soon": "Have it checked soon.",
    "info": "Nothing urgent.",
}


def explanation_out(e: Explanation) -> ExplanationOut:
    return ExplanationOut(
        code=e.code, title=e.title, meaning=e.meaning, severity=e.severity.value, action=e.action
    )


def _car_name(vehicle: Vehicle) -> str:
    name = vehicles.model_of(vehicle).name
    return f"{name} ({vehicle.registration_plate})" if vehicle.registration_plate else name


# --- warnings from the car ---------------------------------------------------------------------


@dataclass(frozen=True)
class HealthChange:
    raised: list[tuple[str, str]]
    cleared: list[tuple[str, str]]
    notified: bool


async def take_health(session: AsyncSession, runtime: Runtime, *, vin: str) -> HealthChange:
    """Compare the car's lights and codes (the twin: the newest report wins, whatever order
    reports arrive in) with the open warnings; open and close episodes; tell the primary
    account, once, of what came on. Running it twice changes nothing the second time."""
    state = await vehicle_link.car_health_of(session, vin=vin)
    shown = warnings.reported(
        state.warning_lights.value if state.warning_lights else None,
        state.trouble_codes.value if state.trouble_codes else None,
    )
    open_rows = await repository.open_warnings(session, vin)
    by_key = {(WarningSource(w.source), w.code): w for w in open_rows}
    change = warnings.compare(by_key, shown)
    at = {
        WarningSource.light: state.warning_lights.ts if state.warning_lights else None,
        WarningSource.code: state.trouble_codes.ts if state.trouble_codes else None,
    }
    for source in (WarningSource.light, WarningSource.code):
        gone = [by_key[k].id for k in change.cleared if k[0] is source]
        moment = at[source]
        if gone and moment is not None:
            await repository.clear_warnings(session, gone, cleared_at=moment)
    notified = False
    if change.raised:
        primary = await garage.primary_account_id(session, vin)
        tell = primary is not None and await connected_services.is_active(
            session, runtime, vin=vin, service=VEHICLE_STATUS
        )
        rows = []
        for source, code in change.raised:
            moment = at[source]
            assert moment is not None  # only what the twin shows is raised
            rows.append(
                VehicleWarning(
                    vin=vin,
                    source=source.value,
                    code=code,
                    raised_at=moment,
                    cleared_at=None,
                    notified_account_id=primary if tell else None,
                )
            )
        await repository.add_warnings(session, rows)
        if tell:
            assert primary is not None
            await _tell_warnings(
                session, runtime, vin=vin, account_id=primary, raised=change.raised
            )
            notified = True
    return HealthChange(
        raised=[(s.value, c) for s, c in change.raised],
        cleared=[(s.value, c) for s, c in change.cleared],
        notified=notified,
    )


async def _tell_warnings(
    session: AsyncSession,
    runtime: Runtime,
    *,
    vin: str,
    account_id: uuid.UUID,
    raised: list[tuple[WarningSource, str]],
) -> None:
    vehicle = await vehicles.get_vehicle(session, vin)
    assert vehicle is not None
    # The most serious first; at equal severity the light (what the driver sees) first.
    ordered = sorted(raised, key=lambda key: key[0] is not WarningSource.light)
    explained = sorted(
        (
            explanations.light(code)
            if source is WarningSource.light
            else explanations.trouble_code(code)
            for source, code in ordered
        ),
        key=lambda e: e.severity.rank,
    )
    worst = explained[0]
    name = _car_name(vehicle)
    title = f"{worst.title}: your {name}"
    parts = [
        f"{e.title} ({e.code}). {e.meaning} {_SEVERITY_WORDS[e.severity.value]} {e.action}"
        for e in explained
    ]
    body = f"Your {name} reports:\n" + "\n".join(f"- {p}" for p in parts)
    await notifications.notify(
        session,
        now=runtime.clock.now(),
        account_id=account_id,
        category=Category.vehicle_alerts,
        kind="vehicle_warning",
        title=title,
        body=body,
        link=car_page(runtime.settings.public_url, vin, CarPage.health),
    )


# --- the health report -------------------------------------------------------------------------


async def health_report(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> HealthReportOut:
    vin = caller.vehicle.vin
    if not await connected_services.is_active(session, runtime, vin=vin, service=VEHICLE_STATUS):
        raise ServiceNotActive("Vehicle status")
    found = health.report(await vehicle_link.car_health_of(session, vin=vin, tenure=caller.tenure))
    return HealthReportOut(
        vin=vin,
        overall=found.overall.value if found.overall else None,
        warnings=[explanation_out(e) for e in found.warnings],
        trouble_codes=[explanation_out(e) for e in found.trouble_codes],
        tyres=[
            TyreOut(position=t.position, pressure_kpa=t.kpa, judgement=t.judgement)
            for t in found.tyres
        ],
        battery=(
            BatteryOut(voltage=found.battery.volts, judgement=found.battery.judgement)
            if found.battery
            else None
        ),
        oil=(
            OilOut(level=found.oil.level, words=found.oil.words, severity=found.oil.severity.value)
            if found.oil
            else None
        ),
        odometer_km=found.odometer_km,
        reported_at=found.reported_at,
    )


async def warnings_of_month(
    session: AsyncSession, caller: CallerVehicle, *, since: datetime, until: datetime
) -> list[MonthWarning]:
    """The warnings the car showed in the month, within the caller's time with it."""
    rows = await repository.warnings_between(session, caller.vehicle.vin, since=since, until=until)
    return [
        MonthWarning(
            explanations.light(w.code)
            if w.source == WarningSource.light.value
            else explanations.trouble_code(w.code),
            w.raised_at,
            w.cleared_at,
        )
        for w in rows
        if caller.tenure.covers(w.raised_at)
    ]


def month_span(month: str) -> tuple[datetime, datetime]:
    """The first moment of ``month`` (YYYY-MM, already checked) and of the month after, UTC."""
    year, number = int(month[:4]), int(month[5:])
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return start, end


async def monthly_pdf(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, *, month: str
) -> bytes:
    """The month's health report: a month that has begun, within the caller's time with the
    car (the month in which that time began counts)."""
    now = runtime.clock.now()
    since, until = month_span(month)
    started = min((span.start for span in caller.tenure.spans), default=None)
    if since > now or (started is not None and until <= started):
        raise ReportMonthNotFound()
    current = await health_report(session, runtime, caller)
    visits = [
        r
        for r in await service_history(session, caller)
        if since.date() <= r.serviced_on < until.date()
    ]
    return report_pdf.render(
        report_pdf.MonthlyReport(
            car_name=_car_name(caller.vehicle),
            vin=caller.vehicle.vin,
            month=month,
            made_at=now,
            warnings=await warnings_of_month(session, caller, since=since, until=until),
            now=current,
            due=await service_due(session, runtime, caller),
            visits=visits,
        )
    )


# --- service schedule and reminders ------------------------------------------------------------


def _thresholds(runtime: Runtime) -> schedule.Thresholds:
    s = runtime.settings
    return schedule.Thresholds(
        first_days=s.service_notice_first_days,
        first_km=s.service_notice_first_km,
        second_days=s.service_notice_second_days,
        second_km=s.service_notice_second_km,
    )


async def _due(
    session: AsyncSession, runtime: Runtime, vehicle: Vehicle
) -> tuple[schedule.Due, schedule.Interval, schedule.Baseline]:
    last = await repository.last_full_service(session, vehicle.vin)
    if last is not None:
        baseline = schedule.Baseline(str(last.id), last.serviced_on, float(last.odometer_km))
    else:
        delivered = vehicle.first_delivery_date or vehicle.created_at.date()
        baseline = schedule.Baseline("delivery", delivered, 0.0)
    interval = schedule.interval_for(vehicle.model_code)
    state = await vehicle_link.car_health_of(session, vin=vehicle.vin)
    odometer = (
        state.odometer_km.value
        if state.odometer_km
        else (float(vehicle.odometer_km) if vehicle.odometer_km is not None else None)
    )
    due = schedule.due(
        interval=interval,
        baseline=baseline,
        today=runtime.clock.now().date(),
        odometer_km=odometer,
        car_distance_to_service_km=(
            state.distance_to_service_km.value if state.distance_to_service_km else None
        ),
        thresholds=_thresholds(runtime),
    )
    return due, interval, baseline


async def service_due(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> ServiceDueOut:
    due, interval, baseline = await _due(session, runtime, caller.vehicle)
    return ServiceDueOut(
        vin=caller.vehicle.vin,
        due_on=due.due_on,
        due_km=None if due.due_km is None else round(due.due_km),
        days_left=due.days_left,
        km_left=None if due.km_left is None else round(due.km_left),
        stage=due.stage.value,
        by_car=due.by_car,
        interval_km=interval.km,
        interval_months=interval.months,
        counted_from=baseline.on,
    )


_STAGE_TITLES = {
    schedule.Stage.first: "Service coming up",
    schedule.Stage.second: "Service due soon",
    schedule.Stage.overdue: "Service overdue",
}


async def send_service_reminders(session: AsyncSession, runtime: Runtime) -> int:
    """One pass over every car with a primary account: send each notice owed (each stage once
    per service cycle). Returns how many were sent."""
    sent = 0
    now = runtime.clock.now()
    for vin, account_id in await repository.cars_with_primary(session):
        vehicle = await vehicles.get_vehicle(session, vin)
        if vehicle is None:
            continue
        due, _, _ = await _due(session, runtime, vehicle)
        already = {schedule.Stage(s) for s in await repository.sent_stages(session, vin, due.cycle)}
        owed = schedule.notice_owed(due.stage, already)
        if owed is None:
            continue
        if not await repository.add_notice(
            session, vin=vin, cycle=due.cycle, stage=owed.value, account_id=account_id, sent_at=now
        ):
            continue
        name = _car_name(vehicle)
        await notifications.notify(
            session,
            now=now,
            account_id=account_id,
            category=Category.vehicle_alerts,
            kind="service_reminder",
            title=f"{_STAGE_TITLES[owed]}: your {name}",
            body=_reminder_body(name, due),
            link=car_page(runtime.settings.public_url, vin, CarPage.health),
        )
        sent += 1
    return sent


def _reminder_body(name: str, due: schedule.Due) -> str:
    when = f"on {due.due_on.isoformat()}"
    if due.km_left is not None and due.due_km is not None:
        when += f" or at {round(due.due_km):,} km, whichever comes first"
    if due.stage is schedule.Stage.overdue:
        return f"The service of your {name} was due {when}. Book it with your dealer now."
    left = [f"{due.days_left} days"]
    if due.km_left is not None:
        left.append(f"{round(due.km_left):,} km")
    return (
        f"The next service of your {name} is due {when} (about {' or '.join(left)} left). "
        "Book it with your dealer."
    )


# --- service history ---------------------------------------------------------------------------


def _record_out(record: ServiceRecord) -> ServiceRecordOut:
    dealer = dealers.get_dealer(record.dealer_id) if record.dealer_id else None
    return ServiceRecordOut(
        id=record.id,
        source=record.source,
        serviced_on=record.serviced_on,
        odometer_km=record.odometer_km,
        work=record.work,
        cost_minor=record.cost_minor,
        currency=record.currency,
        is_service=record.is_service,
        dealer_id=record.dealer_id,
        dealer_name=dealer.name if dealer else None,
    )


async def service_history(session: AsyncSession, caller: CallerVehicle) -> list[ServiceRecordOut]:
    """The car's service book: every dealer visit (it goes with the car, like a paper service
    book), and the caller's own records (nobody else's)."""
    return [
        _record_out(r)
        for r in await repository.service_records(session, caller.vehicle.vin)
        if r.source == ServiceSource.dealer.value or r.account_id == caller.account.id
    ]


async def _registered_vehicle(session: AsyncSession, raw_vin: str) -> Vehicle:
    """Staff name cars by VIN: a malformed one is told as such, an unknown one is 404."""
    try:
        vin = normalize_vin(raw_vin)
    except InvalidVin as exc:
        raise InvalidVinInput(str(exc)) from exc
    vehicle = await vehicles.get_vehicle(session, vin)
    if vehicle is None:
        raise UnknownVehicle("VIN")
    return vehicle


def _check_record(body: OwnerServiceRecordIn, today: date) -> None:
    if body.serviced_on > today:
        raise ServiceDateInFuture()
    if body.cost_minor is not None and body.currency is None:
        raise CostWithoutCurrency()


async def add_owner_record(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, body: OwnerServiceRecordIn
) -> ServiceRecordOut:
    now = runtime.clock.now()
    _check_record(body, now.date())
    record = ServiceRecord(
        vin=caller.vehicle.vin,
        source=ServiceSource.owner.value,
        serviced_on=body.serviced_on,
        odometer_km=body.odometer_km,
        work=body.work.strip(),
        cost_minor=body.cost_minor,
        currency=body.currency,
        is_service=body.is_service,
        dealer_id=None,
        staff_id=None,
        account_id=caller.account.id,
        created_at=now,
    )
    await repository.add_service_record(session, record)
    return _record_out(record)


async def record_dealer_visit(
    session: AsyncSession, runtime: Runtime, staff: StaffAccount, raw_vin: str, body: DealerVisitIn
) -> ServiceRecordOut:
    """A dealer records a visit (audited); the primary account is told. Recording shows the
    dealer nothing of the owner, so it needs no access reason."""
    vehicle = await _registered_vehicle(session, raw_vin)
    now = runtime.clock.now()
    _check_record(body, now.date())
    if dealers.get_dealer(body.dealer_id) is None:
        raise UnknownDealer()
    record = ServiceRecord(
        vin=vehicle.vin,
        source=ServiceSource.dealer.value,
        serviced_on=body.serviced_on,
        odometer_km=body.odometer_km,
        work=body.work.strip(),
        cost_minor=body.cost_minor,
        currency=body.currency,
        is_service=body.is_service,
        dealer_id=body.dealer_id,
        staff_id=staff.id,
        account_id=None,
        created_at=now,
    )
    await repository.add_service_record(session, record)
    await audit.record(
        session,
        now=now,
        actor_type="staff",
        actor_id=str(staff.id),
        action="maintenance.service_recorded",
        subject_type="vehicle",
        subject_id=vehicle.vin,
        details={"record_id": str(record.id), "is_service": body.is_service},
    )
    primary = await garage.primary_account_id(session, vehicle.vin)
    if primary is not None:
        await notifications.notify(
            session,
            now=now,
            account_id=primary,
            category=Category.vehicle_alerts,
            kind="service_recorded",
            title=f"Service visit recorded: your {_car_name(vehicle)}",
            body=f"Your dealer recorded a visit on {body.serviced_on.isoformat()} at "
            f"{body.odometer_km:,} km: {body.work.strip()}",
            link=car_page(runtime.settings.public_url, vehicle.vin, CarPage.health),
        )
    return _record_out(record)
