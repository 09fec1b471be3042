"""A car's past: a month of trips made by the same driving model, for a demo's trip history."""

from __future__ import annotations

from datetime import datetime, timedelta

from linkplus.protocol.vehicle import TripUpload
from linkplus.sim.car import SimulatedCar
from linkplus.sim.ids import derived_uuid
from linkplus.sim.plan import trips_from
from linkplus.sim.roads import GeoPoint, build_network
from linkplus.sim.trips import trip_upload
from linkplus.vehicles.catalogue import VehicleModel

PAST_VIN = "SIMPAST0000000000"


def past_trips(
    model: VehicleModel,
    *,
    seed: int,
    start: datetime,
    days: int,
    vin: str = PAST_VIN,
    home: GeoPoint | None = None,
) -> list[TripUpload]:
    """Every trip ``vin`` (a ``model``) made from ``start`` for ``days`` days, as its unit uploaded
    them at engine-off, oldest first. Pure: the same arguments give the same uploads, ids included.
    Charging, refuelling and privacy mode happen as they do in a live run."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    end = start + timedelta(days=days)
    car = SimulatedCar.create(
        vin=vin, model=model, network=build_network(seed), seed=seed, start=start, home=home
    )
    uploads: list[TripUpload] = []
    ready = start
    for planned in trips_from(car.habits, seed=seed, vin=vin, start=start):
        departure = max(planned.departure, ready)
        if departure >= end:
            break
        outcome = car.start_trip(planned, departure)
        if outcome is None:
            continue
        if outcome.ended_at >= end:
            break
        car.finish_trip(outcome)
        car.leave(outcome)
        seq = len(uploads)
        uploads.append(
            trip_upload(
                outcome,
                msg_id=derived_uuid(seed, vin, "past", start.isoformat(), seq),
                seq=seq,
                sent_at=outcome.ended_at,
            )
        )
        ready = outcome.left_at + timedelta(minutes=2)
    return uploads
