"""The simulated car's safety system: the SOS button, automatic collision notification, the
emergency system's status light and stolen-vehicle tracking (docs/vehicle-protocol.md).

One ``SafetySystem`` per unit (``SafetySystem.of(unit)``). Everything it does waits on the
unit's clock, never on real time, so a test that moves a ``ManualClock`` drives the retries,
the 24 hours of a collision notification and the 30 s tracking positions.

Emergencies. A press of the SOS button (only with the ignition on) or a crash starts an
incident with its own id. Each attempt to reach the emergency centre carries the eCall minimum
set of data built from the car's state at that moment (``safety.msd``). An attempt finds
coverage or not: one without coverage is reported afterwards, with ``call: no_coverage``, by
the attempt that gets through. An SOS call makes 3 attempts in all, ``SOS_RETRY`` apart; a
collision notification retries, further and further apart up to ``COLLISION_RETRY_MAX``, for
24 hours after the crash, then stops. The attempt that gets through opens the voice line: the
light flashes green, the occupants answer or stay silent (``emergency_voice``), and the call
ends after ``CALL_LENGTH``. While the call runs (when it gets through and when it ends) the car
also sends its position as telemetry, whatever its privacy mode: the case needs it.

Tracking. ``tracking_start`` and ``tracking_stop`` are signed commands, checked by the unit
like any other before they reach the handlers here. While tracking runs the car sends its
position every ``interval_s`` seconds whatever its privacy mode; with its 12 V battery flat or
disconnected it can only say so (the unit's backup cell sends ``tracking_state paused``) and
resumes when power returns, as long as tracking was not stopped.
"""

from __future__ import annotations

import math
import uuid
import weakref
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

import structlog

from linkplus.protocol.vehicle import (
    CallState,
    Channel,
    Collision,
    CollisionSensor,
    Command,
    CommandStatus,
    EmergencyButton,
    EmergencySystemStatus,
    EmergencyVoice,
    Occupant,
    StatusLight,
    TrackingPhase,
    TrackingState,
)
from linkplus.safety import msd
from linkplus.safety.rules import ATTEMPTS_PER_CALL, COLLISION_RETRY_WINDOW
from linkplus.sim.ids import derived_uuid
from linkplus.sim.unit import CommandHandler, TelematicsUnit
from linkplus.vehicles.catalogue import Powertrain

log = structlog.get_logger("linkplus.sim.safety")

SELF_TEST = timedelta(seconds=3)  # red and green in turn after the ignition, then the verdict
SOS_RETRY = timedelta(seconds=20)
COLLISION_RETRY_FIRST = timedelta(seconds=30)
COLLISION_RETRY_MAX = timedelta(minutes=30)
"""A collision notification waits 30 s before its second attempt, then twice as long each time,
up to 30 minutes between attempts: about 55 attempts in its 24 hours."""
VOICE_AFTER = timedelta(seconds=10)  # the operator has spoken and heard an answer, or none
CALL_LENGTH = timedelta(minutes=2)
FLAT_VOLTAGE = 11.0
"""Below this the 12 V battery no longer runs the unit."""
KEPT_POSITIONS = 8
DEFAULT_TRACKING_INTERVAL_S = 30
MIN_TRACKING_INTERVAL_S = 5
MAX_TRACKING_INTERVAL_S = 3600
EARTH_RADIUS_M = 6_371_000.0

TRACKING_START = "tracking_start"
TRACKING_STOP = "tracking_stop"

_PROPULSION: dict[Powertrain, frozenset[msd.Propulsion]] = {
    Powertrain.petrol: frozenset({msd.Propulsion.petrol}),
    Powertrain.diesel: frozenset({msd.Propulsion.diesel}),
    Powertrain.hev: frozenset({msd.Propulsion.petrol, msd.Propulsion.electric}),
    Powertrain.phev: frozenset({msd.Propulsion.petrol, msd.Propulsion.electric}),
    Powertrain.bev: frozenset({msd.Propulsion.electric}),
}


def propulsion_of(powertrain: Powertrain) -> frozenset[msd.Propulsion]:
    """What energy the car stores on board, as the data set names it."""
    return _PROPULSION[powertrain]


@dataclass
class Incident:
    """One emergency as the car runs it."""

    incident_id: uuid.UUID
    kind: str  # "emergency_button" or "collision"
    started_at: datetime
    occupant: Occupant
    sensor: CollisionSensor | None = None
    attempts: list[tuple[int, datetime, CallState]] = field(default_factory=list)
    through_at: datetime | None = None  # the attempt that got through
    ended_at: datetime | None = None
    gave_up: bool = False

    @property
    def running(self) -> bool:
        return self.ended_at is None and not self.gave_up


@dataclass
class Tracking:
    case: str
    interval: timedelta
    paused_for: str | None = None  # battery_flat or battery_disconnected
    positions_sent: int = 0


class SafetySystem:
    _systems: ClassVar[weakref.WeakKeyDictionary[TelematicsUnit, SafetySystem]] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, unit: TelematicsUnit) -> None:
        self.unit = unit
        self.fault = False
        self.light: StatusLight | None = None
        self.incidents: list[Incident] = []
        self.tracking: Tracking | None = None  # a new start or a stop ends the previous loop
        self._recent: deque[msd.Position] = deque(maxlen=KEPT_POSITIONS)
        state = unit.car.state
        self._remember(state.lat, state.lon)
        unit.ignition_listeners.append(self._on_ignition)

    @classmethod
    def of(cls, unit: TelematicsUnit) -> SafetySystem:
        """The unit's safety system (made the first time it is asked for)."""
        system = cls._systems.get(unit)
        if system is None:
            system = cls._systems[unit] = cls(unit)
        return system

    # --- messages ---------------------------------------------------------------------------

    def _report_light(self, light: StatusLight, at: datetime) -> None:
        self.light = light
        msg_id, seq = self.unit.next_ids()
        self.unit.queue(
            Channel.events,
            EmergencySystemStatus(
                msg_id=msg_id,
                seq=seq,
                sent_at=at,
                occurred_at=at,
                type="emergency_system_status",
                light=light,
            ),
        )

    def _report_tracking(self, phase: TrackingPhase, at: datetime, reason: str | None) -> None:
        msg_id, seq = self.unit.next_ids()
        self.unit.queue(
            Channel.events,
            TrackingState(
                msg_id=msg_id,
                seq=seq,
                sent_at=at,
                occurred_at=at,
                type="tracking_state",
                phase=phase,
                reason=reason,
            ),
        )

    def _idle_light(self) -> StatusLight:
        return StatusLight.fault if self.fault else StatusLight.working

    # --- the status light -------------------------------------------------------------------

    def _on_ignition(self, on: bool, at: datetime) -> None:
        if not on:
            return
        self._report_light(StatusLight.self_test, at)

        def verdict(moment: datetime) -> None:
            if self.unit.car.state.ignition_on and self.light is StatusLight.self_test:
                self._report_light(self._idle_light(), moment)

        self.unit.at(at + SELF_TEST, verdict)

    def simulate_fault(self, at: datetime, *, fault: bool = True) -> None:
        """The emergency system finds a fault (solid red), or is repaired."""
        self.fault = fault
        if self.light is not StatusLight.call_in_progress:
            self._report_light(self._idle_light(), at)

    # --- positions ------------------------------------------------------------------------------

    def _remember(self, lat: float, lon: float) -> None:
        here = msd.Position(latitude=round(lat, 6), longitude=round(lon, 6))
        if not self._recent or self._recent[-1] != here:
            self._recent.append(here)

    def move_to(self, lat: float, lon: float, at: datetime, *, speed_kmh: float = 0.0) -> None:
        """The car is now at ``lat, lon`` (heading from where it was), driving at ``speed_kmh``."""
        state = self.unit.car.state
        if (lat, lon) != (state.lat, state.lon):
            state.heading_deg = _bearing(state.lat, state.lon, lat, lon)
        state.lat, state.lon = lat, lon
        state.position_at = at
        state.speed_kmh = state.capped(speed_kmh)
        self._remember(lat, lon)

    def drive_on(self, at: datetime) -> None:
        """Move the car along its heading for the time since its last fix (a thief driving)."""
        state = self.unit.car.state
        since = state.position_at or at
        seconds = (at - since).total_seconds()
        if state.speed_kmh <= 0 or seconds <= 0 or not state.ignition_on:
            state.position_at = at
            return
        metres = state.speed_kmh / 3.6 * seconds
        lat, lon = _ahead(state.lat, state.lon, state.heading_deg, metres)
        state.lat, state.lon, state.position_at = lat, lon, at
        self._remember(lat, lon)

    def data_set(self, incident: Incident, attempt: int, at: datetime) -> str:
        """The eCall data set of one attempt, from the car's state now, in base64."""
        car = self.unit.car
        state = car.state
        self.drive_on(at)
        here = msd.Position(latitude=round(state.lat, 6), longitude=round(state.lon, 6))
        earlier = [p for p in reversed(self._recent) if p != here][:2]
        while True:
            try:
                data = msd.MinimumSetOfData(
                    message_id=attempt % 256,
                    activation=(
                        msd.Activation.manual
                        if incident.kind == "emergency_button"
                        else msd.Activation.automatic
                    ),
                    test_call=False,
                    position_trusted=True,
                    vehicle_type=msd.VehicleType.passenger_m1,
                    vin=car.vin,
                    propulsion=propulsion_of(car.model.powertrain),
                    timestamp=at,
                    position=here,
                    direction_deg=round(state.heading_deg) % 360,
                    previous=tuple(earlier),
                    passengers=state.occupants,
                )
                return msd.to_text(msd.encode(data))
            except msd.MsdError:
                if not earlier:
                    raise
                earlier.pop()  # an earlier position too far away for the data set's deltas

    # --- emergencies -----------------------------------------------------------------------------

    def press_sos(self, at: datetime, *, occupant: Occupant = Occupant.responding) -> bool:
        """The SOS button. Ignored without the ignition, and while a call is already running."""
        if not self.unit.car.state.ignition_on:
            log.info("sim_sos_ignored", vin=self.unit.vin, reason="ignition_off")
            return False
        if any(incident.running for incident in self.incidents):
            return False
        self._start(Incident(self._incident_id(at), "emergency_button", at, occupant))
        return True

    def crash(
        self,
        at: datetime,
        *,
        sensor: CollisionSensor = CollisionSensor.airbag,
        occupant: Occupant = Occupant.silent,
    ) -> Incident:
        """An airbag fires or an impact sensor trips: the notification starts by itself."""
        state = self.unit.car.state
        state.speed_kmh = 0.0
        incident = Incident(self._incident_id(at), "collision", at, occupant, sensor=sensor)
        self._start(incident)
        return incident

    def _incident_id(self, at: datetime) -> uuid.UUID:
        car = self.unit.car
        return derived_uuid(car.seed, car.vin, "incident", at.isoformat(), len(self.incidents))

    def _start(self, incident: Incident) -> None:
        self.incidents.append(incident)
        self.unit.background(self._emergency(incident), "sim-emergency")

    def _schedule(self, incident: Incident) -> Iterator[datetime]:
        start = incident.started_at
        if incident.kind == "emergency_button":
            for number in range(ATTEMPTS_PER_CALL):
                yield start + SOS_RETRY * number
            return
        moment, wait = start, COLLISION_RETRY_FIRST
        while moment < start + COLLISION_RETRY_WINDOW:
            yield moment
            moment += wait
            wait = min(wait * 2, COLLISION_RETRY_MAX)

    async def _emergency(self, incident: Incident) -> None:
        clock = self.unit.clock
        failed: list[tuple[int, datetime, str]] = []
        for number, moment in enumerate(self._schedule(incident), start=1):
            await clock.sleep_until(moment)
            self.unit.car.advance(moment)
            data = self.data_set(incident, number, moment)
            if not self.unit.reachable:
                incident.attempts.append((number, moment, CallState.no_coverage))
                failed.append((number, moment, data))
                continue
            for earlier, when, earlier_data in failed:
                self._attempt(incident, earlier, when, CallState.no_coverage, earlier_data, moment)
            incident.attempts.append((number, moment, CallState.connected))
            self._attempt(incident, number, moment, CallState.connected, data, moment)
            incident.through_at = moment
            self._report_light(StatusLight.call_in_progress, moment)
            self._position_for_the_case(moment)
            await self._call(incident, number, moment, data)
            return
        incident.gave_up = True
        log.info("sim_emergency_gave_up", vin=self.unit.vin, attempts=len(incident.attempts))

    async def _call(self, incident: Incident, number: int, through: datetime, data: str) -> None:
        clock = self.unit.clock
        heard = through + VOICE_AFTER
        await clock.sleep_until(heard)
        msg_id, seq = self.unit.next_ids()
        self.unit.queue(
            Channel.events,
            EmergencyVoice(
                msg_id=msg_id,
                seq=seq,
                sent_at=heard,
                occurred_at=heard,
                type="emergency_voice",
                incident_id=incident.incident_id,
                occupant=incident.occupant,
            ),
        )
        ended = through + CALL_LENGTH
        await clock.sleep_until(ended)
        self._position_for_the_case(ended)
        self._attempt(incident, number, ended, CallState.ended, data, ended)
        incident.ended_at = ended
        self._report_light(self._idle_light(), ended)

    def _attempt(
        self,
        incident: Incident,
        number: int,
        occurred_at: datetime,
        call: CallState,
        data: str,
        sent_at: datetime,
    ) -> None:
        msg_id, seq = self.unit.next_ids()
        if incident.sensor is None:
            self.unit.queue(
                Channel.events,
                EmergencyButton(
                    type="emergency_button",
                    msg_id=msg_id,
                    seq=seq,
                    sent_at=sent_at,
                    occurred_at=occurred_at,
                    incident_id=incident.incident_id,
                    attempt=number,
                    call=call,
                    msd=data,
                ),
            )
        else:
            self.unit.queue(
                Channel.events,
                Collision(
                    type="collision",
                    sensor=incident.sensor,
                    msg_id=msg_id,
                    seq=seq,
                    sent_at=sent_at,
                    occurred_at=occurred_at,
                    incident_id=incident.incident_id,
                    attempt=number,
                    call=call,
                    msd=data,
                ),
            )

    # --- the 12 V battery ---------------------------------------------------------------------

    def power_problem(self) -> str | None:
        state = self.unit.car.state
        if not state.battery_connected:
            return "battery_disconnected"
        if state.voltage_12v < FLAT_VOLTAGE:
            return "battery_flat"
        return None

    def disconnect_battery(self, at: datetime) -> None:
        self.unit.car.state.battery_connected = False
        self._power_changed(at)

    def reconnect_battery(self, at: datetime) -> None:
        self.unit.car.state.battery_connected = True
        self._power_changed(at)

    def drain_battery(self, at: datetime, *, volts: float = 10.5) -> None:
        """The 12 V battery runs flat."""
        self.unit.car.advance(at)
        self.unit.car.state.voltage_12v = volts
        self._power_changed(at)

    def charge_battery(self, at: datetime) -> None:
        self.unit.car.state.voltage_12v = 12.6
        self._power_changed(at)

    def _power_changed(self, at: datetime) -> None:
        tracking = self.tracking
        if tracking is None:
            return
        problem = self.power_problem()
        if problem is not None and tracking.paused_for is None:
            tracking.paused_for = problem
            self._report_tracking(TrackingPhase.paused, at, problem)
        elif problem is None and tracking.paused_for is not None:
            tracking.paused_for = None
            self._report_tracking(TrackingPhase.active, at, None)
            self._send_position(at)

    # --- stolen-vehicle tracking ------------------------------------------------------------------

    def _position_for_the_case(self, at: datetime) -> None:
        """Where the car is, whatever the privacy mode: an emergency needs it."""
        self.drive_on(at)
        self.unit.send_status(at, self.unit.car.state.position_signals(at, for_a_case=True))

    def _send_position(self, at: datetime) -> None:
        tracking = self.tracking
        if tracking is None or tracking.paused_for is not None:
            return
        self._position_for_the_case(at)
        tracking.positions_sent += 1

    def start_tracking(self, case: str, interval_s: int, at: datetime) -> None:
        self.tracking = Tracking(case, timedelta(seconds=interval_s))
        problem = self.power_problem()
        if problem is not None:
            self.tracking.paused_for = problem
            self._report_tracking(TrackingPhase.paused, at, problem)
        else:
            self._report_tracking(TrackingPhase.active, at, None)
            self._send_position(at)
        self.unit.background(self._track(self.tracking, at), "sim-tracking")

    def stop_tracking(self, at: datetime, *, reason: str | None = None) -> None:
        if self.tracking is None:
            return
        self.tracking = None
        self._report_tracking(TrackingPhase.stopped, at, reason)

    async def _track(self, tracking: Tracking, since: datetime) -> None:
        moment = since
        while True:
            moment += tracking.interval
            await self.unit.clock.sleep_until(moment)
            if self.tracking is not tracking:
                return
            self.unit.car.advance(moment)
            self._send_position(moment)

    # --- a theft, acted out -----------------------------------------------------------------

    def driven_away(
        self, at: datetime, *, speed_kmh: float = 60.0, heading_deg: float = 45.0
    ) -> None:
        """A thief starts the car and drives off (the owner's privacy mode stays as it was)."""
        state = self.unit.car.state
        state.unlock()
        state.smart_key_inside = True  # a relay attack or a copied key: the car thinks so
        state.alarm_triggered = False
        self.unit.switch_ignition(True, at)
        self.drive_on(at)
        state.heading_deg = heading_deg
        state.speed_kmh = state.capped(speed_kmh)
        state.position_at = at

    def recovered(self, at: datetime) -> None:
        """The police find the car: stopped, the ignition off, nobody inside."""
        self.drive_on(at)
        state = self.unit.car.state
        state.speed_kmh = 0.0
        state.smart_key_inside = False
        self.unit.switch_ignition(False, at)
        state.occupants = 0


def _bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_lon = math.radians(lon2 - lon1)
    y = math.sin(d_lon) * math.cos(phi2)
    x = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(d_lon)
    return math.degrees(math.atan2(y, x)) % 360


def _ahead(lat: float, lon: float, heading_deg: float, metres: float) -> tuple[float, float]:
    """The point ``metres`` ahead along ``heading_deg`` (a flat approximation, fine for the few
    kilometres between two fixes)."""
    d_north = metres * math.cos(math.radians(heading_deg))
    d_east = metres * math.sin(math.radians(heading_deg))
    new_lat = lat + math.degrees(d_north / EARTH_RADIUS_M)
    new_lon = lon + math.degrees(d_east / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
    return max(-89.9, min(89.9, new_lat)), (new_lon + 180) % 360 - 180


# --- the command handlers the unit dispatches to ------------------------------------------------


def _interval(command: Command) -> int | None:
    value = command.params.get("interval_s", DEFAULT_TRACKING_INTERVAL_S)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    if not MIN_TRACKING_INTERVAL_S <= value <= MAX_TRACKING_INTERVAL_S:
        return None
    return value


def tracking_active(unit: TelematicsUnit) -> bool:
    """Stolen-vehicle tracking runs on this unit (started and not stopped): its digital keys
    are suspended meanwhile (``sim.keys``)."""
    system = SafetySystem._systems.get(unit)
    return system is not None and system.tracking is not None


async def tracking_start(unit: TelematicsUnit, command: Command) -> None:
    """``tracking_start`` (already verified: signature, counter, expiry): report the position
    every ``params.interval_s`` seconds whatever the privacy mode."""
    now = unit.clock.now()
    case = command.params.get("case")
    interval = _interval(command)
    if not isinstance(case, str) or not case or interval is None:
        unit.report(command.msg_id, CommandStatus.rejected, at=now, reason="bad_params")
        return
    unit.report(command.msg_id, CommandStatus.received, at=now)
    SafetySystem.of(unit).start_tracking(case, interval, now)
    unit.report(command.msg_id, CommandStatus.succeeded, at=now)


async def tracking_stop(unit: TelematicsUnit, command: Command) -> None:
    now = unit.clock.now()
    unit.report(command.msg_id, CommandStatus.received, at=now)
    SafetySystem.of(unit).stop_tracking(now)
    unit.report(command.msg_id, CommandStatus.succeeded, at=now)


SAFETY_HANDLERS: dict[str, CommandHandler] = {
    TRACKING_START: tracking_start,
    TRACKING_STOP: tracking_stop,
}
"""The stolen-vehicle tracking commands, by their protocol names."""
