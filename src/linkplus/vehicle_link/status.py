"""The vehicle status an owner sees, from the twin's latest values. Pure.

A unit that has not been used for ``SLEEP_AFTER`` sleeps and answers nothing until the engine is
started (docs/vehicle-protocol.md). The platform knows that from the ``sleeping`` event, and also
without it: a car whose last ignition is that long ago is asleep, even if its ``sleeping`` message
never arrived.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from linkplus.protocol.signals import DOOR_POSITIONS, WHEELS, SignalValue
from linkplus.vehicle_link.schemas import (
    BatteryOut,
    BootOut,
    ChargingOut,
    ConnectionOut,
    ConnectionState,
    DoorOut,
    DoorsOut,
    FuelOut,
    HazardLightsOut,
    HoodOut,
    LightsOut,
    LowVoltageBatteryOut,
    OdometerOut,
    SunroofOut,
    TyreOut,
    TyresOut,
    VehicleStatusOut,
    WarningLightsOut,
    WindowOut,
    WindowsOut,
)
from linkplus.vehicles.catalogue import PLUG_IN, Capability, Powertrain

SLEEP_AFTER = timedelta(days=9)

Values = Mapping[str, tuple[SignalValue, datetime]]
"""Latest value and vehicle timestamp per VSS path."""

DOOR = "Vehicle.Cabin.Door.{row}.{side}"
TRUNK = "Vehicle.Body.Trunk.Rear"
HOOD_OPEN = "Vehicle.Body.Hood.IsOpen"
SUNROOF = "Vehicle.Cabin.Sunroof.Position"
LOW_BEAM = "Vehicle.Body.Lights.Beam.Low.IsOn"
HIGH_BEAM = "Vehicle.Body.Lights.Beam.High.IsOn"
PARKING_LIGHTS = "Vehicle.Body.Lights.Parking.IsOn"
HAZARD = "Vehicle.Body.Lights.Hazard.IsSignaling"
FUEL_LEVEL = "Vehicle.Powertrain.FuelSystem.RelativeLevel"
FUEL_RANGE = "Vehicle.Powertrain.FuelSystem.Range"
SOC = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"
ELECTRIC_RANGE = "Vehicle.Powertrain.TractionBattery.Range"
CHARGING = "Vehicle.Powertrain.TractionBattery.Charging"
BATTERY_POWER = "Vehicle.Powertrain.TractionBattery.CurrentPower"
ODOMETER = "Vehicle.TraveledDistance"
TYRE = "Vehicle.Chassis.Axle.{row}.Wheel.{side}.Tire.Pressure"
LOW_VOLTAGE = "Vehicle.LowVoltageBattery.CurrentVoltage"
WARNING_LIGHTS = "Vehicle.Private.LinkPlus.WarningLights.Active"
REAR_SEAT_REMINDER = "Vehicle.Private.LinkPlus.RearSeatReminder.IsActive"


def key(words: str) -> str:
    return words.replace(" ", "_")


def door_paths() -> list[tuple[str, str]]:
    """(position key, signal prefix) of every door, front left first."""
    return [(key(words), DOOR.format(row=row, side=side)) for row, side, words in DOOR_POSITIONS]


def tyre_paths() -> list[tuple[str, str]]:
    return [(key(words), TYRE.format(row=row, side=side)) for row, side, words in WHEELS]


# --- connection ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkFacts:
    """What the link state says: ``last_heard_at`` on the platform's clock, the rest the car's."""

    last_heard_at: datetime | None
    last_ignition_on_at: datetime | None = None
    last_ignition_off_at: datetime | None = None
    asleep_since: datetime | None = None
    awake_since: datetime | None = None


def _latest(*moments: datetime | None) -> datetime | None:
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def asleep_since(facts: LinkFacts, *, now: datetime) -> datetime | None:
    """Since when the unit sleeps, or None when it is awake (or nothing is known)."""
    woke = _latest(facts.awake_since, facts.last_ignition_on_at)
    if facts.asleep_since is not None and (woke is None or facts.asleep_since > woke):
        return facts.asleep_since
    last_used = _latest(facts.last_ignition_on_at, facts.last_ignition_off_at, facts.awake_since)
    if last_used is not None and now - last_used >= SLEEP_AFTER:
        return last_used + SLEEP_AFTER
    return None


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def connection(
    facts: LinkFacts | None, *, now: datetime, online_within: timedelta
) -> ConnectionOut:
    if facts is None or facts.last_heard_at is None:
        return ConnectionOut(
            state=ConnectionState.unknown,
            last_heard_at=None,
            asleep_since=None,
            message="Not heard from yet: the car reports when its engine is switched off.",
        )
    sleeping = asleep_since(facts, now=now)
    if sleeping is not None:
        return ConnectionOut(
            state=ConnectionState.asleep,
            last_heard_at=facts.last_heard_at,
            asleep_since=sleeping,
            message=(
                f"Asleep since {_when(sleeping)} to protect the 12 V battery. Start the engine "
                "to wake it."
            ),
        )
    if now - facts.last_heard_at <= online_within:
        return ConnectionOut(
            state=ConnectionState.online,
            last_heard_at=facts.last_heard_at,
            asleep_since=None,
            message="Online.",
        )
    return ConnectionOut(
        state=ConnectionState.offline,
        last_heard_at=facts.last_heard_at,
        asleep_since=None,
        message=f"Not heard from since {_when(facts.last_heard_at)}.",
    )


# --- the parts -------------------------------------------------------------------------------


class _Reader:
    def __init__(self, values: Values) -> None:
        self.values = values

    def get(self, path: str) -> SignalValue | None:
        found = self.values.get(path)
        return None if found is None else found[0]

    def flag(self, path: str) -> bool | None:
        value = self.get(path)
        return value if isinstance(value, bool) else None

    def number(self, path: str) -> float | None:
        value = self.get(path)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)

    def integer(self, path: str) -> int | None:
        value = self.number(path)
        return None if value is None else round(value)

    def km(self, path: str) -> float | None:
        metres = self.number(path)
        return None if metres is None else round(metres / 1000, 1)

    def reported_at(self, paths: Iterable[str]) -> datetime | None:
        return _latest(*(self.values[p][1] for p in paths if p in self.values))


def _all(flags: list[bool | None], wanted: bool) -> bool | None:
    """True when every flag is ``wanted``; False as soon as one is not; None while unknown."""
    if any(flag is not None and flag is not wanted for flag in flags):
        return False
    if any(flag is None for flag in flags):
        return None
    return True


def _doors(r: _Reader) -> DoorsOut:
    doors = [
        DoorOut(position=pos, open=r.flag(f"{p}.IsOpen"), locked=r.flag(f"{p}.IsLocked"))
        for pos, p in door_paths()
    ]
    paths = [f"{p}.{leaf}" for _, p in door_paths() for leaf in ("IsOpen", "IsLocked")]
    return DoorsOut(
        all_closed=_all([d.open for d in doors], False),
        all_locked=_all([d.locked for d in doors], True),
        doors=doors,
        reported_at=r.reported_at(paths),
    )


def _windows(r: _Reader) -> WindowsOut:
    windows = [
        WindowOut(position=pos, open_percent=r.integer(f"{p}.Window.Position"))
        for pos, p in door_paths()
    ]
    closed = [None if w.open_percent is None else w.open_percent == 0 for w in windows]
    return WindowsOut(
        all_closed=_all(closed, True),
        windows=windows,
        reported_at=r.reported_at(f"{p}.Window.Position" for _, p in door_paths()),
    )


def _sunroof(r: _Reader) -> SunroofOut | None:
    position = r.integer(SUNROOF)
    if position is None:
        return None  # cars without a sunroof never report one
    return SunroofOut(
        open=position != 0, position_percent=position, reported_at=r.reported_at([SUNROOF])
    )


def _charging(r: _Reader) -> ChargingOut:
    paths = [
        f"{CHARGING}.IsCharging",
        f"{CHARGING}.IsChargingCableConnected",
        f"{CHARGING}.ChargeLimit",
        f"{CHARGING}.TimeToComplete",
        BATTERY_POWER,
    ]
    seconds = r.number(f"{CHARGING}.TimeToComplete")
    watts = r.number(BATTERY_POWER)
    return ChargingOut(
        charging=r.flag(f"{CHARGING}.IsCharging"),
        cable_connected=r.flag(f"{CHARGING}.IsChargingCableConnected"),
        charge_limit_percent=r.integer(f"{CHARGING}.ChargeLimit"),
        minutes_to_complete=None if seconds is None else round(seconds / 60),
        power_kw=None if watts is None else round(watts / 1000, 1),
        reported_at=r.reported_at(paths),
    )


def _warning_lights(r: _Reader) -> WarningLightsOut:
    value = r.get(WARNING_LIGHTS)
    active = sorted(value) if isinstance(value, list) else None
    return WarningLightsOut(active=active, reported_at=r.reported_at([WARNING_LIGHTS]))


def vehicle_status(
    vin: str,
    values: Values,
    *,
    powertrain: Powertrain,
    capabilities: frozenset[Capability],
    connection: ConnectionOut,
) -> VehicleStatusOut:
    """Only the parts the model has: body status with the vehicle-status capability, fuel for
    anything that burns fuel, battery and charging for plug-ins, tyres with tyre pressure."""
    r = _Reader(values)
    body = Capability.vehicle_status in capabilities
    burns_fuel = powertrain is not Powertrain.bev
    plug_in = powertrain in PLUG_IN
    trunk = [f"{TRUNK}.IsOpen", f"{TRUNK}.IsLocked"]
    lights = [LOW_BEAM, HIGH_BEAM, PARKING_LIGHTS]
    low, high = r.flag(LOW_BEAM), r.flag(HIGH_BEAM)
    headlights = None if low is None and high is None else bool(low) or bool(high)
    return VehicleStatusOut(
        vin=vin,
        connection=connection,
        doors=_doors(r) if body else None,
        windows=_windows(r) if body else None,
        boot=BootOut(
            open=r.flag(trunk[0]), locked=r.flag(trunk[1]), reported_at=r.reported_at(trunk)
        )
        if body
        else None,
        hood=HoodOut(open=r.flag(HOOD_OPEN), reported_at=r.reported_at([HOOD_OPEN]))
        if body
        else None,
        sunroof=_sunroof(r) if body else None,
        lights=LightsOut(
            headlights_on=headlights,
            high_beam_on=high,
            parking_lights_on=r.flag(PARKING_LIGHTS),
            reported_at=r.reported_at(lights),
        )
        if body
        else None,
        hazard_lights=HazardLightsOut(on=r.flag(HAZARD), reported_at=r.reported_at([HAZARD]))
        if body
        else None,
        fuel=FuelOut(
            level_percent=r.number(FUEL_LEVEL),
            range_km=r.km(FUEL_RANGE),
            reported_at=r.reported_at([FUEL_LEVEL, FUEL_RANGE]),
        )
        if burns_fuel
        else None,
        battery=BatteryOut(
            charge_percent=r.number(SOC),
            electric_range_km=r.km(ELECTRIC_RANGE),
            reported_at=r.reported_at([SOC, ELECTRIC_RANGE]),
        )
        if plug_in
        else None,
        charging=_charging(r) if plug_in else None,
        odometer=OdometerOut(km=r.number(ODOMETER), reported_at=r.reported_at([ODOMETER])),
        tyres=TyresOut(
            tyres=[TyreOut(position=pos, pressure_kpa=r.integer(p)) for pos, p in tyre_paths()],
            reported_at=r.reported_at(p for _, p in tyre_paths()),
        )
        if Capability.tyre_pressure in capabilities
        else None,
        low_voltage_battery=LowVoltageBatteryOut(
            voltage=r.number(LOW_VOLTAGE), reported_at=r.reported_at([LOW_VOLTAGE])
        ),
        warning_lights=_warning_lights(r),
    )
