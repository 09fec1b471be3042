"""Simulated cars on a running vehicle link: the simulator's own telematics units (``sim.unit``)
publishing through a real broker to the real gateway, with the simulator's clock and the
platform's clock moved together.

A trip's outcome (privacy switches, what the driver forgets, the route) is drawn from random
streams named after the trip, so a test picks the trip it needs by asking a copy of the car
what each candidate trip would do (``choose_trip``), then lets the real unit drive it.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select

from linkplus.kit.clock import ManualClock
from linkplus.models.twin import PositionFix, VehicleEventRecord, VehicleLinkState
from linkplus.sim.car import DriveOutcome, SimulatedCar
from linkplus.sim.clock import ManualClock as SimManualClock
from linkplus.sim.plan import Place, PlannedTrip
from linkplus.sim.roads import PlaceKind, build_network
from linkplus.sim.unit import TelematicsUnit
from linkplus.vehicles.catalogue import catalogue
from tests.vehicle_link.support import VehicleLink

MODEL = "NX450HP"  # a plug-in hybrid: fuel, battery and charging in one car
SEED = 11
NETWORK = build_network(SEED)
WAIT = 30.0  # seconds: a bound only reached when something is wrong
CANDIDATES = 400


def outcome_of(car: SimulatedCar, planned: PlannedTrip) -> DriveOutcome | None:
    """What ``car`` would do on ``planned``, computed on a copy: the car itself is untouched."""
    twin = replace(car, state=copy.deepcopy(car.state), leak=copy.copy(car.leak))
    return twin.start_trip(planned, planned.departure)


def choose_trip(
    car: SimulatedCar,
    *,
    name: str,
    departure: datetime,
    destination: Place,
    wanted: Callable[[DriveOutcome], bool],
) -> PlannedTrip:
    for index in range(CANDIDATES):
        planned = PlannedTrip(f"{name}-{index}", departure, destination)
        outcome = outcome_of(car, planned)
        if outcome is not None and wanted(outcome):
            return planned
    raise AssertionError(f"no trip among {CANDIDATES} candidates does what {name} needs")


def shop(car: SimulatedCar, *, underground: bool = False) -> Place:
    node = next(n for n in NETWORK.shops if n != car.habits.home.node)
    return Place(PlaceKind.shop, node, underground=underground)


PlanFor = Callable[[SimulatedCar], Iterator[PlannedTrip]]
"""Gives the unit its trips one at a time: a generator runs up to its next ``yield`` only when
the unit has finished the trip before, so it can look at the car as that trip left it."""


@dataclass
class SimDrive:
    link: VehicleLink
    car: SimulatedCar
    unit: TelematicsUnit
    sim: SimManualClock
    platform: ManualClock
    handed: list[PlannedTrip]  # the trips the unit has asked for so far

    def move_to(self, moment: datetime) -> None:
        """Both clocks to ``moment``: the car lives through it, the platform sees it pass."""
        self.platform.set(moment)
        self.sim.set(moment)

    def advance(self, **delta: float) -> datetime:
        moment = self.platform.now() + timedelta(**delta)
        self.move_to(moment)
        return moment

    async def until(self, predicate: Callable[[], bool], what: str) -> None:
        try:
            async with asyncio.timeout(WAIT):
                # Polls what the unit's tasks change; bounded by WAIT.
                while not predicate():  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}") from None

    async def finished(self, trips: int) -> None:
        """The unit has driven ``trips`` trips to their end (parked, locked, alerts raised):
        it asks for the next trip only then, or has run out of plan."""
        await self.until(
            lambda: len(self.handed) > trips or (self.unit.plan_done and len(self.handed) == trips),
            f"trip {trips} to end",
        )

    async def delivered(self) -> None:
        """Everything the unit has queued is sent and the gateway has handled all of it."""
        await self.until(lambda: self.unit.buffered == 0, "the unit's outbox to empty")
        async with asyncio.timeout(WAIT):
            await self.link.gateway.wait_handled(self.link.published + self.unit.stats.sent)

    async def link_state(self) -> VehicleLinkState | None:
        async with self.link.runtime.db.transaction() as session:
            return await session.get(VehicleLinkState, self.unit.vin)

    async def positions(self) -> list[PositionFix]:
        async with self.link.runtime.db.transaction() as session:
            rows = await session.scalars(
                select(PositionFix).where(PositionFix.vin == self.unit.vin).order_by(PositionFix.ts)
            )
            return list(rows)

    async def events(self) -> list[VehicleEventRecord]:
        async with self.link.runtime.db.transaction() as session:
            rows = await session.scalars(
                select(VehicleEventRecord)
                .where(VehicleEventRecord.vin == self.unit.vin)
                .order_by(VehicleEventRecord.occurred_at)
            )
            return list(rows)


@asynccontextmanager
async def simulated(
    link: VehicleLink,
    label: str,
    *,
    model_code: str,
    platform: ManualClock,
    plan: PlanFor,
    privacy_chance: float = 0.0,
) -> AsyncIterator[SimDrive]:
    """The simulator's unit for the car ``label``, running and connected; stopped on exit."""
    car = link.cars[label]
    start = platform.now()
    simulated_car = SimulatedCar.create(
        vin=car.vin, model=catalogue().models[model_code], network=NETWORK, seed=SEED, start=start
    )
    simulated_car.habits = replace(simulated_car.habits, privacy_chance=privacy_chance)
    sim = SimManualClock(start)
    handed: list[PlannedTrip] = []

    def counted() -> Iterator[PlannedTrip]:
        for planned in plan(simulated_car):
            handed.append(planned)
            yield planned

    unit = TelematicsUnit(
        simulated_car, secret=car.secret, address=link.vehicles, clock=sim, plan=counted()
    )
    drive = SimDrive(link, simulated_car, unit, sim, platform, handed)
    stop = asyncio.Event()
    task = asyncio.create_task(unit.run(stop))
    try:
        await drive.until(lambda: unit.connected and bool(handed), "the unit to connect")
        yield drive
    finally:
        stop.set()
        async with asyncio.timeout(WAIT):
            await task
