"""One simulated car without its radio: it drives planned trips, parks, charges, loses tyre
pressure and drains its 12 V battery. Pure and deterministic; ``unit`` adds the telematics.

A trip is computed whole when it starts (``start_trip``) and its effects are applied in steps,
as the unit reaches each moment: the engine-off (``finish_trip``), the driver walking away
(``leave``). Everything random is drawn from a stream named after the trip, so the same seed
gives the same trip whenever, and in whichever process, it is driven.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np

from linkplus.protocol.vehicle import AlertKind
from linkplus.sim.driving import DrivenTrip, Driver, drive
from linkplus.sim.ids import derived_rng, derived_uuid
from linkplus.sim.plan import Habits, Place, PlannedTrip, habits_for
from linkplus.sim.powertrains import EnergyLevels, spec_for
from linkplus.sim.roads import GeoPoint, PlaceKind, RoadNetwork
from linkplus.sim.state import (
    DOORS,
    LOW_TYRE_KPA,
    NOMINAL_TYRE_KPA,
    RESTING_VOLTAGE,
    RUNNING_VOLTAGE,
    TYRES,
    VehicleState,
)
from linkplus.sim.weather import outside_temperature_c
from linkplus.vehicles.catalogue import Powertrain, VehicleModel

HOME_CHARGER_KW = 7.4
TWELVE_VOLT_DROP_PER_DAY = 0.03
COVERAGE_LOST_BEFORE_END_S = 20  # driving down the ramp of an underground car park
COVERAGE_BACK_AFTER_START_S = 40  # and back up it


@dataclass(frozen=True)
class ParkedAlert:
    kind: AlertKind
    detail: str | None = None


@dataclass(frozen=True)
class DriveOutcome:
    trip_id: uuid.UUID
    planned: PlannedTrip
    started_at: datetime
    driven: DrivenTrip
    location_shared: np.ndarray  # bool per sample
    privacy_changes: tuple[tuple[int, bool], ...]  # (second into the trip, privacy mode on)
    levels_after: EnergyLevels
    leave_after_s: int  # engine-off to the driver walking away and (usually) locking
    alerts: tuple[ParkedAlert, ...]
    plug_in: bool

    @property
    def ended_at(self) -> datetime:
        return self.started_at + timedelta(seconds=self.driven.duration_s)

    @property
    def left_at(self) -> datetime:
        return self.ended_at + timedelta(seconds=self.leave_after_s)

    @property
    def underground(self) -> bool:
        return self.planned.destination.underground


@dataclass
class _Leak:
    tyre: str
    kpa_per_day: float


@dataclass
class SimulatedCar:
    vin: str
    model: VehicleModel
    network: RoadNetwork
    seed: int
    state: VehicleState
    habits: Habits
    node: int
    updated_at: datetime
    trips_driven: int = 0
    leak: _Leak | None = None
    parked_underground: bool = False
    _rear_door_used: bool = field(default=False, repr=False)

    @classmethod
    def create(
        cls,
        *,
        vin: str,
        model: VehicleModel,
        network: RoadNetwork,
        seed: int,
        start: datetime,
        home: GeoPoint | None = None,
    ) -> SimulatedCar:
        rng = derived_rng(seed, vin, "initial")
        home_node = _nearest(network, home) if home is not None else None
        habits = habits_for(network, seed=seed, vin=vin, home_node=home_node)
        spec = spec_for(model.code, model.powertrain)
        levels = EnergyLevels(
            fuel_l=spec.tank_l * rng.uniform(0.4, 0.95) if spec.tank_l else None,
            battery_kwh=(spec.battery_kwh * rng.uniform(0.5, 0.9) if spec.battery_kwh else None),
        )
        node = network.nodes[habits.home.node]
        lat, lon = network.latlon(np.array(node.x), np.array(node.y))
        state = VehicleState(
            spec=spec,
            levels=levels,
            odometer_km=round(float(rng.uniform(2_000, 60_000)), 1),
            lat=float(lat),
            lon=float(lon),
            position_at=start,
            outside_c=outside_temperature_c(seed, start),
        )
        state.charging.limit_pct = 100 if model.powertrain is Powertrain.phev else 80
        if model.powertrain is not Powertrain.bev:
            state.oil_level = "NORMAL"  # every combustion engine of the catalogue has a sensor
        leak = None
        if rng.random() < 0.25:
            leak = _Leak(TYRES[int(rng.integers(4))], float(rng.uniform(1.5, 5.0)))
        return cls(vin, model, network, seed, state, habits, habits.home.node, start, leak=leak)

    # --- time passing while parked -------------------------------------------------------

    def advance(self, to: datetime) -> None:
        """Let parked time pass: charging, 12 V drain, a slow leak, the weather."""
        if to <= self.updated_at:
            return
        hours = (to - self.updated_at).total_seconds() / 3600
        state = self.state
        if not state.engine_on:
            state.voltage_12v = max(11.8, state.voltage_12v - TWELVE_VOLT_DROP_PER_DAY * hours / 24)
            self._charge(hours)
        if self.leak is not None:
            tyre = self.leak.tyre
            state.tyres_kpa[tyre] = max(
                120.0, state.tyres_kpa[tyre] - self.leak.kpa_per_day * hours / 24
            )
        state.outside_c = outside_temperature_c(self.seed, to)
        self.updated_at = to

    def _charge(self, hours: float) -> None:
        charging, capacity = self.state.charging, self.state.spec.battery_kwh
        levels = self.state.levels
        if not charging.is_charging or capacity is None or levels.battery_kwh is None:
            return
        limit = capacity * charging.limit_pct / 100
        levels.battery_kwh = min(limit, levels.battery_kwh + charging.power_kw * 0.9 * hours)
        if levels.battery_kwh >= limit - 1e-6:
            charging.is_charging = False

    def charge_complete_at(self) -> datetime | None:
        if not self.state.charging.is_charging:
            return None
        seconds = self.state.seconds_to_charge_limit()
        return self.updated_at + timedelta(seconds=seconds + 1)

    # --- a trip --------------------------------------------------------------------------

    def start_trip(self, planned: PlannedTrip, departure: datetime) -> DriveOutcome | None:
        """Compute the trip and get in the car; None when the car is already there."""
        if planned.destination.node == self.node:
            return None
        self.advance(departure)
        rng = derived_rng(self.seed, self.vin, "trip", planned.key)
        self._board(rng)
        levels = replace(self.state.levels)
        hour = departure.hour + 1  # local (winter) time
        rush = 1.0 if hour in (7, 8, 17, 18) else 0.5 if hour in (9, 16, 19) else 0.15
        route = self.network.route(self.node, planned.destination.node)
        driven = drive(
            self.network,
            route,
            Driver(self.habits.style),
            self.state.spec,
            levels,
            outside_c=self.state.outside_c,
            congestion=rush,
            rng=rng,
        )
        shared, changes = self._privacy(driven.duration_s, rng)
        outcome = DriveOutcome(
            trip_id=derived_uuid(self.seed, self.vin, "trip", planned.key),
            planned=planned,
            started_at=departure,
            driven=driven,
            location_shared=shared,
            privacy_changes=changes,
            levels_after=levels,
            leave_after_s=int(rng.integers(20, 91)),
            alerts=self._parking_mistakes(rng),
            plug_in=self._plugs_in(planned.destination, levels, rng),
        )
        state = self.state
        state.engine_on = True
        state.voltage_12v = RUNNING_VOLTAGE
        state.charging.cable_connected = state.charging.is_charging = False
        state.charging.power_kw = 0.0
        self.parked_underground = False
        return outcome

    def _board(self, rng: np.random.Generator) -> None:
        """The driver gets in: unlocks, closes what was left open, maybe uses a rear door."""
        state = self.state
        state.unlock()
        state.close_everything()
        state.low_beam = state.high_beam = state.hazard_on = False
        state.smart_key_inside = True
        self._rear_door_used = bool(rng.random() < 0.15)
        state.rear_seat_reminder = False
        if state.fuel_pct is not None and state.fuel_pct < 15:  # fills up on the way
            state.levels.fuel_l = state.spec.tank_l
        soc = state.soc_pct
        if state.spec.powertrain is Powertrain.bev and soc is not None and soc < 12:
            state.levels.battery_kwh = (state.spec.battery_kwh or 0.0) * 0.8  # fast charger
        low = [t for t, kpa in state.tyres_kpa.items() if kpa < LOW_TYRE_KPA - 10]
        if low and rng.random() < 0.3:  # at a petrol station: pumped up (and the leak fixed)
            state.tyres_kpa = dict.fromkeys(state.tyres_kpa, NOMINAL_TYRE_KPA)
            state.warning_lights.discard("tire_pressure")
            self.leak = None

    def _privacy(
        self, duration_s: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, tuple[tuple[int, bool], ...]]:
        on = self.state.privacy_mode
        changes: list[tuple[int, bool]] = []
        early = int(rng.integers(3, 15))
        if on and rng.random() < 0.6:
            changes.append((early, False))
        elif not on and rng.random() < self.habits.privacy_chance:
            changes.append((early, True))
            if rng.random() < 0.3 and duration_s > 120:
                changes.append((int(duration_s * rng.uniform(0.3, 0.7)), False))
        elif not on and rng.random() < self.habits.privacy_chance / 2 and duration_s > 120:
            changes.append((int(duration_s * rng.uniform(0.3, 0.7)), True))
        shared = np.full(duration_s + 1, not on)
        for second, privacy in changes:
            shared[second:] = not privacy
        return shared, tuple(changes)

    def _parking_mistakes(self, rng: np.random.Generator) -> tuple[ParkedAlert, ...]:
        alerts: list[ParkedAlert] = []
        draws = rng.random(6)
        if draws[0] < 0.04:
            alerts.append(ParkedAlert(AlertKind.window_open, DOORS[int(rng.integers(4))]))
        if draws[1] < 0.03:
            alerts.append(ParkedAlert(AlertKind.doors_unlocked))
        if draws[2] < 0.02:
            alerts.append(ParkedAlert(AlertKind.headlights_on))
        if draws[3] < 0.01:
            alerts.append(ParkedAlert(AlertKind.sunroof_open))
        if draws[4] < 0.01:
            alerts.append(ParkedAlert(AlertKind.boot_open))
        if self._rear_door_used and draws[5] < 0.3:
            alerts.append(ParkedAlert(AlertKind.rear_seat_reminder))
        return tuple(alerts)

    def _plugs_in(self, destination: Place, levels: EnergyLevels, rng: np.random.Generator) -> bool:
        spec = self.state.spec
        if destination.kind is not PlaceKind.home or not spec.is_electric:
            return False
        soc = 100 * (levels.battery_kwh or 0.0) / (spec.battery_kwh or 1.0)
        wants = soc < (70 if spec.powertrain is Powertrain.bev else 60)
        return wants and bool(rng.random() < self.habits.plug_in_chance)

    def privacy_at(self, outcome: DriveOutcome, second: int) -> None:
        for at, privacy in outcome.privacy_changes:
            if at == second:
                self.state.privacy_mode = privacy

    def finish_trip(self, outcome: DriveOutcome) -> None:
        """Engine off at the destination."""
        driven, state = outcome.driven, self.state
        for _, privacy in outcome.privacy_changes:
            state.privacy_mode = privacy
        state.engine_on = False
        state.speed_kmh = 0.0
        state.electric_drive_active = False
        state.lat, state.lon = float(driven.lat[-1]), float(driven.lon[-1])
        state.heading_deg = float(driven.heading_deg[-1])
        state.position_at = outcome.ended_at
        state.odometer_km += driven.distance_m / 1000
        before_fuel = state.levels.fuel_l
        state.levels = replace(outcome.levels_after)
        km = driven.distance_m / 1000
        if km > 1:
            if before_fuel is not None and state.levels.fuel_l is not None:
                used = before_fuel - state.levels.fuel_l
                state.litres_per_100km = 0.8 * state.litres_per_100km + 0.2 * max(
                    used / km * 100, 3.0
                )
            if driven.energy_used_kwh is not None and state.spec.powertrain is Powertrain.bev:
                state.kwh_per_100km = 0.8 * state.kwh_per_100km + 0.2 * max(
                    driven.energy_used_kwh / km * 100, 10.0
                )
        state.rear_seat_reminder = self._rear_door_used
        self.node = outcome.planned.destination.node
        self.parked_underground = outcome.underground
        self.trips_driven += 1
        self.updated_at = max(self.updated_at, outcome.ended_at)

    def leave(self, outcome: DriveOutcome) -> None:
        """The driver walks away: closes up and locks, unless they forget something."""
        state = self.state
        state.smart_key_inside = False
        state.voltage_12v = RESTING_VOLTAGE
        kinds = {alert.kind: alert for alert in outcome.alerts}
        if AlertKind.doors_unlocked not in kinds:
            state.lock()
        if (window := kinds.get(AlertKind.window_open)) is not None and window.detail:
            state.doors[window.detail].window_pct = 40
        state.low_beam = AlertKind.headlights_on in kinds
        state.sunroof_pct = 30 if AlertKind.sunroof_open in kinds else 0
        if AlertKind.boot_open in kinds:
            state.boot_open = True
        if outcome.plug_in:
            state.charging.cable_connected = state.charging.is_charging = True
            state.charging.power_kw = HOME_CHARGER_KW
        self.updated_at = max(self.updated_at, outcome.left_at)

    def new_warning_lights(self) -> list[str]:
        """Warning lights that came on since the last look (a tyre running low)."""
        state = self.state
        if (
            "tire_pressure" not in state.warning_lights
            and min(state.tyres_kpa.values()) < LOW_TYRE_KPA
        ):
            state.warning_lights.add("tire_pressure")
            return ["tire_pressure"]
        return []


def _nearest(network: RoadNetwork, point: GeoPoint) -> int:
    scale = math.cos(math.radians(network.centre.lat))
    x = (point.lon - network.centre.lon) * 111_320.0 * scale
    y = (point.lat - network.centre.lat) * 111_320.0
    return min(
        network.residential,
        key=lambda n: (network.nodes[n].x - x) ** 2 + (network.nodes[n].y - y) ** 2,
    )
