"""A fleet of simulated cars on one broker, in one event loop (``linkplus simulate``, ``demo``).

Every car carries out remote commands (``sim.commands``) signed with its own key, derived from
``command_master`` exactly as the platform derives it (``remote.signing.derive_key``); a fleet
built without the master refuses every signed command as ``bad_signature``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from linkplus.keys import certificates
from linkplus.remote import signing
from linkplus.sim.car import SimulatedCar
from linkplus.sim.clock import ScaledClock, SimClock
from linkplus.sim.commands import REMOTE_HANDLERS
from linkplus.sim.keys import KEY_HANDLERS, KeyReader
from linkplus.sim.roads import GeoPoint, build_network
from linkplus.sim.safety import SAFETY_HANDLERS
from linkplus.sim.unit import CommandHandler, TelematicsUnit
from linkplus.vehicle_link.client import BrokerAddress
from linkplus.vehicles.catalogue import VehicleModel


@dataclass(frozen=True)
class SimCar:
    vin: str
    secret: str  # the unit's MQTT secret (from ``vehicle_link.credentials.provision``)
    model: VehicleModel
    home: GeoPoint | None = None  # None: a home the seed picks


@dataclass(frozen=True)
class FleetStats:
    trips: int
    sent: int
    buffered: int
    asleep: int


class Fleet:
    def __init__(
        self,
        cars: list[SimCar],
        address: BrokerAddress,
        *,
        seed: int,
        speed: float,
        start: datetime,
        platform_start: datetime | None = None,
        clock: SimClock | None = None,
        handlers: Mapping[str, CommandHandler] | None = None,
        command_master: bytes | None = None,
    ) -> None:
        # ``platform_start``: the platform's time now, when ``start`` lies in the past.
        self.clock = (
            clock if clock is not None else ScaledClock(start, speed, platform_start=platform_start)
        )
        self.network = build_network(seed)
        self.units = [
            TelematicsUnit(
                SimulatedCar.create(
                    vin=car.vin,
                    model=car.model,
                    network=self.network,
                    seed=seed,
                    start=start,
                    home=car.home,
                ),
                secret=car.secret,
                address=address,
                clock=self.clock,
                handlers={**REMOTE_HANDLERS, **SAFETY_HANDLERS, **KEY_HANDLERS, **(handlers or {})},
                command_key=(
                    signing.derive_key(command_master, car.vin) if command_master else None
                ),
            )
            for car in cars
        ]
        if command_master:  # the key authority comes from the same master (docs/keys.md)
            for unit in self.units:
                authority = certificates.authority_key(command_master, unit.vin)
                KeyReader.provision(unit, certificates.encode_public(authority.public_key()))

    @property
    def stats(self) -> FleetStats:
        return FleetStats(
            trips=sum(unit.stats.trips for unit in self.units),
            sent=sum(unit.stats.sent for unit in self.units),
            buffered=sum(unit.buffered for unit in self.units),
            asleep=sum(unit.asleep for unit in self.units),
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Drive every car until ``stop`` is set."""
        async with asyncio.TaskGroup() as group:
            for unit in self.units:
                group.create_task(unit.run(stop), name=f"sim-{unit.vin}")
