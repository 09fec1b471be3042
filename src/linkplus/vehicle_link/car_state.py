"""The car's state as the remote-control checks need it, read from the vehicle twin.

The vehicle link owns the signal names (COVESA VSS, docs/vehicle-protocol.md); other domains ask
for this typed state instead of reading raw paths, so a renamed or new signal changes one place.
Pure: twin values in, a ``CarState`` out.
"""

from __future__ import annotations

from dataclasses import dataclass

from linkplus.protocol.signals import DOOR_POSITIONS
from linkplus.vehicle_link.status import Values

# Built from the protocol's own list of doors, so the names cannot drift from what cars send.
DOOR_SIGNALS = {
    **{
        f"Vehicle.Cabin.Door.{row}.{side}.IsOpen": f"{words} door"
        for row, side, words in DOOR_POSITIONS
    },
    "Vehicle.Body.Trunk.Rear.IsOpen": "boot",
    "Vehicle.Body.Hood.IsOpen": "bonnet",
}
SMART_KEY_SIGNAL = "Vehicle.Private.LinkPlus.SmartKey.IsInside"
ALARM_SIGNAL = "Vehicle.Private.LinkPlus.Alarm.IsTriggered"
PHYSICAL_KEY_SIGNAL = "Vehicle.Private.LinkPlus.Lock.IsLockedWithKey"
BATTERY_SIGNAL = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"
OUTSIDE_SIGNAL = "Vehicle.Exterior.AirTemperature"
POWER_STATE_SIGNAL = "Vehicle.LowVoltageSystemState"
SIGNALS_READ = (
    *DOOR_SIGNALS,
    SMART_KEY_SIGNAL,
    ALARM_SIGNAL,
    PHYSICAL_KEY_SIGNAL,
    BATTERY_SIGNAL,
    OUTSIDE_SIGNAL,
    POWER_STATE_SIGNAL,
)


@dataclass(frozen=True)
class CarState:
    """What the car last reported; None where it never reported the signal."""

    open_doors: tuple[str, ...]  # in words: "driver's door", "boot", ...
    smart_key_inside: bool | None
    alarm_set: bool | None
    locked_with_physical_key: bool | None
    battery_pct: float | None
    outside_c: float | None
    engine_running: bool | None


def _bool(values: Values, path: str) -> bool | None:
    found = values.get(path)
    return found[0] if found is not None and isinstance(found[0], bool) else None


def _number(values: Values, path: str) -> float | None:
    found = values.get(path)
    if found is None or isinstance(found[0], bool) or not isinstance(found[0], int | float):
        return None
    return float(found[0])


def car_state(values: Values) -> CarState:
    power = values.get(POWER_STATE_SIGNAL)
    return CarState(
        open_doors=tuple(name for path, name in DOOR_SIGNALS.items() if _bool(values, path)),
        smart_key_inside=_bool(values, SMART_KEY_SIGNAL),
        alarm_set=_bool(values, ALARM_SIGNAL),
        locked_with_physical_key=_bool(values, PHYSICAL_KEY_SIGNAL),
        battery_pct=_number(values, BATTERY_SIGNAL),
        outside_c=_number(values, OUTSIDE_SIGNAL),
        engine_running=None if power is None else power[0] in ("ON", "START"),
    )
