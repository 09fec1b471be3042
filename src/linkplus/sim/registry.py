"""Putting simulated cars in the vehicle registry, the way a factory would: a feed and a unit
credential per car. Safe to repeat: the same seed gives the same VINs, a re-import updates
nothing, and provisioning rotates each unit's secret (the new one is the one the fleet uses).
"""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from linkplus.kit.vin import check_digit
from linkplus.runtime import Runtime
from linkplus.sim.fleet import SimCar
from linkplus.sim.ids import derived_rng
from linkplus.vehicle_link import credentials
from linkplus.vehicles import service as vehicles
from linkplus.vehicles.catalogue import Powertrain, VehicleModel, catalogue

MARKET = "BE"  # the simulated city is Brussels
WMI = "JTH"  # world manufacturer identifier of the catalogue's brand
VIN_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
MODEL_YEAR_CODE = {2025: "S", 2026: "T"}
# Spread the fleet over powertrains the way such a fleet looks: mostly hybrids, then plug-ins.
POWERTRAIN_CYCLE = (
    Powertrain.hev,
    Powertrain.phev,
    Powertrain.bev,
    Powertrain.hev,
    Powertrain.petrol,
)


@dataclass(frozen=True)
class FleetVehicle:
    vin: str
    model: VehicleModel
    model_year: int


def fleet_vehicles(count: int, *, seed: int) -> list[FleetVehicle]:
    """``count`` cars for ``seed``: valid, distinct VINs and models spread over powertrains."""
    rng = derived_rng(seed, "fleet")
    sold = [m for m in catalogue().models.values() if MARKET in m.markets]
    by_powertrain = {
        p: sorted((m for m in sold if m.powertrain is p), key=lambda m: m.code) for p in Powertrain
    }
    family = "".join(VIN_LETTERS[int(k)] for k in rng.integers(len(VIN_LETTERS), size=5))
    cars: list[FleetVehicle] = []
    for index in range(count):
        choices = by_powertrain[POWERTRAIN_CYCLE[index % len(POWERTRAIN_CYCLE)]] or sold
        model = choices[int(rng.integers(len(choices)))]
        year = 2025 + int(rng.integers(2))
        body = f"{WMI}{family}0{MODEL_YEAR_CODE[year]}J{index + 1:06d}"
        vin = body[:8] + check_digit(body) + body[9:]
        cars.append(FleetVehicle(vin, model, year))
    return cars


def feed_csv(cars: list[FleetVehicle]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["vin", "model_code", "model_year", "market", "telematics_unit"])
    for car in cars:
        writer.writerow([car.vin, car.model.code, car.model_year, MARKET, "true"])
    return out.getvalue()


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


async def register_fleet(runtime: Runtime, *, vehicles_count: int, seed: int) -> list[SimCar]:
    """Register the seed's cars (idempotently) and provision their units; returns the fleet."""
    cars = fleet_vehicles(vehicles_count, seed=seed)
    directory = runtime.settings.data_dir / "simulator"
    path: Path = directory / f"fleet-seed-{seed}.csv"
    await asyncio.to_thread(_write, path, feed_csv(cars))
    async with runtime.db.transaction() as session:
        report = await vehicles.import_csv(session, runtime, path)
        if not report.imported:
            reasons = "; ".join(row.reason for row in report.rejected)
            raise RuntimeError(f"the simulated fleet could not be registered: {reasons}")
        now = runtime.clock.now()
        fleet = [
            SimCar(
                vin=car.vin,
                secret=await credentials.provision(session, vin=car.vin, now=now),
                model=car.model,
            )
            for car in cars
        ]
    return fleet
