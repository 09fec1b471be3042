"""Registered vehicles and head-unit keys for the vehicles tests."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from linkplus.kit.vin import check_digit
from linkplus.models.vehicles import Vehicle
from linkplus.runtime import Runtime
from linkplus.vehicles.importing import normalize_plate
from linkplus.vehicles.pairing import public_key_text

_serial = itertools.count(100000)

FEED_HEADER = (
    "vin,model_code,model_year,market,multimedia,first_delivery_date,registration_plate,"
    "telematics_unit,head_unit_public_key,odometer_km"
)


def european_vin() -> str:
    """A VIN built for Europe (WMI JTH: Lexus, Japan): no check digit needed."""
    return f"JTHBA3BH{next(_serial):09d}"


def north_american_vin() -> str:
    raw = f"2T2BZMCA0{next(_serial):08d}"
    return raw[:8] + check_digit(raw) + raw[9:]


def write_feed(directory: Path, lines: list[str], *, name: str = "feed.csv") -> Path:
    path = directory / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def make_vehicle(
    runtime: Runtime,
    *,
    vin: str | None = None,
    model_code: str = "NX350H",
    market: str = "DE",
    multimedia: str = "mm21",
    head_unit: Ed25519PrivateKey | None = None,
    plate: str | None = None,
    odometer_km: int | None = None,
    telematics_unit: bool = True,
    first_delivery_date: date | None = date(2024, 3, 1),
) -> Vehicle:
    now = runtime.clock.now()
    vehicle = Vehicle(
        vin=vin or european_vin(),
        model_code=model_code,
        model_year=2024,
        market=market,
        multimedia=multimedia,
        first_delivery_date=first_delivery_date,
        registration_plate=plate,
        plate_key=normalize_plate(plate) if plate else None,
        telematics_unit=telematics_unit,
        head_unit_public_key=public_key_text(head_unit.public_key()) if head_unit else None,
        odometer_km=odometer_km,
        odometer_reported_at=now if odometer_km is not None else None,
        created_at=now,
        updated_at=now,
    )
    async with runtime.db.transaction() as session:
        session.add(vehicle)
    return vehicle
