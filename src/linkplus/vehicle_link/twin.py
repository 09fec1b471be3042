"""Applying a planned batch to the vehicle twin, inside the gateway's one transaction per batch.

Order matters within a batch: link states first (they must exist before a parked position is
written), then events (a ``privacy_mode_changed`` must be on record before the positions that
follow it are judged), then telemetry. Positions are stored only when the car shared its location
at the moment they were measured, as the privacy history says: while privacy mode is on nothing
of a position is kept, not in the twin, not in the history, not as the parked position.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.events import publish
from linkplus.jobs import enqueue
from linkplus.models.privacy import LocationPurpose, PrivacyModeSource
from linkplus.privacy import service as privacy
from linkplus.protocol.signals import SignalValue
from linkplus.protocol.vehicle import (
    Alert,
    Collision,
    EmergencyButton,
    EmergencySystemStatus,
    EmergencyVoice,
    EventMessage,
    IgnitionOff,
    IgnitionOn,
    PrivacyModeChanged,
    Sleeping,
    TrackingState,
    TripUpload,
    Waking,
)
from linkplus.runtime import Runtime
from linkplus.vehicle_link import ingest, repository
from linkplus.vehicle_link.events import (
    AlertRaised,
    CommandResultReceived,
    CommandResultsReceived,
    EmergencyReported,
    EmergencySystemReported,
    EmergencyVoiceReported,
    HealthReported,
    HeldPosition,
    TrackingReported,
    TripUploaded,
)
from linkplus.vehicle_link.ingest import BatchPlan, Fix, Reading
from linkplus.vehicle_link.schemas import PostTripCheckJob
from linkplus.vehicles import service as vehicles

log = structlog.get_logger("linkplus.vehicle_link.twin")

LATE_BURST_GRACE = timedelta(minutes=1)
"""A post-trip check for a trip that ended long ago (the car had no coverage) still waits this
long, so the parked status that follows the ``ignition_off`` in the same burst is in first."""


ODOMETER_REFRESH = timedelta(hours=1)
"""The registry's mileage is for the ownership check (whole kilometres): a car reporting the same
kilometre again is written at most this often, not once per batch (see ``KnownOdometers``)."""

KnownOdometers = dict[str, tuple[int, datetime]]
"""Per car, the whole kilometres and reading time this process last wrote to the registry."""


async def apply_batch(
    session: AsyncSession,
    runtime: Runtime,
    plan: BatchPlan,
    *,
    now: datetime,
    known_odometers: KnownOdometers | None = None,
) -> KnownOdometers:
    """Store ``plan``; returns the odometer readings written to the registry, which the caller
    adds to its ``known_odometers`` once the transaction has committed."""
    await repository.record_activity(
        session,
        [
            {
                "vin": vin,
                "last_heard_at": now,
                "last_seq": activity.last_seq,
                "last_ignition_on_at": activity.ignition_on_at,
                "last_ignition_off_at": activity.ignition_off_at,
                "asleep_since": activity.asleep_since,
                "awake_since": activity.awake_since,
            }
            for vin, activity in plan.activity.items()
        ],
    )
    for vin, event in plan.events:
        await _apply_event(session, runtime, vin, event, now=now)
    await repository.add_events(
        session,
        [_event_row(vin, event, now) for vin, event in plan.events if event.type != "trip_upload"],
    )
    every_fix = _unique_fixes(plan.fixes)
    stolen = await _keep_held_positions(
        session, runtime, every_fix, {r.vin for r in plan.location_readings}, now=now
    )
    judge = _LocationJudge(session)
    await judge.load({r.vin for r in plan.location_readings})
    shared_locations = [
        r
        for r in plan.location_readings
        if not stolen.covers(r.vin, r.ts) and await judge.shared(r.vin, r.ts)
    ]
    readings = plan.readings + shared_locations
    health_changed = await _health_changes(session, plan.readings)
    await repository.upsert_twin(
        session,
        [
            {"vin": r.vin, "path": r.path, "value": r.value, "ts": r.ts, "received_at": now}
            for r in ingest.newest_per_signal(readings)
        ],
    )
    await repository.add_history(
        session,
        [
            {"vin": r.vin, "path": r.path, "ts": r.ts, "value": r.value}
            for r in _unique(r for r in plan.readings if r.path in ingest.HISTORY_SIGNALS)
        ],
    )
    for vin, reported_at in sorted(health_changed.items()):
        await publish(
            session, HealthReported(vin=vin, reported_at=reported_at), now=now, runtime=runtime
        )
    fixes = [
        f for f in every_fix if not stolen.covers(f.vin, f.ts) and await judge.shared(f.vin, f.ts)
    ]
    await repository.add_positions(
        session,
        [
            {
                "vin": f.vin,
                "ts": f.ts,
                "latitude": f.latitude,
                "longitude": f.longitude,
                "heading": f.heading,
                "accuracy_m": f.accuracy_m,
            }
            for f in fixes
        ],
    )
    await _update_parked(session, fixes)
    recorded = await _record_odometers(session, plan.readings, known_odometers or {})
    await _record_command_results(session, runtime, plan, now=now)
    return recorded


HEALTH_SIGNALS = frozenset({"Vehicle.Private.LinkPlus.WarningLights.Active", "Vehicle.OBD.DTCList"})


async def _health_changes(session: AsyncSession, readings: list[Reading]) -> dict[str, datetime]:
    """The cars whose batch changes their warning lights or trouble codes (a newer reading with
    another value than the twin holds, or the first one), each with the newest reading's time:
    one ``HealthReported`` each. A car that reports the same lights again in every status is
    told about once, not at every status (one read for the batch)."""
    newest: dict[tuple[str, str], Reading] = {}
    for reading in readings:
        if reading.path in HEALTH_SIGNALS:
            known = newest.get((reading.vin, reading.path))
            if known is None or reading.ts > known.ts:
                newest[reading.vin, reading.path] = reading
    if not newest:
        return {}
    stored = await repository.twin_values(
        session, {vin for vin, _ in newest}, {path for _, path in newest}
    )
    changed: dict[str, datetime] = {}
    for key, reading in newest.items():
        before = stored.get(key)
        if before is not None and (before[1] >= reading.ts or _same(before[0], reading.value)):
            continue
        changed[reading.vin] = max(reading.ts, changed.get(reading.vin, reading.ts))
    return changed


def _same(stored: SignalValue, reported: SignalValue) -> bool:
    """Lists of lights or codes are sets: the order the car lists them in is no change."""
    if isinstance(stored, list) and isinstance(reported, list):
        return sorted(stored) == sorted(reported)
    return stored == reported


@dataclass(frozen=True)
class _TheftHolds:
    """The theft holds of a batch's cars: what is measured under one is the case's alone."""

    holds: dict[str, list[privacy.Hold]]

    def covers(self, vin: str, at: datetime) -> bool:
        return any(
            h.purpose is LocationPurpose.theft and h.covers(at) for h in self.holds.get(vin, ())
        )


async def _keep_held_positions(
    session: AsyncSession,
    runtime: Runtime,
    fixes: list[Fix],
    location_vins: set[str],
    *,
    now: datetime,
) -> _TheftHolds:
    """Positions measured while a case holds the car's location (an emergency, a theft) go to
    that case, whatever the privacy mode; the privacy mode alone decides the rest. Under a
    theft hold a position goes to the case only: not to the twin, the history or the parked
    position that the owner sees (the thief's whereabouts are for the agents and the police)."""
    vins = {f.vin for f in fixes} | location_vins
    if not vins:
        return _TheftHolds({})
    since = min((f.ts for f in fixes), default=now)
    holds = await privacy.holds_for(session, vins, since=min(since, now))
    if not holds:
        return _TheftHolds({})
    for fix in fixes:
        for hold in holds.get(fix.vin, ()):
            if hold.covers(fix.ts):
                await publish(
                    session,
                    HeldPosition(
                        vin=fix.vin,
                        purpose=hold.purpose.value,
                        reference=hold.reference,
                        ts=fix.ts,
                        latitude=fix.latitude,
                        longitude=fix.longitude,
                        heading=fix.heading,
                    ),
                    now=now,
                    runtime=runtime,
                )
    return _TheftHolds(holds)


def _unique(readings: Iterable[Reading]) -> list[Reading]:
    """One history row per (car, signal, time): a repeated reading adds nothing."""
    seen: dict[tuple[str, str, datetime], Reading] = {}
    for reading in readings:
        seen[(reading.vin, reading.path, reading.ts)] = reading
    return list(seen.values())


def _unique_fixes(fixes: Iterable[Fix]) -> list[Fix]:
    seen: dict[tuple[str, datetime], Fix] = {}
    for fix in fixes:
        seen[(fix.vin, fix.ts)] = fix
    return sorted(seen.values(), key=lambda f: (f.vin, f.ts))


@dataclass
class _LocationJudge:
    """Whether a car shared its location at a moment. One query gives every car's latest
    privacy change; it decides for anything measured after it, and only older readings (late
    data from before that change) ask the privacy history."""

    session: AsyncSession
    _latest: dict[str, tuple[datetime, bool]] | None = None

    async def load(self, vins: Iterable[str]) -> None:
        self._latest = await privacy.latest_location_sharing(self.session, vins)

    async def shared(self, vin: str, at: datetime) -> bool:
        assert self._latest is not None, "load() the batch's cars first"
        latest = self._latest.get(vin)
        if latest is None:
            return True  # never switched: cars share their location by default
        changed_at, sharing = latest
        if at >= changed_at:
            return sharing
        return await privacy.location_shared_at(self.session, vin=vin, at=at)


@dataclass(frozen=True)
class _EventContext:
    session: AsyncSession
    runtime: Runtime
    vin: str
    now: datetime


async def _privacy_mode_changed(ctx: _EventContext, event: PrivacyModeChanged) -> None:
    await privacy.set_location_sharing(
        ctx.session,
        ctx.runtime,
        vin=ctx.vin,
        sharing=event.location_sharing,
        source=PrivacyModeSource.vehicle.value,
        account_id=None,
        at=event.occurred_at,
    )


async def _ignition_off(ctx: _EventContext, event: IgnitionOff) -> None:
    """The trip ended: the post-trip check runs a few minutes later (sooner for late data)."""
    delay = timedelta(minutes=ctx.runtime.settings.post_trip_alert_minutes)
    ended = min(event.occurred_at, ctx.now)
    await enqueue(
        ctx.session,
        PostTripCheckJob(vin=ctx.vin, trip_ended_at=event.occurred_at),
        now=ctx.now,
        run_at=max(ended + delay, ctx.now + min(delay, LATE_BURST_GRACE)),
        dedupe_key=f"post_trip:{ctx.vin}:{event.occurred_at.isoformat()}",
    )


async def _trip_upload(ctx: _EventContext, event: TripUpload) -> None:
    trip = event.trip
    for moment in (trip.started_at, trip.ended_at):
        held = await privacy.held_for(
            ctx.session, vin=ctx.vin, purpose=LocationPurpose.theft, at=moment
        )
        if held is not None:
            # Driven while reported stolen: not the owner's trip, and its route is the case's.
            log.info("trip_withheld_theft", vin=ctx.vin, case=held.reference)
            return
    await _store_trip(ctx.session, ctx.vin, event, now=ctx.now)


async def _alert(ctx: _EventContext, event: Alert) -> None:
    await publish(
        ctx.session,
        AlertRaised(
            vin=ctx.vin,
            msg_id=event.msg_id,
            kind=event.kind.value,
            detail=event.detail,
            occurred_at=event.occurred_at,
        ),
        now=ctx.now,
    )


async def _emergency(ctx: _EventContext, event: EmergencyButton | Collision) -> None:
    await publish(
        ctx.session,
        EmergencyReported(
            vin=ctx.vin,
            msg_id=event.msg_id,
            type=event.type,
            occurred_at=event.occurred_at,
            incident_id=event.incident_id,
            attempt=event.attempt,
            call=event.call.value,
            msd=event.msd,
            sensor=event.sensor.value if isinstance(event, Collision) else None,
        ),
        now=ctx.now,
        runtime=ctx.runtime,
    )


async def _emergency_voice(ctx: _EventContext, event: EmergencyVoice) -> None:
    await publish(
        ctx.session,
        EmergencyVoiceReported(
            vin=ctx.vin,
            incident_id=event.incident_id,
            occupant=event.occupant.value,
            occurred_at=event.occurred_at,
        ),
        now=ctx.now,
        runtime=ctx.runtime,
    )


async def _emergency_system(ctx: _EventContext, event: EmergencySystemStatus) -> None:
    await publish(
        ctx.session,
        EmergencySystemReported(
            vin=ctx.vin, light=event.light.value, occurred_at=event.occurred_at
        ),
        now=ctx.now,
        runtime=ctx.runtime,
    )


async def _tracking(ctx: _EventContext, event: TrackingState) -> None:
    await publish(
        ctx.session,
        TrackingReported(
            vin=ctx.vin, phase=event.phase.value, reason=event.reason, occurred_at=event.occurred_at
        ),
        now=ctx.now,
        runtime=ctx.runtime,
    )


async def _link_state_only(ctx: _EventContext, event: IgnitionOn | Sleeping | Waking) -> None:
    """Recorded in the link state (``ingest``) and the event log; nothing more to do."""


_EventHandler = Callable[[_EventContext, Any], Awaitable[None]]

# One handler per kind of vehicle event. A new kind in the protocol gets its row here; the test
# in tests/vehicle_link/test_gateway.py fails while a kind has none.
EVENT_HANDLERS: dict[type[EventMessage], _EventHandler] = {
    PrivacyModeChanged: _privacy_mode_changed,
    IgnitionOff: _ignition_off,
    TripUpload: _trip_upload,
    Alert: _alert,
    EmergencyButton: _emergency,
    Collision: _emergency,
    EmergencyVoice: _emergency_voice,
    EmergencySystemStatus: _emergency_system,
    TrackingState: _tracking,
    IgnitionOn: _link_state_only,
    Sleeping: _link_state_only,
    Waking: _link_state_only,
}


async def _apply_event(
    session: AsyncSession, runtime: Runtime, vin: str, event: EventMessage, *, now: datetime
) -> None:
    await EVENT_HANDLERS[type(event)](_EventContext(session, runtime, vin, now), event)


async def _store_trip(
    session: AsyncSession, vin: str, upload: TripUpload, *, now: datetime
) -> None:
    stored = await repository.add_trip_upload(
        session,
        {
            "msg_id": upload.msg_id,
            "vin": vin,
            "occurred_at": upload.occurred_at,
            "received_at": now,
            "payload": upload.model_dump(mode="json"),
            "consumed_at": None,
        },
    )
    if not stored:
        return
    await publish(session, TripUploaded(vin=vin, msg_id=upload.msg_id), now=now)
    end = ingest.trip_end_fix(vin, upload)
    if end is not None and await privacy.location_shared_at(
        session, vin=vin, at=upload.trip.ended_at
    ):
        await repository.set_parked(
            session,
            vin=vin,
            at=end.ts,
            latitude=end.latitude,
            longitude=end.longitude,
            heading=end.heading,
        )


def _event_row(vin: str, event: EventMessage, now: datetime) -> dict[str, Any]:
    kind: str | None = None
    detail: str | None = None
    if event.type == "alert":
        kind, detail = event.kind.value, event.detail
    elif event.type == "privacy_mode_changed":
        kind = "location_sharing_on" if event.location_sharing else "location_sharing_off"
    return {
        "msg_id": event.msg_id,
        "vin": vin,
        "type": event.type,
        "kind": kind,
        "detail": detail,
        "occurred_at": event.occurred_at,
        "received_at": now,
    }


async def _update_parked(session: AsyncSession, fixes: list[Fix]) -> None:
    """The newest shared position measured while the engine was off is where the car parked.

    The ignition events on record say whether the engine was off at a fix's time, so a batch
    that holds a parked fix and the next drive (late data) still finds the parking spot. Going
    from the newest fix back, one look-up per ignition switch: an ``ignition_on`` at T rules out
    every fix from T on.
    """
    by_vin: dict[str, list[Fix]] = {}
    for fix in fixes:
        by_vin.setdefault(fix.vin, []).append(fix)
    for vin, candidates in sorted(by_vin.items()):
        candidates.sort(key=lambda f: f.ts, reverse=True)
        index = 0
        while index < len(candidates):
            fix = candidates[index]
            ignition = await repository.ignition_at(session, vin=vin, at=fix.ts)
            if ignition is None:
                break  # engine state unknown that early
            if ignition.type == "ignition_off":
                await repository.set_parked(
                    session,
                    vin=vin,
                    at=fix.ts,
                    latitude=fix.latitude,
                    longitude=fix.longitude,
                    heading=fix.heading,
                )
                break
            started = ignition.occurred_at
            while index < len(candidates) and candidates[index].ts >= started:
                index += 1


async def _record_odometers(
    session: AsyncSession, readings: list[Reading], known: KnownOdometers
) -> KnownOdometers:
    """The registry keeps the car's mileage for the ownership check: the newest reading per car,
    skipped when this process wrote the same kilometre less than ``ODOMETER_REFRESH`` ago."""
    newest: dict[str, Reading] = {}
    for reading in readings:
        if reading.path == ingest.ODOMETER and (
            reading.vin not in newest or reading.ts > newest[reading.vin].ts
        ):
            newest[reading.vin] = reading
    recorded: KnownOdometers = {}
    for vin, reading in sorted(newest.items()):
        if isinstance(reading.value, int | float) and not isinstance(reading.value, bool):
            km = int(reading.value)
            previous = known.get(vin)
            if (
                previous is not None
                and km <= previous[0]
                and reading.ts - previous[1] < ODOMETER_REFRESH
            ):
                continue
            await vehicles.record_odometer(session, vin=vin, km=km, reported_at=reading.ts)
            recorded[vin] = (km, reading.ts)
    return recorded


async def _record_command_results(
    session: AsyncSession, runtime: Runtime, plan: BatchPlan, *, now: datetime
) -> None:
    """Store the cars' answers and tell the remote-control feature in this same transaction, all
    of the batch in one event, in the order they arrived (a car's ``received`` before its
    ``succeeded``)."""
    await repository.add_command_results(
        session,
        [
            {
                "msg_id": result.msg_id,
                "vin": vin,
                "command_id": result.command_id,
                "status": result.status.value,
                "reason": result.reason,
                "sent_at": result.sent_at,
                "received_at": now,
            }
            for vin, result in plan.command_results
        ],
    )
    if plan.command_results:
        await publish(
            session,
            CommandResultsReceived(
                results=tuple(
                    CommandResultReceived(
                        vin=vin,
                        command_id=result.command_id,
                        status=result.status.value,
                        reason=result.reason,
                    )
                    for vin, result in plan.command_results
                )
            ),
            now=now,
            runtime=runtime,
        )
