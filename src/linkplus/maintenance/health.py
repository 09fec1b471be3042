"""The health report of one car, from what it last reported. Pure.

Tyre and 12 V judgements use fixed figures (documented in docs/maintenance.md): the car's own
warning lights decide what is a fault; these words only help read the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from linkplus.maintenance import explanations
from linkplus.maintenance.explanations import Explanation, Severity
from linkplus.vehicle_link.car_health import CarHealth

TYRE_LOW_KPA = 200  # below this a tyre is low (typical cold pressures are 220 to 260 kPa)
TYRE_HIGH_KPA = 320
BATTERY_LOW_V = 12.2  # a parked 12 V battery below this is under about half charge
BATTERY_FLAT_V = 11.8  # below this the car may not start
OIL_WORDS = {
    "CRITICALLY_LOW": ("critically low", Severity.stop),
    "LOW": ("low", Severity.soon),
    "NORMAL": ("normal", Severity.info),
    "HIGH": ("high", Severity.soon),
    "CRITICALLY_HIGH": ("critically high", Severity.stop),
}


@dataclass(frozen=True)
class Tyre:
    position: str
    kpa: int
    judgement: str  # ok, low, high


@dataclass(frozen=True)
class Battery:
    volts: float
    judgement: str  # ok, low, flat


@dataclass(frozen=True)
class Oil:
    level: str
    words: str
    severity: Severity


@dataclass(frozen=True)
class HealthReport:
    warnings: list[Explanation]  # lights on now, most serious first
    trouble_codes: list[Explanation]
    tyres: list[Tyre]
    battery: Battery | None
    oil: Oil | None
    odometer_km: float | None
    reported_at: datetime | None  # the newest of the readings shown
    overall: Severity | None  # the most serious of warnings, codes and oil; None: all well


def _tyre(position: str, kpa: int) -> Tyre:
    judgement = "low" if kpa < TYRE_LOW_KPA else "high" if kpa > TYRE_HIGH_KPA else "ok"
    return Tyre(position, kpa, judgement)


def _battery(volts: float) -> Battery:
    judgement = "flat" if volts < BATTERY_FLAT_V else "low" if volts < BATTERY_LOW_V else "ok"
    return Battery(round(volts, 2), judgement)


def report(health: CarHealth) -> HealthReport:
    lights = health.warning_lights.value if health.warning_lights else ()
    codes = health.trouble_codes.value if health.trouble_codes else ()
    warnings = sorted((explanations.light(c) for c in lights), key=lambda e: e.severity.rank)
    explained = sorted(
        (explanations.trouble_code(c) for c in codes), key=lambda e: (e.severity.rank, e.code)
    )
    oil = None
    if health.oil_level is not None and health.oil_level.value in OIL_WORDS:
        words, severity = OIL_WORDS[health.oil_level.value]
        oil = Oil(health.oil_level.value, words, severity)
    concerns = [e.severity for e in warnings + explained]
    if oil is not None and oil.severity is not Severity.info:
        concerns.append(oil.severity)
    moments = [
        r.ts
        for r in (
            health.warning_lights,
            health.trouble_codes,
            health.voltage_12v,
            health.oil_level,
            health.odometer_km,
            *health.tyres_kpa.values(),
        )
        if r is not None
    ]
    return HealthReport(
        warnings=warnings,
        trouble_codes=explained,
        tyres=[_tyre(position, r.value) for position, r in health.tyres_kpa.items()],
        battery=_battery(health.voltage_12v.value) if health.voltage_12v else None,
        oil=oil,
        odometer_km=health.odometer_km.value if health.odometer_km else None,
        reported_at=max(moments) if moments else None,
        overall=min(concerns, key=lambda s: s.rank) if concerns else None,
    )
