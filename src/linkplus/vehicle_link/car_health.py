"""The car's health signals as the maintenance feature needs them, read from the vehicle twin.

Like ``car_state``: the vehicle link owns the signal names (docs/vehicle-protocol.md, "Health
signals"); maintenance reads this typed state. Pure: twin values in, a ``CarHealth`` out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from linkplus.vehicle_link.status import LOW_VOLTAGE, ODOMETER, WARNING_LIGHTS, Values, tyre_paths

TROUBLE_CODES = "Vehicle.OBD.DTCList"
OIL_LEVEL = "Vehicle.Powertrain.CombustionEngine.EngineOil.Level"
DISTANCE_TO_SERVICE = "Vehicle.Service.DistanceToService"


T = TypeVar("T")


@dataclass(frozen=True)
class Reading(Generic[T]):
    value: T
    ts: datetime  # when the car measured it


@dataclass(frozen=True)
class CarHealth:
    """What the car last reported; None where it never reported the signal."""

    warning_lights: Reading[tuple[str, ...]] | None
    trouble_codes: Reading[tuple[str, ...]] | None
    tyres_kpa: dict[str, Reading[int]]  # by position in words' key: "front_left" ...
    voltage_12v: Reading[float] | None
    oil_level: Reading[str] | None
    odometer_km: Reading[float] | None
    distance_to_service_km: Reading[float] | None


def _number(values: Values, path: str) -> Reading[float] | None:
    found = values.get(path)
    if found is None or isinstance(found[0], bool) or not isinstance(found[0], int | float):
        return None
    return Reading(float(found[0]), found[1])


def _texts(values: Values, path: str) -> Reading[tuple[str, ...]] | None:
    found = values.get(path)
    if found is None or not isinstance(found[0], list):
        return None
    return Reading(tuple(sorted(found[0])), found[1])


def car_health(values: Values) -> CarHealth:
    tyres: dict[str, Reading[int]] = {}
    for position, path in tyre_paths():
        found = values.get(path)
        if found is not None and isinstance(found[0], int) and not isinstance(found[0], bool):
            tyres[position] = Reading(found[0], found[1])
    oil = values.get(OIL_LEVEL)
    return CarHealth(
        warning_lights=_texts(values, WARNING_LIGHTS),
        trouble_codes=_texts(values, TROUBLE_CODES),
        tyres_kpa=tyres,
        voltage_12v=_number(values, LOW_VOLTAGE),
        oil_level=Reading(oil[0], oil[1]) if oil is not None and isinstance(oil[0], str) else None,
        odometer_km=_number(values, ODOMETER),
        distance_to_service_km=_number(values, DISTANCE_TO_SERVICE),
    )
