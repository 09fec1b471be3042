"""The driving model's physics, as properties over seeds, drivers and powertrains."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkplus.protocol.vehicle import (
    MAX_PAYLOAD_BYTES,
    Channel,
    TripUpload,
    encode,
    parse,
    topic,
)
from linkplus.sim.driving import (
    HARD_BRAKING_MS2,
    MAX_ACCELERATION_MS2,
    MAX_LATERAL_MS2,
    DrivenTrip,
    Driver,
    drive,
)
from linkplus.sim.history import past_trips
from linkplus.sim.powertrains import EnergyLevels, spec_for
from linkplus.sim.roads import build_network
from linkplus.vehicles.catalogue import Powertrain, catalogue

NETWORK = build_network(5)
MODELS = {
    p: next(m for m in catalogue().models.values() if m.powertrain is p)
    for p in Powertrain
    if p is not Powertrain.diesel
}
START = datetime(2026, 10, 5, 6, 0, tzinfo=UTC)
VIN = "JTH2PXSJ2SJ000001"


def _trip(
    seed: int, style: float, powertrain: Powertrain, congestion: float
) -> tuple[DrivenTrip, EnergyLevels, EnergyLevels]:
    rng = np.random.default_rng(seed)
    spec = spec_for(MODELS[powertrain].code, powertrain)
    a, b = (int(n) for n in rng.choice(len(NETWORK.nodes), size=2, replace=False))
    before = EnergyLevels(
        fuel_l=spec.tank_l * 0.5 if spec.tank_l else None,
        # A full hybrid keeps its small battery mid-way; plug-ins start well charged.
        battery_kwh=(spec.battery_kwh or 0) * (0.6 if powertrain is Powertrain.hev else 0.8)
        if spec.battery_kwh
        else None,
    )
    levels = EnergyLevels(before.fuel_l, before.battery_kwh)
    trip = drive(
        NETWORK,
        NETWORK.route(a, b),
        Driver(style),
        spec,
        levels,
        outside_c=8.0,
        congestion=congestion,
        rng=rng,
    )
    return trip, before, levels


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    style=st.floats(0.0, 1.0),
    powertrain=st.sampled_from(sorted(MODELS)),
    congestion=st.floats(0.0, 1.0),
)
def test_physics_stays_plausible(
    seed: int, style: float, powertrain: Powertrain, congestion: float
) -> None:
    trip, before, after = _trip(seed, style, powertrain, congestion)
    assert np.all(trip.speed_ms >= 0)
    assert trip.speed_ms[0] == 0
    assert trip.speed_ms[-1] == 0
    assert trip.accel_long_ms2.max() <= MAX_ACCELERATION_MS2 + 1e-9
    assert trip.accel_long_ms2.min() >= -HARD_BRAKING_MS2 - 1e-9
    assert np.abs(trip.accel_lat_ms2).max() <= MAX_LATERAL_MS2 + 0.5
    driven = float(np.trapezoid(trip.speed_ms))
    assert driven == pytest.approx(trip.distance_m, rel=0.01)
    assert np.all(np.diff(trip.along_m) >= 0)
    # The car follows the speed limit on average, sporty drivers a little above it.
    known = ~np.isnan(trip.limit_kmh) & (trip.speed_ms > 1)
    if known.sum() > 60:
        assert float(np.mean(trip.speed_ms[known] * 3.6 / trip.limit_kmh[known])) < 1.25
    if powertrain is Powertrain.bev:
        assert trip.energy_used_kwh is not None
        assert trip.regenerated_kwh is not None
        assert trip.energy_used_kwh > 0
        assert 0 <= trip.regenerated_kwh <= trip.energy_used_kwh
        assert after.battery_kwh == pytest.approx(before.battery_kwh - trip.energy_used_kwh)
        if trip.distance_m > 3_000:
            assert 8 <= trip.energy_used_kwh / trip.distance_m * 100_000 <= 35
    if powertrain in (Powertrain.hev, Powertrain.phev):
        assert trip.ev_mode is not None
        slow = (trip.speed_ms > 0.5) & (trip.speed_ms < 30 / 3.6)
        assert trip.ev_mode[slow].any()
    if powertrain in (Powertrain.petrol, Powertrain.hev) and trip.distance_m > 3_000:
        assert trip.fuel_used_l is not None
        per_100 = trip.fuel_used_l / trip.distance_m * 100_000
        assert (1.0 if powertrain is Powertrain.hev else 4.5) <= per_100 <= 16


def test_a_sporty_driver_accelerates_and_corners_harder_than_a_calm_one() -> None:
    calm = [_trip(seed, 0.0, Powertrain.hev, 0.3)[0] for seed in range(6)]
    sporty = [_trip(seed, 1.0, Powertrain.hev, 0.3)[0] for seed in range(6)]
    assert (
        max(t.accel_long_ms2.max() for t in calm)
        < 2.0
        < min(t.accel_long_ms2.max() for t in sporty)
    )
    assert sum(t.duration_s for t in sporty) < sum(t.duration_s for t in calm)


def test_a_plug_in_hybrid_drives_electrically_until_its_buffer_then_as_a_hybrid() -> None:
    spec = spec_for("NX450HP", Powertrain.phev)
    rng = np.random.default_rng(1)
    route = NETWORK.route(NETWORK.residential[0], NETWORK.offices[-1])
    full = EnergyLevels(40.0, spec.battery_kwh * 0.9 if spec.battery_kwh else None)
    empty = EnergyLevels(40.0, (spec.battery_kwh or 0) * spec.buffer_pct / 100)
    electric = drive(NETWORK, route, Driver(0.3), spec, full, outside_c=15, congestion=0.2, rng=rng)
    depleted = drive(
        NETWORK,
        route,
        Driver(0.3),
        spec,
        empty,
        outside_c=15,
        congestion=0.2,
        rng=np.random.default_rng(1),
    )
    assert electric.ev_mode is not None
    assert depleted.ev_mode is not None
    moving = electric.speed_ms > 0.5
    assert electric.ev_mode[moving].mean() > 0.8
    assert depleted.ev_mode[depleted.speed_ms > 0.5].mean() < 0.6
    assert (electric.fuel_used_l or 0) < (depleted.fuel_used_l or 0)


def test_same_seed_same_past_month_to_the_message_id() -> None:
    model = MODELS[Powertrain.phev]
    first = past_trips(model, seed=3, start=START, days=10)
    second = past_trips(model, seed=3, start=START, days=10)
    other = past_trips(model, seed=4, start=START, days=10)
    assert first
    assert [encode(u) for u in first] == [encode(u) for u in second]
    assert [u.trip.distance_m for u in first] != [u.trip.distance_m for u in other]


@pytest.mark.parametrize("powertrain", sorted(MODELS))
def test_a_month_of_uploads_is_valid_protocol_with_the_powertrains_arrays(
    powertrain: Powertrain,
) -> None:
    uploads = past_trips(MODELS[powertrain], seed=9, start=START, days=30, vin=VIN)
    assert len(uploads) > 20
    assert len({u.trip.trip_id for u in uploads}) == len(uploads)
    for previous, upload in itertools.pairwise(uploads):
        assert previous.trip.ended_at < upload.trip.started_at
    for upload in uploads:
        wire = encode(upload)
        assert len(wire) < MAX_PAYLOAD_BYTES
        parsed = parse(topic(VIN, Channel.events), wire).message
        assert isinstance(parsed, TripUpload)
        assert parsed == upload
        trip = upload.trip
        assert trip.duration_s == (trip.ended_at - trip.started_at).total_seconds()
        assert (trip.samples.ev_mode is not None) == (
            powertrain in (Powertrain.hev, Powertrain.phev)
        )
        assert (trip.samples.power_kw is not None) == (
            powertrain in (Powertrain.phev, Powertrain.bev)
        )
        assert (trip.fuel_used_l is not None) == (powertrain is not Powertrain.bev)
        assert (trip.regenerated_kwh is not None) == (
            powertrain in (Powertrain.phev, Powertrain.bev)
        )
