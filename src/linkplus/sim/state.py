"""What a simulated car is like right now: body, lights, energy, tyres, position, security.

One mutable object per car with plain fields and small verbs (``lock``, ``park``, ...), so the
remote-control feature can apply commands to it with the same rules the car checks, and
``signals`` turns it into the protocol's VSS readings. Nothing here does I/O or reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from linkplus.protocol.signals import DOOR_POSITIONS, WHEELS, SignalValue
from linkplus.protocol.vehicle import SignalReading
from linkplus.sim.powertrains import EnergyLevels, PowertrainSpec

DOORS = tuple(f"{row}.{side}" for row, side, _ in DOOR_POSITIONS)
TYRES = tuple(f"{row}.{side}" for row, side, _ in WHEELS)
NOMINAL_TYRE_KPA = 250.0
LOW_TYRE_KPA = 200.0
RESTING_VOLTAGE = 12.6
RUNNING_VOLTAGE = 14.2


@dataclass
class Door:
    is_open: bool = False
    is_locked: bool = True
    window_pct: int = 0


@dataclass
class Charging:
    cable_connected: bool = False
    is_charging: bool = False
    limit_pct: int = 80
    power_kw: float = 0.0  # at the plug; a home wallbox gives 7.4 kW


@dataclass
class RemoteRuns:
    """What runs in the parked car because of a remote command, and until when (simulated time).

    The car keeps its own timers: the platform only knows what it asked for, so after a lost
    answer the two may disagree, and the car's word (its next status) is the one that counts.
    """

    hazard_until: datetime | None = None
    climate_since: datetime | None = None
    climate_until: datetime | None = None
    climate_renewals_used: int = 0
    climate_settings: dict[str, object] = field(default_factory=dict)
    engine_since: datetime | None = None  # the engine runs for basic climate or a remote start
    engine_until: datetime | None = None


@dataclass
class VehicleState:
    spec: PowertrainSpec
    levels: EnergyLevels
    odometer_km: float
    lat: float
    lon: float
    heading_deg: float = 0.0
    position_at: datetime | None = None
    doors: dict[str, Door] = field(default_factory=lambda: {name: Door() for name in DOORS})
    boot_open: bool = False
    boot_locked: bool = True
    hood_open: bool = False
    sunroof_pct: int = 0
    low_beam: bool = False
    high_beam: bool = False
    parking_lights: bool = False
    hazard_on: bool = False
    engine_on: bool = False
    ignition_on: bool = False  # the driver's key or start button (a remote start is not)
    occupants: int = 0  # people in the car, as the seat sensors count them
    battery_connected: bool = True  # the 12 V battery's terminals (a thief may pull them)
    speed_kmh: float = 0.0
    speed_cap_kmh: int | None = None  # set by the digital key that opened the car (sim.keys)
    tyres_kpa: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(TYRES, NOMINAL_TYRE_KPA)
    )
    voltage_12v: float = RESTING_VOLTAGE
    outside_c: float = 10.0
    smart_key_inside: bool = False
    locked_with_physical_key: bool = False
    alarm_armed: bool = True
    alarm_triggered: bool = False
    warning_lights: set[str] = field(default_factory=set)
    trouble_codes: set[str] = field(default_factory=set)  # OBD-II codes active now
    oil_level: str | None = None  # VSS EngineOil.Level; None: the car has no oil sensor
    distance_to_service_km: float | None = None  # None: the car does not schedule its service
    rear_seat_reminder: bool = False
    privacy_mode: bool = False
    electric_drive_active: bool = False
    charging: Charging = field(default_factory=Charging)
    # Recent consumption, for the range the dashboard shows.
    litres_per_100km: float = 6.0
    kwh_per_100km: float = 17.0
    # The cabin settings of the last trip, which basic remote climate switches back on.
    cabin_settings: dict[str, object] = field(
        default_factory=lambda: {"temperature_c": 21.0, "seat_heating": {"driver": 1}}
    )
    remote: RemoteRuns = field(default_factory=RemoteRuns)

    # --- verbs ---------------------------------------------------------------------------

    @property
    def is_locked(self) -> bool:
        return all(door.is_locked for door in self.doors.values()) and self.boot_locked

    @property
    def any_door_open(self) -> bool:
        return any(door.is_open for door in self.doors.values())

    def lock(self, *, physical_key: bool = False) -> None:
        for door in self.doors.values():
            door.is_locked = True
        self.boot_locked = True
        self.alarm_armed = True
        self.locked_with_physical_key = physical_key

    def capped(self, speed_kmh: float) -> float:
        """The speed the car lets itself reach under its digital key's limit."""
        return speed_kmh if self.speed_cap_kmh is None else min(speed_kmh, self.speed_cap_kmh)

    def unlock(self) -> None:
        for door in self.doors.values():
            door.is_locked = False
        self.boot_locked = False
        self.alarm_armed = False
        self.alarm_triggered = False
        self.locked_with_physical_key = False

    def report_fault(self, light: str | None, codes: tuple[str, ...] = ()) -> None:
        """A fault: the warning light ``light`` comes on, with the trouble codes it stored."""
        if light is not None:
            self.warning_lights.add(light)
        self.trouble_codes.update(codes)

    def clear_faults(self) -> None:
        """The workshop repaired the car and cleared its codes: every light goes out."""
        self.warning_lights.clear()
        self.trouble_codes.clear()

    def close_everything(self) -> None:
        for door in self.doors.values():
            door.is_open = False
            door.window_pct = 0
        self.boot_open = False
        self.hood_open = False
        self.sunroof_pct = 0

    @property
    def soc_pct(self) -> float | None:
        capacity = self.spec.battery_kwh
        if capacity is None or self.levels.battery_kwh is None:
            return None
        return max(0.0, min(100.0, 100.0 * self.levels.battery_kwh / capacity))

    @property
    def fuel_pct(self) -> float | None:
        if self.spec.tank_l is None or self.levels.fuel_l is None:
            return None
        return max(0.0, min(100.0, 100.0 * self.levels.fuel_l / self.spec.tank_l))

    def fuel_range_m(self) -> int | None:
        if self.levels.fuel_l is None or not self.spec.burns_fuel:
            return None
        return int(self.levels.fuel_l / self.litres_per_100km * 100_000)

    def electric_range_m(self) -> int | None:
        soc = self.soc_pct
        if soc is None or not self.spec.is_electric:
            return None
        usable = max(0.0, soc - self.spec.buffer_pct) / 100 * (self.spec.battery_kwh or 0.0)
        return int(usable / self.kwh_per_100km * 100_000)

    # --- readings ------------------------------------------------------------------------

    def signals(self, ts: datetime) -> list[SignalReading]:
        """Every signal this car has, as the unit would report it at ``ts``."""
        values: dict[str, SignalValue] = {}
        for name, door in self.doors.items():
            base = f"Vehicle.Cabin.Door.{name}"
            values[f"{base}.IsOpen"] = door.is_open
            values[f"{base}.IsLocked"] = door.is_locked
            values[f"{base}.Window.Position"] = door.window_pct
        values |= {
            "Vehicle.Body.Trunk.Rear.IsOpen": self.boot_open,
            "Vehicle.Body.Trunk.Rear.IsLocked": self.boot_locked,
            "Vehicle.Body.Hood.IsOpen": self.hood_open,
            "Vehicle.Cabin.Sunroof.Position": self.sunroof_pct,
            "Vehicle.Body.Lights.Beam.Low.IsOn": self.low_beam,
            "Vehicle.Body.Lights.Beam.High.IsOn": self.high_beam,
            "Vehicle.Body.Lights.Parking.IsOn": self.parking_lights,
            "Vehicle.Body.Lights.Hazard.IsSignaling": self.hazard_on,
            "Vehicle.TraveledDistance": round(self.odometer_km, 1),
            "Vehicle.LowVoltageBattery.CurrentVoltage": round(self.voltage_12v, 2),
            "Vehicle.Exterior.AirTemperature": self.outside_c,
            "Vehicle.Speed": round(self.speed_kmh, 1),
            "Vehicle.LowVoltageSystemState": "ON" if self.engine_on else "OFF",
            "Vehicle.Private.LinkPlus.Alarm.IsArmed": self.alarm_armed,
            "Vehicle.Private.LinkPlus.Alarm.IsTriggered": self.alarm_triggered,
            "Vehicle.Private.LinkPlus.SmartKey.IsInside": self.smart_key_inside,
            "Vehicle.Private.LinkPlus.WarningLights.Active": sorted(self.warning_lights),
            "Vehicle.OBD.DTCList": sorted(self.trouble_codes),
            "Vehicle.Private.LinkPlus.RearSeatReminder.IsActive": self.rear_seat_reminder,
            "Vehicle.Private.LinkPlus.PrivacyMode.IsOn": self.privacy_mode,
            "Vehicle.Private.LinkPlus.DigitalKey.MaxSpeed": self.speed_cap_kmh or 0,
        }
        if self.oil_level is not None:
            values["Vehicle.Powertrain.CombustionEngine.EngineOil.Level"] = self.oil_level
        if self.distance_to_service_km is not None:
            values["Vehicle.Service.DistanceToService"] = round(self.distance_to_service_km, 1)
        for name, kpa in self.tyres_kpa.items():
            row, side = name.split(".")
            values[f"Vehicle.Chassis.Axle.{row}.Wheel.{side}.Tire.Pressure"] = round(kpa)
        values |= self._energy_values()
        readings = [SignalReading(path=p, value=v, ts=ts) for p, v in values.items()]
        return readings + self.position_signals(ts)

    def _energy_values(self) -> dict[str, SignalValue]:
        values: dict[str, SignalValue] = {}
        fuel_pct, fuel_range = self.fuel_pct, self.fuel_range_m()
        if fuel_pct is not None and fuel_range is not None:
            values["Vehicle.Powertrain.FuelSystem.RelativeLevel"] = round(fuel_pct, 1)
            values["Vehicle.Powertrain.FuelSystem.Range"] = fuel_range
        soc, electric_range = self.soc_pct, self.electric_range_m()
        if self.spec.is_hybrid:
            values["Vehicle.Private.LinkPlus.Powertrain.IsElectricDriveActive"] = (
                self.electric_drive_active
            )
        if soc is not None and electric_range is not None:
            charging = self.charging
            values |= {
                "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current": round(soc, 1),
                "Vehicle.Powertrain.TractionBattery.Range": electric_range,
                "Vehicle.Powertrain.TractionBattery.Charging.IsCharging": charging.is_charging,
                "Vehicle.Powertrain.TractionBattery.Charging.IsChargingCableConnected": (
                    charging.cable_connected
                ),
                "Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit": charging.limit_pct,
                "Vehicle.Powertrain.TractionBattery.Charging.TimeToComplete": (
                    self.seconds_to_charge_limit()
                ),
                "Vehicle.Powertrain.TractionBattery.CurrentPower": round(
                    charging.power_kw * 1000 if charging.is_charging else 0.0, 1
                ),
            }
        total = (fuel_range or 0) + (electric_range or 0)
        values["Vehicle.Powertrain.Range"] = min(total, 5_000_000)
        return values

    def seconds_to_charge_limit(self) -> int:
        soc, capacity = self.soc_pct, self.spec.battery_kwh
        if not self.charging.is_charging or soc is None or capacity is None:
            return 0
        missing_kwh = max(0.0, (self.charging.limit_pct - soc) / 100 * capacity)
        power = max(self.charging.power_kw * 0.9, 0.1)
        return min(int(missing_kwh / power * 3600), 7 * 24 * 3600)

    def position_signals(self, ts: datetime, *, for_a_case: bool = False) -> list[SignalReading]:
        """Nothing while privacy mode is on: the unit does not share where the car is, unless
        a safety case needs it (``for_a_case``: stolen-vehicle tracking)."""
        if self.privacy_mode and not for_a_case:
            return []
        fixed = self.position_at or ts
        values: dict[str, SignalValue] = {
            "Vehicle.CurrentLocation.Latitude": round(self.lat, 6),
            "Vehicle.CurrentLocation.Longitude": round(self.lon, 6),
            "Vehicle.CurrentLocation.Heading": round(self.heading_deg % 360, 1),
            "Vehicle.CurrentLocation.HorizontalAccuracy": 4.0,
            "Vehicle.CurrentLocation.Timestamp": fixed.isoformat(),
        }
        return [SignalReading(path=p, value=v, ts=fixed) for p, v in values.items()]
