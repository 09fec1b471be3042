"""Where the energy goes: road load, engines, batteries and the hybrid's EV-mode logic, per second.

Road load is the textbook one (inertia, aerodynamic drag, rolling resistance on a flat road).
Engine efficiency rises with load, which is what makes a hybrid frugal in town: it switches the
engine off at low speed and low power when the battery allows, and recovers braking energy.
Figures are chosen so the totals land where real cars do: about 5 l/100 km for a full hybrid,
7-10 for a petrol car, 15-22 kWh/100 km for an electric car depending on speed and heating.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linkplus.vehicles.catalogue import Powertrain

AIR_DENSITY = 1.2
GRAVITY = 9.81
DRIVELINE_EFFICIENCY = 0.90
MOTOR_EFFICIENCY = 0.82
REGEN_EFFICIENCY = 0.65
LOWER_HEATING_VALUE_KWH_PER_L = {Powertrain.diesel: 10.0}
PETROL_KWH_PER_L = 8.9
ELECTRIC_POWERTRAINS = frozenset({Powertrain.bev, Powertrain.phev})
HYBRID_POWERTRAINS = frozenset({Powertrain.hev, Powertrain.phev})
FUEL_POWERTRAINS = frozenset(
    {Powertrain.petrol, Powertrain.diesel, Powertrain.hev, Powertrain.phev}
)


@dataclass(frozen=True)
class PowertrainSpec:
    powertrain: Powertrain
    mass_kg: float
    drag_area_m2: float  # drag coefficient times frontal area
    tank_l: float | None
    battery_kwh: float | None  # usable traction battery (a hybrid's small one included)
    max_regen_kw: float = 0.0
    ev_max_kmh: float = 0.0  # a hybrid may drive electrically up to this speed ...
    ev_max_kw: float = 0.0  # ... and this power at the wheels
    buffer_pct: float = 0.0  # a plug-in drives electrically down to this charge, then as a hybrid
    wltp_km_per_pct: float = 0.0  # rough electric range per percent of charge, for the display
    rolling: float = 0.010

    @property
    def is_electric(self) -> bool:
        return self.powertrain in ELECTRIC_POWERTRAINS

    @property
    def is_hybrid(self) -> bool:
        return self.powertrain in HYBRID_POWERTRAINS

    @property
    def burns_fuel(self) -> bool:
        return self.powertrain in FUEL_POWERTRAINS


_DEFAULTS: dict[Powertrain, PowertrainSpec] = {
    Powertrain.petrol: PowertrainSpec(Powertrain.petrol, 1_850, 0.70, 60, None),
    Powertrain.diesel: PowertrainSpec(Powertrain.diesel, 1_800, 0.70, 60, None),
    Powertrain.hev: PowertrainSpec(
        Powertrain.hev, 1_700, 0.66, 50, 1.0, max_regen_kw=25, ev_max_kmh=50, ev_max_kw=12
    ),
    Powertrain.phev: PowertrainSpec(
        Powertrain.phev,
        2_050,
        0.72,
        55,
        17.0,
        max_regen_kw=50,
        ev_max_kmh=135,
        ev_max_kw=90,
        buffer_pct=12,
        wltp_km_per_pct=0.7,
    ),
    Powertrain.bev: PowertrainSpec(
        Powertrain.bev, 1_950, 0.68, None, 68.0, max_regen_kw=70, wltp_km_per_pct=4.0
    ),
}
_BY_MODEL: dict[str, dict[str, float]] = {
    "UX250H": {"mass_kg": 1_600, "tank_l": 43},
    "UX300H": {"mass_kg": 1_620, "tank_l": 47},
    "LBX": {"mass_kg": 1_300, "tank_l": 36, "drag_area_m2": 0.62},
    "CT200H": {"mass_kg": 1_450, "tank_l": 45, "drag_area_m2": 0.62},
    "RX450H": {"mass_kg": 2_100, "tank_l": 65, "drag_area_m2": 0.80},
    "RX500H": {"mass_kg": 2_150, "tank_l": 65, "drag_area_m2": 0.80},
    "RX450HP": {"mass_kg": 2_200, "tank_l": 55, "battery_kwh": 16.0, "drag_area_m2": 0.80},
    "RZ450E": {"mass_kg": 2_100, "battery_kwh": 64.0, "drag_area_m2": 0.70},
    "UX300E": {"mass_kg": 1_800, "battery_kwh": 68.0, "drag_area_m2": 0.64},
    "LC500": {"mass_kg": 1_950, "tank_l": 82, "drag_area_m2": 0.66},
}


def spec_for(model_code: str, powertrain: Powertrain) -> PowertrainSpec:
    base = _DEFAULTS[powertrain]
    changes = _BY_MODEL.get(model_code, {})
    if not changes:
        return base
    values = {**base.__dict__, **changes}
    return PowertrainSpec(**values)


@dataclass
class EnergyLevels:
    """What is left: fuel in litres and traction battery energy in kWh (None: the car has none)."""

    fuel_l: float | None
    battery_kwh: float | None


@dataclass(frozen=True)
class PowertrainTrace:
    ev_mode: np.ndarray | None  # bool per sample, hybrids only
    power_kw: np.ndarray | None  # traction battery power per sample (out > 0), PHEV and BEV
    fuel_used_l: float | None
    energy_used_kwh: float | None  # net, after regeneration
    regenerated_kwh: float | None


def wheel_power_kw(spec: PowertrainSpec, speed_ms: np.ndarray, accel_ms2: np.ndarray) -> np.ndarray:
    force = (
        spec.mass_kg * accel_ms2
        + 0.5 * AIR_DENSITY * spec.drag_area_m2 * speed_ms**2
        + spec.mass_kg * GRAVITY * spec.rolling * (speed_ms > 0.1)
    )
    result: np.ndarray = force * speed_ms / 1000.0
    return result


def auxiliary_kw(spec: PowertrainSpec, outside_c: float) -> float:
    """Electronics plus cabin climate. Combustion engines heat the cabin with waste heat; a
    battery car pays for heating and cooling from the battery (a heat pump: about 2 kW at 0 °C)."""
    if spec.powertrain is Powertrain.bev:
        return 1.2 + min(3.5, 0.1 * abs(outside_c - 20.0))
    return 0.45


def _engine_fuel_l(spec: PowertrainSpec, engine_kw: np.ndarray | float, *, hybrid: bool) -> float:
    """Fuel for one second at ``engine_kw``; efficiency rises with load (lean, Atkinson cycle)."""
    power = np.maximum(np.asarray(engine_kw, dtype=float), 0.0)
    if hybrid:  # the hybrid system keeps the engine near its best operating points
        efficiency = 0.23 + 0.11 * np.minimum(1.0, power / 25.0)
    else:
        efficiency = 0.17 + 0.15 * np.minimum(1.0, power / 35.0)
    lhv = LOWER_HEATING_VALUE_KWH_PER_L.get(spec.powertrain, PETROL_KWH_PER_L)
    return float(np.sum(power / (efficiency * lhv)) / 3600.0)


def run_powertrain(
    spec: PowertrainSpec,
    speed_ms: np.ndarray,
    accel_ms2: np.ndarray,
    levels: EnergyLevels,
    *,
    outside_c: float,
) -> PowertrainTrace:
    """Energy use for a 1 Hz trace; updates ``levels`` (fuel and battery left) in place."""
    wheel = wheel_power_kw(spec, speed_ms, accel_ms2)
    aux = auxiliary_kw(spec, outside_c)
    if spec.powertrain is Powertrain.bev:
        return _electric(spec, wheel, aux, levels)
    if spec.is_hybrid:
        return _hybrid(spec, speed_ms, wheel, aux, levels)
    return _combustion(spec, speed_ms, wheel, aux, levels)


def _combustion(
    spec: PowertrainSpec,
    speed_ms: np.ndarray,
    wheel: np.ndarray,
    aux: float,
    levels: EnergyLevels,
) -> PowertrainTrace:
    idle_kw = 2.2  # no start-stop: an idling engine burns about 0.8 l/h
    engine = np.where(speed_ms > 0.1, np.maximum(wheel, 0.0) / DRIVELINE_EFFICIENCY + aux, idle_kw)
    fuel = _engine_fuel_l(spec, engine, hybrid=False)
    if levels.fuel_l is not None:
        levels.fuel_l = max(0.0, levels.fuel_l - fuel)
    return PowertrainTrace(None, None, fuel, None, None)


def _electric(
    spec: PowertrainSpec, wheel: np.ndarray, aux: float, levels: EnergyLevels
) -> PowertrainTrace:
    traction = np.where(
        wheel >= 0,
        wheel / MOTOR_EFFICIENCY,
        np.maximum(wheel * REGEN_EFFICIENCY, -spec.max_regen_kw),
    )
    battery = traction + aux
    regenerated = float(-np.sum(np.minimum(battery, 0.0)) / 3600.0)
    net = float(np.sum(battery) / 3600.0)
    if levels.battery_kwh is not None:
        capacity = spec.battery_kwh or 0.0
        levels.battery_kwh = min(capacity, max(0.0, levels.battery_kwh - net))
    return PowertrainTrace(None, battery, None, net, regenerated)


def _hybrid(
    spec: PowertrainSpec,
    speed_ms: np.ndarray,
    wheel: np.ndarray,
    aux: float,
    levels: EnergyLevels,
) -> PowertrainTrace:
    """Sample by sample, because whether the engine may stay off depends on the charge left."""
    capacity = spec.battery_kwh or 1.0
    charge = levels.battery_kwh if levels.battery_kwh is not None else capacity * 0.6
    plug_in = spec.powertrain is Powertrain.phev
    # A full hybrid keeps its small battery between 40 % and 80 %; a plug-in drives on the
    # battery down to its buffer and then holds the charge around it.
    floor = capacity * (spec.buffer_pct / 100 if plug_in else 0.40)
    target = floor + capacity * (0.04 if plug_in else 0.20)
    count = len(speed_ms)
    ev_mode = np.zeros(count, dtype=bool)
    battery_kw = np.zeros(count)
    engine_kw = np.zeros(count)
    recovered_kw = np.zeros(count)
    depleted = charge <= floor
    for i in range(count):
        moving = speed_ms[i] > 0.1
        demand = float(wheel[i])
        if demand < 0:  # braking or coasting: engine off, recover what the motor can
            battery_kw[i] = max(demand * REGEN_EFFICIENCY, -spec.max_regen_kw)
            recovered_kw[i] = -battery_kw[i]
            ev_mode[i] = moving
        elif not moving:  # standing: the engine is off, electronics run from the battery
            battery_kw[i] = aux
        else:
            electric_ok = (
                charge > floor + (capacity * 0.02 if depleted else 0.0)
                and speed_ms[i] * 3.6 <= spec.ev_max_kmh
                and demand <= spec.ev_max_kw
            )
            if electric_ok:
                battery_kw[i] = demand / MOTOR_EFFICIENCY + aux
                ev_mode[i] = True
            else:
                top_up = 4.0 if charge < target else 0.0
                engine_kw[i] = demand / DRIVELINE_EFFICIENCY + aux + top_up
                battery_kw[i] = -top_up * REGEN_EFFICIENCY
        charge = min(capacity, max(0.0, charge - battery_kw[i] / 3600.0))
        depleted = charge <= floor if not depleted else charge < floor + capacity * 0.02
    fuel = _engine_fuel_l(spec, engine_kw, hybrid=True)
    if levels.fuel_l is not None:
        levels.fuel_l = max(0.0, levels.fuel_l - fuel)
    start = levels.battery_kwh if levels.battery_kwh is not None else charge
    levels.battery_kwh = charge
    if not plug_in:
        return PowertrainTrace(ev_mode, None, fuel, None, None)
    regenerated = float(np.sum(recovered_kw) / 3600.0)
    return PowertrainTrace(ev_mode, battery_kw, fuel, start - charge, regenerated)
