"""The post-trip check: what the owner should check after leaving the car. Pure.

Two sources: the twin's latest values (the full parked status the car sends after engine-off)
and the alert events the car raised since engine-off. An alert counts unless the car reported
the same part again after raising it (then the newer reading decides: a window closed after the
alert is not open). Each thing to check is listed once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from linkplus.protocol.signals import SignalValue
from linkplus.protocol.vehicle import AlertKind
from linkplus.vehicle_link.status import (
    HAZARD,
    HIGH_BEAM,
    HOOD_OPEN,
    LOW_BEAM,
    PARKING_LIGHTS,
    REAR_SEAT_REMINDER,
    SUNROOF,
    TRUNK,
    WARNING_LIGHTS,
    door_paths,
)

Values = Mapping[str, tuple[SignalValue, datetime]]

ORDER = list(AlertKind)

_LABELS = {
    AlertKind.window_open: "Window open",
    AlertKind.doors_unlocked: "Doors unlocked",
    AlertKind.door_open: "Door open",
    AlertKind.boot_open: "Boot open",
    AlertKind.hood_open: "Bonnet open",
    AlertKind.sunroof_open: "Sunroof open",
    AlertKind.headlights_on: "Headlights on",
    AlertKind.hazard_lights_on: "Hazard lights on",
    AlertKind.warning_light: "Warning light on",
    AlertKind.rear_seat_reminder: "Check the rear seat",
}

_WARNING_WORDS = {
    "engine": "engine",
    "oil_pressure": "oil pressure",
    "coolant_temperature": "coolant temperature",
    "brake_system": "brakes",
    "abs": "ABS",
    "airbag": "airbag",
    "battery_charge": "battery charge",
    "tire_pressure": "tyre pressure",
    "traction_battery": "high-voltage battery",
    "service_due": "service due",
}


@dataclass(frozen=True)
class Finding:
    kind: AlertKind
    text: str


@dataclass(frozen=True)
class RaisedAlert:
    kind: AlertKind
    detail: str | None
    occurred_at: datetime


def _related_paths(kind: AlertKind) -> list[str]:
    doors = [prefix for _, prefix in door_paths()]
    match kind:
        case AlertKind.window_open:
            return [f"{d}.Window.Position" for d in doors]
        case AlertKind.doors_unlocked:
            return [f"{d}.IsLocked" for d in doors] + [f"{TRUNK}.IsLocked"]
        case AlertKind.door_open:
            return [f"{d}.IsOpen" for d in doors]
        case AlertKind.boot_open:
            return [f"{TRUNK}.IsOpen"]
        case AlertKind.hood_open:
            return [HOOD_OPEN]
        case AlertKind.sunroof_open:
            return [SUNROOF]
        case AlertKind.headlights_on:
            return [LOW_BEAM, HIGH_BEAM, PARKING_LIGHTS]
        case AlertKind.hazard_lights_on:
            return [HAZARD]
        case AlertKind.warning_light:
            return [WARNING_LIGHTS]
        case AlertKind.rear_seat_reminder:
            return [REAR_SEAT_REMINDER]
    return []  # pragma: no cover - every kind is matched above


def _where(detail: str | None) -> str | None:
    """``Row1.PassengerSide`` (the protocol's way to say which door or window) in words."""
    if not detail:
        return None
    for words, prefix in door_paths():
        if prefix.endswith("." + detail):
            return words.replace("_", " ")
    return detail


def from_twin(values: Values) -> list[Finding]:
    findings: list[Finding] = []

    def value(path: str) -> SignalValue | None:
        found = values.get(path)
        return None if found is None else found[0]

    for words, prefix in door_paths():
        position = value(f"{prefix}.Window.Position")
        if isinstance(position, int) and not isinstance(position, bool) and position > 0:
            findings.append(
                Finding(AlertKind.window_open, f"Window open: {words.replace('_', ' ')}")
            )
    unlocked = [f"{d}.IsLocked" for _, d in door_paths()] + [f"{TRUNK}.IsLocked"]
    if any(value(path) is False for path in unlocked):
        findings.append(Finding(AlertKind.doors_unlocked, _LABELS[AlertKind.doors_unlocked]))
    for words, prefix in door_paths():
        if value(f"{prefix}.IsOpen") is True:
            findings.append(Finding(AlertKind.door_open, f"Door open: {words.replace('_', ' ')}"))
    if value(f"{TRUNK}.IsOpen") is True:
        findings.append(Finding(AlertKind.boot_open, _LABELS[AlertKind.boot_open]))
    if value(HOOD_OPEN) is True:
        findings.append(Finding(AlertKind.hood_open, _LABELS[AlertKind.hood_open]))
    sunroof = value(SUNROOF)
    if isinstance(sunroof, int) and not isinstance(sunroof, bool) and sunroof != 0:
        findings.append(Finding(AlertKind.sunroof_open, _LABELS[AlertKind.sunroof_open]))
    if value(LOW_BEAM) is True or value(HIGH_BEAM) is True:
        findings.append(Finding(AlertKind.headlights_on, _LABELS[AlertKind.headlights_on]))
    elif value(PARKING_LIGHTS) is True:
        findings.append(Finding(AlertKind.headlights_on, "Parking lights on"))
    if value(HAZARD) is True:
        findings.append(Finding(AlertKind.hazard_lights_on, _LABELS[AlertKind.hazard_lights_on]))
    lights = value(WARNING_LIGHTS)
    if isinstance(lights, list):
        for light in sorted(lights):
            words = _WARNING_WORDS.get(light, light)
            findings.append(Finding(AlertKind.warning_light, f"Warning light on: {words}"))
    if value(REAR_SEAT_REMINDER) is True:
        findings.append(
            Finding(AlertKind.rear_seat_reminder, _LABELS[AlertKind.rear_seat_reminder])
        )
    return findings


def _superseded(alert: RaisedAlert, values: Values) -> bool:
    """The car reported the part again after the alert: its newer reading decides."""
    return any(
        path in values and values[path][1] > alert.occurred_at
        for path in _related_paths(alert.kind)
    )


def post_trip_findings(values: Values, alerts: Iterable[RaisedAlert]) -> list[Finding]:
    """What to check, in a fixed order (windows, locks, doors ... rear seat), each once."""
    findings = from_twin(values)
    kinds_found = {f.kind for f in findings}
    for alert in alerts:
        if _superseded(alert, values) or alert.kind in kinds_found:
            continue
        where = _where(alert.detail)
        label = _LABELS[alert.kind]
        findings.append(Finding(alert.kind, f"{label}: {where}" if where else label))
    unique: dict[str, Finding] = {}
    for finding in findings:
        unique.setdefault(finding.text, finding)
    return sorted(unique.values(), key=lambda f: ORDER.index(f.kind))


def notification(car_name: str, findings: list[Finding]) -> tuple[str, str]:
    """Title and body of the one notification; the body lists every finding on its own line."""
    title = f"Check your {car_name}"
    lines = "\n".join(f"- {finding.text}" for finding in findings)
    body = f"After your last trip, your {car_name} reports:\n{lines}"
    return title, body
