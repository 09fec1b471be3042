"""Where and when a car goes: a household's week, derived day by day from the seed.

Commuters drive to work and back on weekdays, with an errand some evenings; others run errands
during the day; weekends bring shopping and outings. Now and then a household goes on holiday
for 10 to 16 days and the car stays put: long enough for its telematics unit to fall asleep.
Each day is derived on its own from ``(seed, vin, date)``, so any day can be planned without
planning the ones before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

import numpy as np

from linkplus.sim.ids import derived_rng
from linkplus.sim.roads import PlaceKind, RoadNetwork

LOCAL_TIME = timezone(timedelta(hours=1))  # Central European (winter) time, all year round
HOLIDAY_CHANCE = 0.012  # per day
HOLIDAY_DAYS = (10, 16)


@dataclass(frozen=True)
class Place:
    kind: PlaceKind
    node: int
    underground: bool = False  # an underground car park: no mobile coverage


@dataclass(frozen=True)
class Habits:
    style: float  # driver: 0 calm .. 1 sporty
    home: Place
    work: Place | None  # None: not a commuter
    shops: tuple[Place, ...]
    leisure: tuple[Place, ...]
    privacy_chance: float  # per trip: switches location sharing off
    plug_in_chance: float  # arriving home with a battery to charge: plugs in


@dataclass(frozen=True)
class PlannedTrip:
    key: str  # stable within the car: the trip's identity for ids and random streams
    departure: datetime
    destination: Place


def habits_for(network: RoadNetwork, *, seed: int, vin: str, home_node: int | None) -> Habits:
    rng = derived_rng(seed, vin, "habits")
    home = home_node if home_node is not None else int(rng.choice(network.residential))
    commuter = rng.random() < 0.7
    work = Place(PlaceKind.work, int(rng.choice(network.offices)), rng.random() < 0.35)
    shops = tuple(Place(PlaceKind.shop, int(n), rng.random() < 0.5) for n in network.shops)
    leisure_nodes = rng.choice(network.leisure, size=4, replace=False)
    leisure = tuple(Place(PlaceKind.leisure, int(n)) for n in leisure_nodes)
    return Habits(
        style=float(np.clip(rng.beta(2.2, 2.8), 0.0, 1.0)),
        home=Place(PlaceKind.home, home),
        work=work if commuter else None,
        shops=shops,
        leisure=leisure,
        privacy_chance=float(rng.choice([0.0, 0.0, 0.0, 0.05, 0.15])),
        plug_in_chance=float(rng.uniform(0.5, 0.95)),
    )


def on_holiday(*, seed: int, vin: str, day: date) -> bool:
    for back in range(HOLIDAY_DAYS[1]):
        start = day - timedelta(days=back)
        rng = derived_rng(seed, vin, "holiday", start.isoformat())
        if rng.random() < HOLIDAY_CHANCE and back < rng.integers(*HOLIDAY_DAYS, endpoint=True):
            return True
    return False


def _at(day: date, rng: np.random.Generator, earliest: float, latest: float) -> datetime:
    hours = rng.uniform(earliest, latest)
    local = datetime.combine(day, time(0), LOCAL_TIME) + timedelta(seconds=int(hours * 3600))
    return local.astimezone(UTC)


def _outing(
    trips: list[tuple[datetime, Place]],
    rng: np.random.Generator,
    day: date,
    where: Place,
    home: Place,
    window: tuple[float, float],
    stay_hours: tuple[float, float],
) -> None:
    leave = _at(day, rng, *window)
    trips.append((leave, where))
    trips.append((leave + timedelta(hours=rng.uniform(*stay_hours)), home))


def day_plan(habits: Habits, *, seed: int, vin: str, day: date) -> list[PlannedTrip]:
    if on_holiday(seed=seed, vin=vin, day=day):
        return []
    rng = derived_rng(seed, vin, "day", day.isoformat())
    home = habits.home
    trips: list[tuple[datetime, Place]] = []
    weekday = day.weekday()

    def shop() -> Place:
        return habits.shops[int(rng.integers(len(habits.shops)))]

    def outing_place() -> Place:
        return habits.leisure[int(rng.integers(len(habits.leisure)))]

    if weekday < 5 and habits.work is not None and rng.random() < 0.9:
        trips.append((_at(day, rng, 7.0, 8.75), habits.work))
        trips.append((_at(day, rng, 16.5, 18.75), home))
        if rng.random() < 0.25:
            _outing(trips, rng, day, shop(), home, (19.0, 20.0), (0.5, 1.5))
    elif weekday < 5:
        if rng.random() < 0.6:
            _outing(trips, rng, day, shop(), home, (9.0, 11.5), (0.5, 1.5))
        if rng.random() < 0.35:
            _outing(trips, rng, day, outing_place(), home, (14.0, 16.0), (1.0, 2.5))
    elif weekday == 5:
        if rng.random() < 0.8:
            _outing(trips, rng, day, shop(), home, (9.5, 11.5), (0.75, 1.5))
        if rng.random() < 0.5:
            _outing(trips, rng, day, outing_place(), home, (14.0, 16.0), (1.0, 3.0))
    elif rng.random() < 0.5:
        _outing(trips, rng, day, outing_place(), home, (10.0, 15.0), (1.0, 4.0))
    trips.sort(key=lambda trip: trip[0])
    return [
        PlannedTrip(f"{day.isoformat()}#{k}", departure, destination)
        for k, (departure, destination) in enumerate(trips)
    ]


def trips_from(habits: Habits, *, seed: int, vin: str, start: datetime) -> Iterator[PlannedTrip]:
    """Every planned trip leaving at or after ``start``, day after day, without end."""
    day = start.astimezone(LOCAL_TIME).date()
    while True:
        for trip in day_plan(habits, seed=seed, vin=vin, day=day):
            if trip.departure >= start:
                yield trip
        day += timedelta(days=1)
