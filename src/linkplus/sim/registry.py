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


REGISTRATION_CHUNK = 50
"""Cars registered and provisioned per transaction: on SQLite a transaction holds the one write
lock, and a fleet of 1,000 in one transaction held it for about a minute, while every request
of the platform waited for it (and, after the busy timeout, failed)."""
SQLITE_PAUSE_SECONDS = 0.12
"""Between two chunks on SQLite: a writer waiting for the lock polls for it (SQLite's busy
handler, every 100 ms once it has waited a while) and would never find it free if the next
chunk took it at once."""


async def register_fleet(runtime: Runtime, *, vehicles_count: int, seed: int) -> list[SimCar]:
    """Register the seed's cars (idempotently) and provision their units; returns the fleet.
    Each chunk of ``REGISTRATION_CHUNK`` cars is one short transaction of its own (a chunk
    stored before an interruption stays stored; running it again is safe)."""
    cars = fleet_vehicles(vehicles_count, seed=seed)
    directory = runtime.settings.data_dir / "simulator"
    fleet: list[SimCar] = []
    for first in range(0, len(cars), REGISTRATION_CHUNK):
        if first and runtime.db.dialect == "sqlite":
            await asyncio.sleep(SQLITE_PAUSE_SECONDS)
        chunk = cars[first : first + REGISTRATION_CHUNK]
        path: Path = directory / f"fleet-seed-{seed}-{first // REGISTRATION_CHUNK + 1}.csv"
        await asyncio.to_thread(_write, path, feed_csv(chunk))
        async with runtime.db.transaction() as session:
            report = await vehicles.import_csv(session, runtime, path)
            if not report.imported:
                reasons = "; ".join(row.reason for row in report.rejected)
                raise RuntimeError(f"the simulated fleet could not be registered: {reasons}")
        async with runtime.db.transaction() as session:
            now = runtime.clock.now()
            for car in chunk:
                secret = await credentials.provision(session, vin=car.vin, now=now)
                fleet.append(SimCar(vin=car.vin, secret=secret, model=car.model))
    return fleet
