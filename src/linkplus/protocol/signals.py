"""The signals a telematics unit may report: COVESA VSS names plus the project's own extensions.

This table is the source of truth for protocol version 1: the parser accepts only these paths,
each with its value type and range, and docs/vehicle-protocol.md lists the same table. Names
follow VSS 4.x; where VSS has no signal for something an owner's app needs (smart key inside,
warning lights, rear-seat reminder, privacy mode, alarm), the signal lives under
``Vehicle.Private.LinkPlus`` so it can never collide with a future VSS name.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

EXTENSION_PREFIX = "Vehicle.Private.LinkPlus."

SignalValue = bool | int | float | str | list[str]


class SignalType(StrEnum):
    boolean = "boolean"
    integer = "integer"  # JSON integer only
    number = "number"  # JSON integer or decimal, finite
    text = "string"  # one of ``allowed`` when that is set
    timestamp = "timestamp"  # ISO 8601 string with a UTC offset
    text_set = "string[]"  # distinct members of ``allowed``


@dataclass(frozen=True)
class Signal:
    path: str
    type: SignalType
    unit: str | None
    description: str
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] = ()
    pattern: str | None = None  # ``string[]`` without ``allowed``: each member matches this
    max_items: int | None = None  # ``string[]``: at most this many members

    @property
    def is_extension(self) -> bool:
        return self.path.startswith(EXTENSION_PREFIX)


def _bool(path: str, description: str) -> Signal:
    return Signal(path, SignalType.boolean, None, description)


def _num(path: str, unit: str, description: str, lo: float, hi: float) -> Signal:
    return Signal(path, SignalType.number, unit, description, lo, hi)


def _int(path: str, unit: str, description: str, lo: int, hi: int) -> Signal:
    return Signal(path, SignalType.integer, unit, description, lo, hi)


WARNING_LIGHTS = (
    "engine",  # malfunction indicator
    "oil_pressure",
    "coolant_temperature",
    "brake_system",
    "abs",
    "airbag",
    "battery_charge",
    "tire_pressure",
    "traction_battery",
    "service_due",
)

ENGINE_OIL_LEVELS = ("CRITICALLY_LOW", "LOW", "NORMAL", "HIGH", "CRITICALLY_HIGH")
"""VSS 4.x ``Vehicle.Powertrain.CombustionEngine.EngineOil.Level``: the oil level as the car judges
it (VSS gives the levels, not a measurement)."""

DTC_PATTERN = r"[PCBU][0-3][0-9A-F]{3}"
"""An OBD-II diagnostic trouble code as SAE J2012 writes it: the system letter (P powertrain,
C chassis, B body, U network), then four characters (the first 0 to 3)."""
DTC_MAX = 64

LOW_VOLTAGE_SYSTEM_STATES = ("UNDEFINED", "LOCK", "OFF", "ACC", "ON", "START")

DOOR_POSITIONS = (
    ("Row1", "DriverSide", "front left"),
    ("Row1", "PassengerSide", "front right"),
    ("Row2", "DriverSide", "rear left"),
    ("Row2", "PassengerSide", "rear right"),
)
WHEELS = (
    ("Row1", "Left", "front left"),
    ("Row1", "Right", "front right"),
    ("Row2", "Left", "rear left"),
    ("Row2", "Right", "rear right"),
)


def _doors() -> list[Signal]:
    signals: list[Signal] = []
    for row, side, words in DOOR_POSITIONS:
        base = f"Vehicle.Cabin.Door.{row}.{side}"
        signals += [
            _bool(f"{base}.IsOpen", f"The {words} door is open."),
            _bool(f"{base}.IsLocked", f"The {words} door is locked."),
            _int(
                f"{base}.Window.Position",
                "percent",
                f"The {words} window: 0 fully closed, 100 fully open.",
                0,
                100,
            ),
        ]
    return signals


def _tyres() -> list[Signal]:
    return [
        _int(
            f"Vehicle.Chassis.Axle.{row}.Wheel.{side}.Tire.Pressure",
            "kPa",
            f"Tyre pressure, {words}.",
            0,
            1000,
        )
        for row, side, words in WHEELS
    ]


_SIGNALS: list[Signal] = [
    *_doors(),
    _bool("Vehicle.Body.Trunk.Rear.IsOpen", "The boot (rear trunk) is open."),
    _bool("Vehicle.Body.Trunk.Rear.IsLocked", "The boot (rear trunk) is locked."),
    _bool("Vehicle.Body.Hood.IsOpen", "The bonnet (hood) is open."),
    _int(
        "Vehicle.Cabin.Sunroof.Position",
        "percent",
        "Sunroof: 0 closed, 100 fully open, negative values tilted (-100 fully tilted).",
        -100,
        100,
    ),
    _bool("Vehicle.Body.Lights.Beam.Low.IsOn", "Low beam (headlights) on."),
    _bool("Vehicle.Body.Lights.Beam.High.IsOn", "High beam on."),
    _bool("Vehicle.Body.Lights.Parking.IsOn", "Parking lights on."),
    _bool("Vehicle.Body.Lights.Hazard.IsSignaling", "Hazard lights flashing."),
    _num(
        "Vehicle.Powertrain.FuelSystem.RelativeLevel",
        "percent",
        "Fuel left in the tank.",
        0,
        100,
    ),
    _int(
        "Vehicle.Powertrain.FuelSystem.Range",
        "m",
        "Range on the fuel left in the tank.",
        0,
        5_000_000,
    ),
    _int(
        "Vehicle.Powertrain.Range",
        "m",
        "Range on all energy sources together.",
        0,
        5_000_000,
    ),
    _num(
        "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
        "percent",
        "Charge of the traction (high-voltage) battery.",
        0,
        100,
    ),
    _int(
        "Vehicle.Powertrain.TractionBattery.Range",
        "m",
        "Electric range on the charge left in the traction battery.",
        0,
        5_000_000,
    ),
    _bool("Vehicle.Powertrain.TractionBattery.Charging.IsCharging", "The car is charging."),
    _bool(
        "Vehicle.Powertrain.TractionBattery.Charging.IsChargingCableConnected",
        "A charging cable is plugged in.",
    ),
    _int(
        "Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit",
        "percent",
        "Charging stops at this state of charge.",
        0,
        100,
    ),
    _int(
        "Vehicle.Powertrain.TractionBattery.Charging.TimeToComplete",
        "s",
        "Time left until the charge limit is reached.",
        0,
        7 * 24 * 3600,
    ),
    _num(
        "Vehicle.Powertrain.TractionBattery.CurrentPower",
        "W",
        "Power flowing into (negative: out of) the traction battery.",
        -1_000_000,
        1_000_000,
    ),
    _num("Vehicle.TraveledDistance", "km", "Odometer.", 0, 10_000_000),
    Signal(
        "Vehicle.OBD.DTCList",
        SignalType.text_set,
        None,
        "Diagnostic trouble codes the car holds active (OBD-II, SAE J2012; empty list: none).",
        pattern=DTC_PATTERN,
        max_items=DTC_MAX,
    ),
    Signal(
        "Vehicle.Powertrain.CombustionEngine.EngineOil.Level",
        SignalType.text,
        None,
        "Engine oil level as the car judges it (cars with a combustion engine and an oil sensor).",
        allowed=ENGINE_OIL_LEVELS,
    ),
    _num(
        "Vehicle.Service.DistanceToService",
        "km",
        "Distance left until the next service the car itself schedules (negative: overdue).",
        -100_000,
        100_000,
    ),
    *_tyres(),
    _num(
        "Vehicle.LowVoltageBattery.CurrentVoltage",
        "V",
        "Voltage of the 12 V battery.",
        0,
        60,
    ),
    _num("Vehicle.CurrentLocation.Latitude", "degrees", "Latitude (WGS 84).", -90, 90),
    _num("Vehicle.CurrentLocation.Longitude", "degrees", "Longitude (WGS 84).", -180, 180),
    _num("Vehicle.CurrentLocation.Heading", "degrees", "Heading, clockwise from north.", 0, 360),
    _num(
        "Vehicle.CurrentLocation.HorizontalAccuracy",
        "m",
        "Accuracy of latitude and longitude.",
        0,
        100_000,
    ),
    Signal(
        "Vehicle.CurrentLocation.Timestamp",
        SignalType.timestamp,
        None,
        "When the position was fixed (GNSS time).",
    ),
    _num("Vehicle.Speed", "km/h", "Vehicle speed.", -100, 500),
    Signal(
        "Vehicle.LowVoltageSystemState",
        SignalType.text,
        None,
        "Ignition / power state: LOCK or OFF parked, ACC accessories, ON running, START cranking.",
        allowed=LOW_VOLTAGE_SYSTEM_STATES,
    ),
    _num("Vehicle.Exterior.AirTemperature", "celsius", "Outside air temperature.", -100, 100),
    # Extensions: things VSS does not (yet) name.
    _bool("Vehicle.Private.LinkPlus.Alarm.IsArmed", "The anti-theft alarm is armed."),
    _bool("Vehicle.Private.LinkPlus.Alarm.IsTriggered", "The anti-theft alarm is sounding."),
    _bool(
        "Vehicle.Private.LinkPlus.Lock.IsLockedWithKey",
        "The car was locked with the physical key (remote unlock is then refused).",
    ),
    _bool("Vehicle.Private.LinkPlus.SmartKey.IsInside", "A smart key is inside the car."),
    Signal(
        "Vehicle.Private.LinkPlus.WarningLights.Active",
        SignalType.text_set,
        None,
        "Warning lights lit on the instrument cluster (empty list: none).",
        allowed=WARNING_LIGHTS,
    ),
    _bool(
        "Vehicle.Private.LinkPlus.RearSeatReminder.IsActive",
        "A rear door was used before the trip: remind the driver to check the back seat.",
    ),
    _bool(
        "Vehicle.Private.LinkPlus.PrivacyMode.IsOn",
        "Privacy mode: the unit does not share its position.",
    ),
    _bool(
        "Vehicle.Private.LinkPlus.Powertrain.IsElectricDriveActive",
        "A hybrid is driving on electric power only (EV mode).",
    ),
    _int(
        "Vehicle.Private.LinkPlus.DigitalKey.MaxSpeed",
        "km/h",
        "The speed limit the car applies for the digital key that opened it (0: none).",
        0,
        300,
    ),
]

SIGNALS: dict[str, Signal] = {signal.path: signal for signal in _SIGNALS}
assert len(SIGNALS) == len(_SIGNALS), "duplicate signal path"


def lookup(path: str) -> Signal | None:
    return SIGNALS.get(path)


def value_problem(signal: Signal, value: object) -> str | None:
    """Why ``value`` is not a valid reading of ``signal``; None when it is.

    Never raises: the gateway runs it on untrusted input. Booleans are not numbers here (JSON
    ``true`` is not ``1``), and numbers are compared to their range without converting them,
    so a huge integer cannot overflow a float.
    """
    match signal.type:
        case SignalType.boolean:
            return None if isinstance(value, bool) else "expected true or false"
        case SignalType.integer:
            if isinstance(value, bool) or not isinstance(value, int):
                return "expected an integer"
            return _range_problem(signal, value)
        case SignalType.number:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return "expected a number"
            if isinstance(value, float) and not math.isfinite(value):
                return "expected a finite number"
            return _range_problem(signal, value)
        case SignalType.text:
            if not isinstance(value, str):
                return "expected a string"
            if signal.allowed and value not in signal.allowed:
                return f"expected one of {', '.join(signal.allowed)}"
            return None
        case SignalType.timestamp:
            return (
                None
                if isinstance(value, str) and _is_aware_timestamp(value)
                else ("expected an ISO 8601 timestamp with a UTC offset")
            )
        case SignalType.text_set:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return "expected a list of strings"
            if len(set(value)) != len(value):
                return "expected distinct values"
            if signal.max_items is not None and len(value) > signal.max_items:
                return f"expected at most {signal.max_items} values"
            if signal.pattern is not None:
                wrong = [v for v in value if not re.fullmatch(signal.pattern, v)]
                return f"{wrong[0][:20]!r} does not match {signal.pattern}" if wrong else None
            unknown = [v for v in value if v not in signal.allowed]
            return f"unknown value {unknown[0]!r}" if unknown else None
    return "unsupported signal type"  # pragma: no cover - every SignalType is matched above


def _range_problem(signal: Signal, value: int | float) -> str | None:
    if signal.minimum is not None and value < signal.minimum:
        return f"below the minimum {signal.minimum:g}"
    if signal.maximum is not None and value > signal.maximum:
        return f"above the maximum {signal.maximum:g}"
    return None


def _is_aware_timestamp(text: str) -> bool:
    if len(text) > 40:
        return False
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return False
    return parsed.tzinfo is not None
