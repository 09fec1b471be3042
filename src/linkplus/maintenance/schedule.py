"""When the next service is due, and which reminder is owed. Pure.

A service is due after the model's interval in kilometres or in months, whichever comes first,
counted from the last full service on record (or from the car's first delivery). A car that sends
its own distance to service (VSS ``Vehicle.Service.DistanceToService``) is believed for distance:
its figure replaces the model's. Reminders go at two stages, each with a time and a distance
threshold (settings): ``first`` (about 30 days or 1,500 km before) and ``second`` (7 days or
500 km); a car past its due point is ``overdue``. Each stage is told once per service cycle; a
recorded service starts a new cycle.
"""

from __future__ import annotations

import calendar
import tomllib
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from importlib import resources


class Stage(StrEnum):
    none = "none"  # not yet near
    first = "first"
    second = "second"
    overdue = "overdue"

    @property
    def rank(self) -> int:
        return {"none": 0, "first": 1, "second": 2, "overdue": 3}[self.value]


@dataclass(frozen=True)
class Interval:
    km: int
    months: int


@dataclass(frozen=True)
class Thresholds:
    first_days: int = 30
    first_km: int = 1500
    second_days: int = 7
    second_km: int = 500


@dataclass(frozen=True)
class Baseline:
    """Where the cycle starts: the last full service, or the first delivery."""

    cycle: str  # "delivery" or the service record's id
    on: date
    odometer_km: float


@dataclass(frozen=True)
class Due:
    cycle: str
    due_on: date
    due_km: float | None  # None: neither the odometer baseline nor the car's figure is known
    days_left: int
    km_left: float | None
    stage: Stage
    by_car: bool  # the distance is the car's own figure


@cache
def _schedules() -> tuple[Interval, dict[str, Interval]]:
    text = (
        resources.files("linkplus.maintenance")
        .joinpath("data", "service_schedules.toml")
        .read_text("utf-8")
    )
    data = tomllib.loads(text)
    default = Interval(data["default"]["interval_km"], data["default"]["interval_months"])
    models = {
        code: Interval(entry["interval_km"], entry["interval_months"])
        for code, entry in data.get("models", {}).items()
    }
    return default, models


def interval_for(model_code: str) -> Interval:
    default, models = _schedules()
    return models.get(model_code, default)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _stage(days_left: int, km_left: float | None, thresholds: Thresholds) -> Stage:
    def within(days: int, km: int) -> bool:
        return days_left <= days or (km_left is not None and km_left <= km)

    if within(0, 0):
        return Stage.overdue
    if within(thresholds.second_days, thresholds.second_km):
        return Stage.second
    if within(thresholds.first_days, thresholds.first_km):
        return Stage.first
    return Stage.none


def due(
    *,
    interval: Interval,
    baseline: Baseline,
    today: date,
    odometer_km: float | None,
    car_distance_to_service_km: float | None,
    thresholds: Thresholds,
) -> Due:
    due_on = add_months(baseline.on, interval.months)
    by_car = car_distance_to_service_km is not None and odometer_km is not None
    due_km: float | None
    if car_distance_to_service_km is not None and odometer_km is not None:
        due_km = odometer_km + car_distance_to_service_km
    else:
        due_km = baseline.odometer_km + interval.km
    km_left = None if due_km is None or odometer_km is None else due_km - odometer_km
    days_left = (due_on - today).days
    return Due(
        cycle=baseline.cycle,
        due_on=due_on,
        due_km=due_km,
        days_left=days_left,
        km_left=km_left,
        stage=_stage(days_left, km_left, thresholds),
        by_car=by_car,
    )


def notice_owed(stage: Stage, already_sent: set[Stage]) -> Stage | None:
    """The one notice to send now: the current stage unless it, or a later one, was sent in
    this cycle. A car that jumped straight to ``second`` gets only that one."""
    if stage is Stage.none:
        return None
    if any(sent.rank >= stage.rank for sent in already_sent):
        return None
    return stage
