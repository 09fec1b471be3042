"""A simulated telematics unit: drives its car's plan and speaks the real vehicle protocol.

Two tasks per unit. The *timeline* walks through the plan in simulated time and turns what
happens (engine on and off, privacy switches, the driver walking away, forgotten windows, a
finished charge, nine idle days) into protocol messages, each with the next ``seq``, put in an
outbox. The *link* keeps an MQTT connection while the car has coverage and is awake, sends the
outbox oldest first (a message leaves the outbox only once the broker acknowledged it, so a
lost connection never loses or reorders anything) and answers commands.

Commands other than ``refresh`` must carry a valid signature (``remote.signing``) made with the
unit's own command key: the unit refuses, and reports why, a command signed for another car, a
forged or altered one, an expired one, the same one again and one with a lower counter.
``refresh`` only asks for a status, so an unsigned one is answered (the vehicle link sends it).

Underground car parks: coverage goes when the car drives down the ramp and comes back when it
drives out on its next trip; everything in between waits in the outbox. Sleep: nine days after
the last engine-off the unit sends ``sleeping`` and disconnects; commands wait in its broker
session until the engine starts again (``waking``), and expired ones are then refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import aiomqtt
import structlog

from linkplus.protocol.errors import MalformedMessage
from linkplus.protocol.vehicle import (
    COMMAND_REFRESH,
    Alert,
    AlertKind,
    Channel,
    Command,
    CommandResult,
    CommandStatus,
    IgnitionOff,
    IgnitionOn,
    PrivacyModeChanged,
    SignalReading,
    Sleeping,
    Telemetry,
    VehicleMessage,
    Waking,
    encode,
    parse,
    topic,
)
from linkplus.remote import signing
from linkplus.sim.car import (
    COVERAGE_BACK_AFTER_START_S,
    COVERAGE_LOST_BEFORE_END_S,
    DriveOutcome,
    SimulatedCar,
)
from linkplus.sim.clock import SimClock
from linkplus.sim.ids import derived_uuid
from linkplus.sim.plan import PlannedTrip, trips_from
from linkplus.sim.state import RESTING_VOLTAGE, RUNNING_VOLTAGE
from linkplus.sim.trips import trip_upload
from linkplus.vehicle_link.client import QOS, BrokerAddress, connected, vehicle_client

log = structlog.get_logger("linkplus.sim.unit")

SLEEP_AFTER = timedelta(days=9)
ALERT_AFTER_LEAVING = timedelta(seconds=60)
DRAIN_TIMEOUT_SECONDS = 5.0  # real seconds to flush the outbox before losing coverage
RECONNECT_SECONDS = 1.0  # the first wait after a lost or refused connection
RECONNECT_MAX_SECONDS = 30.0
"""The wait doubles with every failed attempt up to this, and each wait is drawn between half
of it and all of it: a broker that cannot take a whole fleet at once is not hit again by all
of it in the same second (with a fixed 1 s, 200 units connecting together never got through)."""

_SimpleEvent = Literal["ignition_on", "ignition_off", "sleeping", "waking"]
_SIMPLE_EVENTS: dict[str, type[IgnitionOn | IgnitionOff | Sleeping | Waking]] = {
    "ignition_on": IgnitionOn,
    "ignition_off": IgnitionOff,
    "sleeping": Sleeping,
    "waking": Waking,
}
CommandHandler = Callable[["TelematicsUnit", Command], Awaitable[None]]
"""Applies one command of its type; it reports with ``unit.report`` (and may ``send_status``)."""


def reconnect_wait(failures: int, rng: random.Random) -> float:
    """Seconds to wait after the ``failures``-th failed connection in a row (see
    ``RECONNECT_MAX_SECONDS``)."""
    ceiling = min(RECONNECT_MAX_SECONDS, RECONNECT_SECONDS * 2 ** min(failures - 1, 16))
    return rng.uniform(ceiling / 2, ceiling)


@dataclass
class UnitStats:
    trips: int = 0
    sent: int = 0
    connections: int = 0  # MQTT connections made (more than one: it lost one, or was refused)


@dataclass(frozen=True)
class _Outgoing:
    channel: Channel
    message: VehicleMessage


async def refresh(unit: TelematicsUnit, command: Command) -> None:
    """``refresh``: the current value of every signal, then the result."""
    now = unit.clock.now()
    unit.send_status(now)
    unit.report(command.msg_id, CommandStatus.succeeded, at=now)


DEFAULT_HANDLERS: dict[str, CommandHandler] = {COMMAND_REFRESH: refresh}


class TelematicsUnit:
    def __init__(
        self,
        car: SimulatedCar,
        *,
        secret: str,
        address: BrokerAddress,
        clock: SimClock,
        handlers: Mapping[str, CommandHandler] | None = None,
        plan: Iterable[PlannedTrip] | None = None,
        command_key: bytes | None = None,
    ) -> None:
        self.car = car
        self.vin = car.vin
        self.clock = clock
        self.address = address
        self.handlers = {**DEFAULT_HANDLERS, **(handlers or {})}
        self.stats = UnitStats()
        self._secret = secret
        self._start = clock.now()
        self._plan = plan
        # A run's seq numbers start above any earlier run's (one million per second of start
        # time), so the platform never mistakes this run's messages for stale ones.
        self._seq_base = int(self._start.timestamp()) * 1_000_000
        self._count = 0
        self._outbox: deque[_Outgoing] = deque()
        self._outbox_changed = asyncio.Event()
        self._outbox_empty = asyncio.Event()
        self._outbox_empty.set()
        self._covered = not car.parked_underground
        self._asleep = False
        self._reach_changed = asyncio.Event()
        self._reachable_since = self._start
        self._connected = False
        self._last_use = self._start
        self._ready_at = self._start
        self._handled: set[uuid.UUID] = set()
        self._plan_done = False
        # The key commands are signed with for this car (None: it obeys no signed command) and
        # the counters it has accepted (its replay window); both survive reconnects, as in a
        # real unit.
        self.command_key = command_key
        self.counters = signing.ReplayWindow()
        self._timers: set[asyncio.Task[None]] = set()
        # Told of every ignition change (on: True); the safety system's status light uses it.
        self.ignition_listeners: list[Callable[[bool, datetime], None]] = []
        self._backoff = random.Random(f"{self.vin}/reconnect")  # noqa: S311 - timing, not secrets

    # --- observable state ------------------------------------------------------------

    @property
    def last_counter(self) -> int | None:
        """The highest command counter the unit has accepted (None: none yet)."""
        return self.counters.highest

    @property
    def asleep(self) -> bool:
        return self._asleep

    @property
    def covered(self) -> bool:
        return self._covered

    @property
    def plan_done(self) -> bool:
        """A finite plan (tests, demos) has been driven to its end."""
        return self._plan_done

    @property
    def buffered(self) -> int:
        return len(self._outbox)

    @property
    def connected(self) -> bool:
        return self._connected

    def pending(self) -> list[VehicleMessage]:
        """The messages waiting to be sent, oldest first."""
        return [item.message for item in self._outbox]

    @property
    def reachable(self) -> bool:
        return self._covered and not self._asleep

    # --- messages ----------------------------------------------------------------------

    def _next_ids(self) -> tuple[uuid.UUID, int]:
        seq = self._seq_base + self._count
        self._count += 1
        return derived_uuid(self.car.seed, self.vin, self._start.isoformat(), seq), seq

    def next_ids(self) -> tuple[uuid.UUID, int]:
        """The id and ``seq`` of the next message (for messages built outside this module)."""
        return self._next_ids()

    def queue(self, channel: Channel, message: VehicleMessage) -> None:
        """Put a message in the outbox; the link sends it, oldest first, once it can."""
        self._queue(channel, message)

    def _queue(self, channel: Channel, message: VehicleMessage) -> None:
        self._outbox.append(_Outgoing(channel, message))
        self._outbox_empty.clear()
        self._outbox_changed.set()

    def _event(self, kind: _SimpleEvent, at: datetime) -> None:
        msg_id, seq = self._next_ids()
        fields: dict[str, Any] = {
            "msg_id": msg_id,
            "seq": seq,
            "sent_at": at,
            "occurred_at": at,
            "type": kind,
        }
        self._queue(Channel.events, _SIMPLE_EVENTS[kind](**fields))

    def send_status(self, at: datetime, readings: list[SignalReading] | None = None) -> None:
        """Queue a telemetry message: every signal the car has (or ``readings``)."""
        msg_id, seq = self._next_ids()
        signals = readings if readings is not None else self.car.state.signals(at)
        self._queue(
            Channel.telemetry, Telemetry(msg_id=msg_id, seq=seq, sent_at=at, signals=signals)
        )

    def report(
        self,
        command_id: uuid.UUID,
        status: CommandStatus,
        *,
        at: datetime,
        reason: str | None = None,
    ) -> None:
        msg_id, seq = self._next_ids()
        self._queue(
            Channel.command_results,
            CommandResult(
                msg_id=msg_id,
                seq=seq,
                sent_at=at,
                command_id=command_id,
                status=status,
                reason=reason,
            ),
        )

    def fault(self, light: str | None, codes: tuple[str, ...], at: datetime) -> None:
        """A fault comes up: the light goes on (an ``alert`` event), then the whole status
        (the warning lights and trouble codes as they are now)."""
        self.car.advance(at)
        new_light = light is not None and light not in self.car.state.warning_lights
        self.car.state.report_fault(light, codes)
        if new_light:
            self._alert(AlertKind.warning_light, at, light)
        self.send_status(at)

    def repaired(self, at: datetime) -> None:
        """The workshop cleared the faults: the status shows no light and no code."""
        self.car.advance(at)
        self.car.state.clear_faults()
        self.send_status(at)

    def _alert(self, kind: AlertKind, at: datetime, detail: str | None) -> None:
        msg_id, seq = self._next_ids()
        self._queue(
            Channel.events,
            Alert(
                msg_id=msg_id,
                seq=seq,
                sent_at=at,
                occurred_at=at,
                type="alert",
                kind=kind,
                detail=detail,
            ),
        )

    # --- the car's own timers -------------------------------------------------------------

    def at(self, moment: datetime, action: Callable[[datetime], None]) -> None:
        """Run ``action(moment)`` once simulated time reaches ``moment`` (hazard lights, climate
        and a remotely started engine switch themselves off this way)."""

        async def wait_then_act() -> None:
            await self.clock.sleep_until(moment)
            self.car.advance(moment)
            action(moment)

        task = asyncio.create_task(wait_then_act(), name=f"sim-timer-{self.vin}")
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)

    def background(self, work: Awaitable[None], name: str) -> None:
        """Run ``work`` (which waits on the unit's clock) until it ends or the unit stops."""

        async def run() -> None:
            await work

        task = asyncio.create_task(run(), name=f"{name}-{self.vin}")
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)

    def switch_ignition(self, on: bool, at: datetime) -> None:
        """Someone turns the key (or presses start) without a planned trip: a test, a thief."""
        self.car.advance(at)
        state = self.car.state
        if state.ignition_on == on:
            return
        state.engine_on = on
        state.voltage_12v = RUNNING_VOLTAGE if on else RESTING_VOLTAGE
        if not on:
            state.speed_kmh = 0.0
            self._last_use = at
        self._ignition(on, at)

    def _ignition(self, on: bool, at: datetime) -> None:
        self.car.state.ignition_on = on
        if on and self.car.state.occupants == 0:
            self.car.state.occupants = 1  # the driver
        self._event("ignition_on" if on else "ignition_off", at)
        for listener in list(self.ignition_listeners):
            listener(on, at)

    def set_coverage(self, covered: bool, at: datetime) -> None:
        """The car drives into or out of a place without mobile coverage."""
        self._set_reach(covered=covered, at=at)

    @property
    def timers(self) -> int:
        """Timers still waiting."""
        return len(self._timers)

    async def stop_timers(self) -> None:
        timers = list(self._timers)
        for task in timers:
            task.cancel()
        await asyncio.gather(*timers, return_exceptions=True)

    # --- running -----------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        link = asyncio.create_task(self._link(stop), name=f"sim-link-{self.vin}")
        try:
            await self._timeline(stop)
        finally:
            link.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await link
            await self.stop_timers()

    async def _wait(self, moment: datetime, stop: asyncio.Event) -> bool:
        """Until ``moment`` in simulated time; False if the run was stopped first."""
        if stop.is_set():
            return False
        sleeper = asyncio.ensure_future(self.clock.sleep_until(moment))
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, stopper):
                task.cancel()
        return not stop.is_set()

    def _trips(self) -> Iterator[PlannedTrip]:
        if self._plan is not None:
            return iter(self._plan)
        car = self.car
        return trips_from(car.habits, seed=car.seed, vin=self.vin, start=self._start)

    async def _timeline(self, stop: asyncio.Event) -> None:
        for planned in self._trips():
            departure = max(planned.departure, self._ready_at)
            if not await self._idle_until(departure, stop):
                return
            outcome = self.car.start_trip(planned, departure)
            if outcome is not None and not await self._drive(outcome, stop):
                return
        self._plan_done = True
        await stop.wait()

    async def _idle_until(self, moment: datetime, stop: asyncio.Event) -> bool:
        while True:
            sleep_at = None if self._asleep else self._last_use + SLEEP_AFTER
            charged_at = self.car.charge_complete_at()
            upcoming = [t for t in (sleep_at, charged_at) if t is not None and t < moment]
            if not upcoming:
                return await self._wait(moment, stop)
            at = min(upcoming)
            if not await self._wait(at, stop):
                return False
            self.car.advance(at)
            if at == sleep_at:
                await self._fall_asleep(at)
            else:
                self.send_status(at)

    async def _fall_asleep(self, at: datetime) -> None:
        self._event("sleeping", at)
        await self._drain()
        self._set_reach(asleep=True, at=at)

    async def _drive(self, outcome: DriveOutcome, stop: asyncio.Event) -> bool:
        steps: list[tuple[datetime, Callable[[], Awaitable[None]]]] = []
        start, end = outcome.started_at, outcome.ended_at

        async def engine_on() -> None:
            if self._asleep:
                self._set_reach(asleep=False, at=start)
                self._event("waking", start)
            self._ignition(True, start)

        steps.append((start, engine_on))
        if not self._covered:

            async def out_of_car_park() -> None:
                self._set_reach(covered=True, at=start + timedelta(seconds=back))

            back = min(COVERAGE_BACK_AFTER_START_S, outcome.driven.duration_s)
            steps.append((start + timedelta(seconds=back), out_of_car_park))
        for second, privacy in outcome.privacy_changes:
            at = start + timedelta(seconds=second)
            steps.append((at, self._privacy_step(privacy, at)))
        if outcome.underground:

            async def into_car_park() -> None:
                await self._drain()
                self._set_reach(covered=False, at=lost)

            lost = max(start, end - timedelta(seconds=COVERAGE_LOST_BEFORE_END_S))
            steps.append((lost, into_car_park))

        async def engine_off() -> None:
            self.car.finish_trip(outcome)
            self._ignition(False, end)
            msg_id, seq = self._next_ids()
            self._queue(Channel.events, trip_upload(outcome, msg_id=msg_id, seq=seq, sent_at=end))
            self.stats.trips += 1
            self._last_use = end

        async def walk_away() -> None:
            self.car.leave(outcome)
            self.car.state.occupants = 0
            self.send_status(outcome.left_at)

        async def alerts() -> None:
            at = outcome.left_at + ALERT_AFTER_LEAVING
            self.car.advance(at)
            raised = [(alert.kind, alert.detail) for alert in outcome.alerts]
            raised += [(AlertKind.warning_light, light) for light in self.car.new_warning_lights()]
            for kind, detail in raised:
                self._alert(kind, at, detail)
            if raised:
                self.send_status(at)

        steps += [
            (end, engine_off),
            (outcome.left_at, walk_away),
            (outcome.left_at + ALERT_AFTER_LEAVING, alerts),
        ]
        steps.sort(key=lambda step: step[0])
        for moment, step in steps:
            if not await self._wait(moment, stop):
                return False
            await step()
        self._ready_at = outcome.left_at + ALERT_AFTER_LEAVING + timedelta(minutes=1)
        return True

    def _privacy_step(self, privacy: bool, at: datetime) -> Callable[[], Awaitable[None]]:
        async def switch() -> None:
            self.switch_privacy(privacy, at)

        return switch

    def switch_privacy(self, on: bool, at: datetime) -> None:
        """The driver switches privacy mode on (the unit stops sharing its position) or off."""
        self.car.state.privacy_mode = on
        msg_id, seq = self._next_ids()
        self._queue(
            Channel.events,
            PrivacyModeChanged(
                msg_id=msg_id,
                seq=seq,
                sent_at=at,
                occurred_at=at,
                type="privacy_mode_changed",
                location_sharing=not on,
            ),
        )

    # --- reachability ----------------------------------------------------------------------

    def _set_reach(
        self, *, at: datetime, covered: bool | None = None, asleep: bool | None = None
    ) -> None:
        was = self.reachable
        if covered is not None:
            self._covered = covered
        if asleep is not None:
            self._asleep = asleep
        if self.reachable and not was:
            self._reachable_since = at
        changed, self._reach_changed = self._reach_changed, asyncio.Event()
        changed.set()

    async def _drain(self) -> None:
        """Give the link a moment to send what is queued before the car goes out of reach."""
        if self._connected and self._outbox:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._outbox_empty.wait(), DRAIN_TIMEOUT_SECONDS)

    async def _until_unreachable(self, stop: asyncio.Event) -> None:
        while self.reachable and not stop.is_set():
            changed = self._reach_changed
            stopper = asyncio.ensure_future(stop.wait())
            waiter = asyncio.ensure_future(changed.wait())
            try:
                await asyncio.wait({stopper, waiter}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopper.cancel()
                waiter.cancel()

    async def _link(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            if not self.reachable:
                changed = self._reach_changed
                await changed.wait()
                continue
            try:
                client = vehicle_client(self.address, vin=self.vin, secret=self._secret)
                async with connected(client):
                    await client.subscribe(topic(self.vin, Channel.commands), qos=QOS)
                    self._connected = True
                    self.stats.connections += 1
                    failures = 0
                    await self._session(client, stop)
            except aiomqtt.MqttError as exc:
                failures += 1
                wait = reconnect_wait(failures, self._backoff)
                log.info("sim_unit_disconnected", vin=self.vin, error=str(exc), retry_in=wait)
                await asyncio.sleep(wait)
            finally:
                self._connected = False

    async def _session(self, client: aiomqtt.Client, stop: asyncio.Event) -> None:
        tasks = [
            asyncio.create_task(self._send(client)),
            asyncio.create_task(self._receive(client)),
            asyncio.create_task(self._until_unreachable(stop)),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            if not task.cancelled() and (error := task.exception()) is not None:
                raise error

    async def _send(self, client: aiomqtt.Client) -> None:
        while True:
            while self._outbox:
                item = self._outbox[0]
                message = item.message
                if message.sent_at < self._reachable_since:  # kept while out of reach
                    message = message.model_copy(update={"sent_at": self._reachable_since})
                await client.publish(topic(self.vin, item.channel), encode(message), qos=QOS)
                self._outbox.popleft()
                self.stats.sent += 1
            self._outbox_empty.set()
            self._outbox_changed.clear()
            await self._outbox_changed.wait()

    async def _receive(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            payload = message.payload
            if not isinstance(payload, bytes | bytearray):
                continue
            try:
                parsed = parse(str(message.topic), bytes(payload))
            except MalformedMessage as exc:
                log.warning("sim_unit_bad_command", vin=self.vin, error=str(exc))
                continue
            command = parsed.message
            if parsed.vin != self.vin or not isinstance(command, Command):
                continue
            await self.handle(command)

    async def handle(self, command: Command) -> None:
        """Apply one command (each command id once: QoS 1 may deliver it twice; a signed one
        delivered again is refused as ``replayed``, which changes nothing on the platform once
        the first answer has finished the command)."""
        now = self.clock.now()
        if command.type != COMMAND_REFRESH or command.signature is not None:
            # The expiry is the platform's time: a unit running faster than real time (the demo
            # fleet) must not find every command expired by its own clock.
            refusal = self._signature_refusal(command, self.clock.platform_now())
            if refusal is not None:
                self.car.advance(now)
                self.report(command.msg_id, CommandStatus.rejected, at=now, reason=refusal)
                return
        if command.msg_id in self._handled:
            return
        self._handled.add(command.msg_id)
        self.car.advance(now)
        if command.expires_at <= self.clock.platform_now():
            self.report(command.msg_id, CommandStatus.rejected, at=now, reason="expired")
            return
        handler = self.handlers.get(command.type)
        if handler is None:
            self.report(command.msg_id, CommandStatus.rejected, at=now, reason="unknown_command")
            return
        await handler(self, command)

    def _signature_refusal(self, command: Command, now: datetime) -> str | None:
        """The reason to refuse ``command``, or None after accepting its counter."""
        if self.command_key is None:
            return signing.VerifyOutcome.bad_signature.value
        outcome = signing.verify(self.command_key, command, self.vin, now=now, window=self.counters)
        if outcome is not signing.VerifyOutcome.ok:
            log.info("sim_unit_refused_command", vin=self.vin, reason=outcome.value)
            return outcome.value
        counter = signing.counter_of(command)
        assert counter is not None  # verify said ok, so the signature parsed
        self.counters = self.counters.accept(counter)
        return None
