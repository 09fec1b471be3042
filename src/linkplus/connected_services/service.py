"""The Connected Services Centre: what each car can have, activation, and "prepare to sell".

Only the car's primary account activates services, and only with the current Terms of Use and
Privacy Notice accepted: the owner may accept them in the activation request itself, in the same
transaction, so a refused activation leaves no acceptance behind either. Activations belong to an
account: when the car changes primary account, leaves the account, or the account withdraws the
Terms of Use, they stop (tasks in ``services.tasks``), and ``is_active`` only ever counts the
car's current primary account.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.audit import service as audit
from linkplus.connected_services import repository, selling
from linkplus.connected_services.availability import (
    Availability,
    ServiceState,
    VehicleFacts,
    availability,
    complimentary_until,
    end_of_period,
    package_available,
    state_of,
)
from linkplus.connected_services.catalogue import (
    Package,
    PackageKind,
    Service,
    service_catalogue,
)
from linkplus.connected_services.errors import (
    ComplimentaryPeriodOver,
    PackageNotActivatable,
    PackageNotAvailable,
    TermsNotAccepted,
    UnknownService,
)
from linkplus.connected_services.schemas import (
    ActivationIn,
    CurrentVersions,
    DeactivationIn,
    SellChecklistOut,
    SellStepOut,
    ServicesCentreOut,
    ServiceStateOut,
    WelcomeCarOut,
)
from linkplus.db import read_memo
from linkplus.garage import service as garage
from linkplus.garage.deps import CallerVehicle
from linkplus.garage.schemas import GarageVehicleOut
from linkplus.models.accounts import Account
from linkplus.models.services import (
    DeactivationReason,
    SellChecklistMark,
    SellChecklistStep,
    ServiceActivation,
)
from linkplus.models.vehicles import Vehicle
from linkplus.privacy import service as privacy
from linkplus.runtime import Runtime
from linkplus.vehicles import service as vehicles
from linkplus.vehicles.catalogue import VehicleModel

STANDARD = "standard"

# --- the subscriptions hook ------------------------------------------------------------------
# Paid packages (and complimentary ones after their period) work while the car's primary account
# has a subscription in service. Only the subscriptions domain knows that, and it builds on this
# one, so it tells us through a registered check instead of being imported here.

SubscriptionCheck = Callable[[AsyncSession, str, uuid.UUID, str, date], Awaitable[bool]]
_subscription_checks: list[SubscriptionCheck] = []


def register_subscription_check(check: SubscriptionCheck) -> Callable[[], None]:
    """``check(session, vin, account_id, package, today)`` answers whether the account has
    ``package`` in service on the car today. Returns a function that takes the check away."""
    _subscription_checks.append(check)

    def unregister() -> None:
        if check in _subscription_checks:
            _subscription_checks.remove(check)

    return unregister


async def _subscribed(
    session: AsyncSession, vin: str, account_id: uuid.UUID, package: str, today: date
) -> bool:
    for check in list(_subscription_checks):
        if await check(session, vin, account_id, package, today):
            return True
    return False


def facts_of(vehicle: Vehicle, model: VehicleModel) -> VehicleFacts:
    return VehicleFacts(
        model=model,
        market=vehicle.market,
        multimedia=vehicle.multimedia,
        first_delivery_date=vehicle.first_delivery_date,
        telematics_unit=vehicle.telematics_unit,
    )


def _today(now: datetime) -> date:
    return now.astimezone(UTC).date()


def running(row: ServiceActivation | None, now: datetime) -> bool:
    """Activated, not stopped, and inside its complimentary period."""
    return (
        row is not None
        and row.deactivated_at is None
        and (row.ends_at is None or row.ends_at > now)
    )


# --- the Connected Services Centre -----------------------------------------------------------


def _message(found: Availability, state: ServiceState) -> str | None:
    package = found.package
    if state is ServiceState.not_available:
        return found.message
    if state is ServiceState.paid_package:
        return (
            f"Part of the paid {package.name} package: it comes with a subscription, which you "
            "can buy in the Connected Services Centre."
        )
    if state is ServiceState.expired:
        assert found.complimentary_until is not None
        return (
            f"The complimentary period ended on {found.complimentary_until.isoformat()}. "
            "Keeping it needs a paid subscription."
        )
    if state is ServiceState.inactive:
        return f"Activate the {package.name.lower()} to use it."
    if package.kind is PackageKind.always_on:
        return "Always on where the car has it; it cannot be switched off in the app."
    return None


async def _states(
    session: AsyncSession,
    runtime: Runtime,
    vehicle: Vehicle,
    model: VehicleModel,
    account_id: uuid.UUID | None,
    services: Iterable[Service],
) -> list[ServiceStateOut]:
    """The one place that decides whether a service works for a car: every page, the API and
    every other domain (``is_active``) read it from here, so no two of them can disagree.

    ``account_id`` is the car's primary account (None: the car has none, so nothing that needs
    one runs): its activations count for complimentary packages, and its subscriptions (the
    registered subscriptions check) for paid packages and for complimentary ones after their
    period. Safety is active wherever available.
    """
    now = runtime.clock.now()
    today = _today(now)
    catalogue = service_catalogue()
    facts = facts_of(vehicle, model)
    rows = (
        await repository.activations_for(session, vin=vehicle.vin, account_id=account_id)
        if account_id is not None
        else []
    )
    live = {row.package: row for row in rows if running(row, now)}
    subscribed: dict[str, bool] = {}
    states = []
    for service in services:
        found = availability(service, facts, today=today, services=catalogue)
        code = found.package.code
        row = live.get(code)
        state = state_of(found, activation_active=row is not None, today=today)
        if state in (ServiceState.paid_package, ServiceState.expired, ServiceState.inactive):
            if code not in subscribed:
                subscribed[code] = account_id is not None and await _subscribed(
                    session, vehicle.vin, account_id, code, today
                )
            if subscribed[code]:
                state = ServiceState.active
        active_row = row if state is ServiceState.active else None
        states.append(
            ServiceStateOut(
                service=found.service.code,
                name=found.service.name,
                package=found.package.code,
                package_name=found.package.name,
                package_kind=found.package.kind,
                state=state,
                reason=found.reason,
                message=_message(found, state),
                started_at=active_row.started_at if active_row else None,
                ends_at=active_row.ends_at if active_row else None,
                complimentary_until=found.complimentary_until,
                switchable=found.package.owner_can_activate and found.available,
            )
        )
    return states


async def services_for(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> list[ServiceStateOut]:
    """Every service of the catalogue, its availability for this car and its state. Only the
    car's primary account sees them running (activations belong to it, docs/services.md)."""
    if caller.is_primary:  # the car's own states, as ``is_active`` reads them
        return list(await _car_states(session, runtime, caller.vehicle.vin))
    return await _states(
        session,
        runtime,
        caller.vehicle,
        caller.model,
        caller.account.id if caller.is_primary else None,
        service_catalogue().services,
    )


async def packages_active(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> dict[str, bool]:
    """Per package of the catalogue: whether at least one of its services works for the car
    now (the same answer as the Connected Services Centre). For the subscriptions overview."""
    active: dict[str, bool] = {}
    for state in await services_for(session, runtime, caller):
        active[state.package] = active.get(state.package, False) or (
            state.state is ServiceState.active
        )
    return active


async def centre(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> ServicesCentreOut:
    versions = privacy.current_versions(caller.account)
    return ServicesCentreOut(
        vin=caller.vehicle.vin,
        terms_accepted=await privacy.accepted_current(session, caller.account),
        current_versions=CurrentVersions.model_validate(versions),
        services=await services_for(session, runtime, caller),
    )


def _activatable(code: str) -> Package:
    package = service_catalogue().packages[code]
    if package.kind is PackageKind.always_on:
        raise PackageNotActivatable(
            code,
            f"{package.name} is always on where the car has it; it is not switched on or off in "
            "the app. Activate 'standard' or 'svt'.",
        )
    if package.kind is PackageKind.paid:
        raise PackageNotActivatable(
            code,
            f"{package.name} comes with a paid subscription, which is bought separately, not "
            "activated here. Activate 'standard' or 'svt'.",
        )
    return package


def _require_available(package: Package, facts: VehicleFacts, today: date) -> date | None:
    catalogue = service_catalogue()
    if not package_available(package.code, facts, today=today, services=catalogue):
        first = availability(
            catalogue.services_of(package.code)[0], facts, today=today, services=catalogue
        )
        reason = first.reason.value if first.reason else "not_available"
        why = first.message or f"None of the {package.name.lower()} is available for this car."
        raise PackageNotAvailable(package.code, why, reason)
    until = complimentary_until(package, facts)
    if until is not None and until <= today:
        raise ComplimentaryPeriodOver(package.code, until)
    return until


async def _require_terms(
    session: AsyncSession, runtime: Runtime, account: Account, data: ActivationIn
) -> None:
    """Accept what the request accepts (current versions only), then insist on both."""
    current = privacy.current_versions(account)
    if data.accept is not None:
        given = {
            name: version
            for name, version in data.accept.model_dump().items()
            if version is not None
        }
        if any(current[name] != version for name, version in given.items()):
            raise TermsNotAccepted(current)
        await privacy.accept(session, runtime, account, versions=given, channel=data.channel.value)
    if not await privacy.accepted_current(session, account):
        raise TermsNotAccepted(current)


async def activate(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, data: ActivationIn
) -> ServicesCentreOut:
    now = runtime.clock.now()
    today = _today(now)
    facts = facts_of(caller.vehicle, caller.model)
    codes = list(dict.fromkeys(p.value for p in data.packages))
    ends = {code: _require_available(_activatable(code), facts, today) for code in codes}
    await _require_terms(session, runtime, caller.account, data)
    started = []
    for code in codes:
        row = await repository.get_activation(
            session, vin=caller.vehicle.vin, account_id=caller.account.id, package=code
        )
        if running(row, now):
            continue
        until = ends[code]
        ends_at = end_of_period(until) if until is not None else None
        if row is None:
            await repository.add(
                session,
                ServiceActivation(
                    vin=caller.vehicle.vin,
                    account_id=caller.account.id,
                    package=code,
                    started_at=now,
                    ends_at=ends_at,
                ),
            )
        else:
            row.started_at, row.ends_at = now, ends_at
            row.deactivated_at, row.reason = None, None
        started.append(code)
    if started:
        await audit.record(
            session,
            now=now,
            actor_type="owner",
            actor_id=str(caller.account.id),
            action="services.activated",
            subject_type="vehicle",
            subject_id=caller.vehicle.vin,
            details={"packages": started, "channel": data.channel.value},
        )
    await session.flush()
    return await centre(session, runtime, caller)


async def stop(
    session: AsyncSession,
    *,
    now: datetime,
    rows: list[ServiceActivation],
    reason: DeactivationReason,
    actor_type: str,
    actor_id: str | None,
) -> None:
    """Deactivate ``rows`` and audit it, one entry per car."""
    by_vin: dict[str, list[str]] = {}
    for row in rows:
        row.deactivated_at, row.reason = now, reason.value
        by_vin.setdefault(row.vin, []).append(row.package)
    await session.flush()
    for vin, packages in by_vin.items():
        await audit.record(
            session,
            now=now,
            actor_type=actor_type,
            actor_id=actor_id,
            action="services.deactivated",
            subject_type="vehicle",
            subject_id=vin,
            details={"packages": sorted(packages), "reason": reason.value},
        )


async def deactivate(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, data: DeactivationIn
) -> ServicesCentreOut:
    codes = {_activatable(p.value).code for p in data.packages}
    rows = await repository.not_deactivated(
        session, account_id=caller.account.id, vin=caller.vehicle.vin
    )
    await stop(
        session,
        now=runtime.clock.now(),
        rows=[row for row in rows if row.package in codes],
        reason=DeactivationReason.owner,
        actor_type="owner",
        actor_id=str(caller.account.id),
    )
    return await centre(session, runtime, caller)


# --- for other domains -----------------------------------------------------------------------


async def is_active(session: AsyncSession, runtime: Runtime, *, vin: str, service: str) -> bool:
    """Whether ``service`` (a service code such as ``remote_lock_unlock``, or a package code such
    as ``standard``: then at least one of its services) works for the car now, as the Connected
    Services Centre shows it (the same ``_states``): available for it; safety wherever
    available; complimentary packages activated by the car's current primary account and inside
    the complimentary period; paid packages (and complimentary ones after their period) while
    the primary account has a subscription in service. Raises ``UnknownService`` for a code the
    catalogue lacks.
    """
    catalogue = service_catalogue()
    known = catalogue.service(service)
    package = catalogue.package(known.package if known else service)
    if package is None:
        raise UnknownService(f"no connected service or package called {service!r}")
    wanted = {
        s.code for s in ((known,) if known is not None else catalogue.services_of(package.code))
    }
    states = await _car_states(session, runtime, vin)
    return any(state.state is ServiceState.active and state.service in wanted for state in states)


_FRESH_FOR = timedelta(seconds=1)


async def _car_states(session: AsyncSession, runtime: Runtime, vin: str) -> list[ServiceStateOut]:
    """Every service's state for the car, as its primary account has them (none for a car
    that is not in the registry). A page asks ``is_active`` for many services of one car: the
    states are computed once per transaction (``db.read_memo``, emptied when the transaction
    writes), and again if the clock has moved on by more than a second since."""
    now = runtime.clock.now()
    memo = read_memo(session)
    found = memo.get((_car_states, vin))
    if found is not None and abs(now - found[0]) < _FRESH_FOR:
        return cast(list[ServiceStateOut], found[1])
    vehicle = await vehicles.get_vehicle(session, vin)
    states: list[ServiceStateOut] = []
    if vehicle is not None:
        primary = await garage.primary_account_id(session, vin)
        everything = service_catalogue().services
        states = await _states(
            session, runtime, vehicle, vehicles.model_of(vehicle), primary, everything
        )
    read_memo(session)[(_car_states, vin)] = (now, states)
    return states


async def needs_activation(
    session: AsyncSession, runtime: Runtime, *, vin: str, account_id: uuid.UUID
) -> bool:
    """The standard services can be activated for this car and account but are not active.

    Meant for the account's primary cars (the garage list and the welcome prompt).
    """
    vehicle = await vehicles.get_vehicle(session, vin)
    if vehicle is None:
        return False
    now = runtime.clock.now()
    today = _today(now)
    facts = facts_of(vehicle, vehicles.model_of(vehicle))
    catalogue = service_catalogue()
    if not package_available(STANDARD, facts, today=today, services=catalogue):
        return False
    until = complimentary_until(catalogue.packages[STANDARD], facts)
    if until is not None and until <= today:
        return False
    row = await repository.get_activation(session, vin=vin, account_id=account_id, package=STANDARD)
    return not running(row, now)


async def garage_overview(
    session: AsyncSession, runtime: Runtime, account: Account
) -> list[GarageVehicleOut]:
    """The account's garage, each primary car marked with whether its connected services still
    need activating. It lives here, not in garage, because garage must not depend on services."""
    cars = await garage.list_vehicles(session, runtime, account)
    for car in cars:
        if car.role == "primary":
            car.services_need_activation = await needs_activation(
                session, runtime, vin=car.vin, account_id=account.id
            )
    return cars


async def welcome(session: AsyncSession, runtime: Runtime, account: Account) -> list[WelcomeCarOut]:
    """The caller's primary cars whose standard services wait to be activated (the app's
    welcome prompt after sign-in)."""
    cars = []
    standard = service_catalogue().packages[STANDARD]
    for vin in await garage.garage_vins(session, account.id):
        if await garage.primary_account_id(session, vin) != account.id:
            continue
        if not await needs_activation(session, runtime, vin=vin, account_id=account.id):
            continue
        vehicle = await vehicles.get_vehicle(session, vin)
        assert vehicle is not None  # needs_activation found it
        model = vehicles.model_of(vehicle)
        cars.append(
            WelcomeCarOut(
                vin=vin,
                model_name=model.name,
                complimentary_until=complimentary_until(standard, facts_of(vehicle, model)),
            )
        )
    return cars


# --- prepare to sell -------------------------------------------------------------------------


async def sell_checklist(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> SellChecklistOut:
    now = runtime.clock.now()
    vin, account_id = caller.vehicle.vin, caller.account.id
    rows = await repository.activations_for(session, vin=vin, account_id=account_id)
    ticks = {
        SellChecklistStep(mark.step): mark.marked_at
        for mark in await repository.marks(session, account_id=account_id, vin=vin)
    }
    steps = selling.checklist(
        vin=vin,
        active_packages=[row.package for row in rows if running(row, now)],
        ticks=ticks,
    )
    return SellChecklistOut(
        vin=vin,
        steps=[
            SellStepOut(
                step=s.step,
                title=s.title,
                done=s.done,
                done_at=s.done_at,
                detail=s.detail,
                owner_ticks=s.owner_ticks,
            )
            for s in steps
        ],
        ready_to_remove=selling.ready_to_remove(steps),
    )


async def tick_sell_step(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, step: SellChecklistStep
) -> SellChecklistOut:
    """The owner confirms a step we cannot see; ticking twice keeps the first time."""
    vin, account_id = caller.vehicle.vin, caller.account.id
    existing = {m.step for m in await repository.marks(session, account_id=account_id, vin=vin)}
    if step.value not in existing:
        now = runtime.clock.now()
        await repository.add(
            session,
            SellChecklistMark(account_id=account_id, vin=vin, step=step.value, marked_at=now),
        )
        await audit.record(
            session,
            now=now,
            actor_type="owner",
            actor_id=str(account_id),
            action="sell_checklist.ticked",
            subject_type="vehicle",
            subject_id=vin,
            details={"step": step.value},
        )
    return await sell_checklist(session, runtime, caller)
