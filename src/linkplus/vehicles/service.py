"""The vehicle registry: looking cars up, the factory feed, odometer readings, pairing codes and
the public Connectivity Match."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.kit.vin import InvalidVin, normalize_vin
from linkplus.models.vehicles import Vehicle
from linkplus.runtime import Runtime
from linkplus.vehicles import pairing, repository
from linkplus.vehicles.catalogue import (
    CAPABILITY_LABELS,
    MULTIMEDIA_LABELS,
    POWERTRAIN_LABELS,
    Capability,
    Multimedia,
    VehicleModel,
    catalogue,
    market_capabilities,
)
from linkplus.vehicles.errors import (
    InvalidVinError,
    PairingCodeExpired,
    PairingCodeInvalid,
    PairingCodeUsed,
    VehicleNotFound,
)
from linkplus.vehicles.importing import (
    FeedFormatError,
    FeedRow,
    ImportReport,
    normalize_plate,
    read_feed,
)
from linkplus.vehicles.schemas import CapabilityOut, ConnectivityMatchOut, RemoteClimateOut

__all__ = [
    "FeedFormatError",
    "ImportReport",
    "connectivity_match",
    "find_by_plate",
    "get_vehicle",
    "get_vehicles",
    "import_csv",
    "model_of",
    "record_odometer",
    "verify_pairing_code",
]

_CLIMATE = frozenset({Capability.remote_climate_basic, Capability.remote_climate_advanced})


async def get_vehicle(session: AsyncSession, vin: str) -> Vehicle | None:
    """The registered car with this VIN (already normalized), if the factory has reported it."""
    return await repository.get_vehicle(session, vin)


async def get_vehicles(session: AsyncSession, vins: Iterable[str]) -> dict[str, Vehicle]:
    """The registered cars among ``vins``, by VIN, in one statement per 500."""
    return await repository.vehicles_by_vin(session, vins)


async def find_by_plate(session: AsyncSession, plate: str) -> Vehicle | None:
    key = normalize_plate(plate)
    if not key:
        return None
    return await repository.vehicle_by_plate_key(session, key)


def model_of(vehicle: Vehicle) -> VehicleModel:
    model = catalogue().get(vehicle.model_code)
    if model is None:
        # The import refuses unknown models, so this means a model was removed from the data file
        # while cars of it are registered: a deployment mistake, not something a user can fix.
        raise LookupError(f"vehicle {vehicle.vin} has model {vehicle.model_code}, not in catalogue")
    return model


async def record_odometer(
    session: AsyncSession, *, vin: str, km: int, reported_at: datetime
) -> None:
    """Keep the car's latest reading. Readings older than the stored one arrive late (the car was
    offline) and are ignored, and the stored value never goes down: odometers only count up."""
    if km < 0:
        raise ValueError("odometer readings are never negative")
    if await repository.raise_odometer(session, vin=vin, km=km, reported_at=reported_at):
        return
    if await repository.get_vehicle(session, vin) is None:
        raise VehicleNotFound()


async def verify_pairing_code(session: AsyncSession, runtime: Runtime, code: str) -> Vehicle:
    """The car whose head unit showed ``code``; the code is spent by this call.

    Forged, damaged and foreign codes all get the same answer, so the answer does not tell a
    guesser whether a VIN exists or has a head unit. The signature is checked before the expiry
    for the same reason.
    """
    invalid = PairingCodeInvalid(
        "This pairing code is not valid. On the car's screen, open the Lexus Link+ pairing page "
        "and scan the code it shows now, or add the car with its odometer reading."
    )
    try:
        parsed = pairing.parse_pairing_code(code)
        vin = normalize_vin(parsed.vin)
    except (pairing.MalformedPairingCode, InvalidVin) as exc:
        raise invalid from exc
    vehicle = await repository.get_vehicle(session, vin)
    if vehicle is None or vehicle.head_unit_public_key is None:
        raise invalid
    try:
        public_key = pairing.load_public_key(vehicle.head_unit_public_key)
    except pairing.MalformedPublicKey as exc:
        raise invalid from exc
    now = runtime.clock.now()
    if not pairing.signed_by(parsed, public_key) or pairing.lives_too_long(parsed, now=now):
        raise invalid
    if pairing.is_expired(parsed, now=now):
        raise PairingCodeExpired(
            "This pairing code has expired (codes work for 10 minutes). Show a new code on the "
            "car's screen and scan it."
        )
    spent = await repository.spend_pairing_code(
        session, vin=vin, nonce=parsed.nonce, used_at=now, expires_at=parsed.expires_at
    )
    if not spent:
        raise PairingCodeUsed(
            "This pairing code has already been used. Show a new code on the car's screen and "
            "scan it."
        )
    return vehicle


async def import_csv(
    session: AsyncSession,
    runtime: Runtime,
    path: Path,
    *,
    on_row: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Load a factory feed (columns: see ``vehicles.importing``). Idempotent: a VIN already in the
    registry is updated, not duplicated. All or nothing: when any line is rejected nothing is
    stored and the report lists every rejected line. ``on_row(done, total)`` follows the storing.

    Raises FeedFormatError when the file as a whole is unusable.
    """
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FeedFormatError(f"{path} is not UTF-8 text. Save the feed as UTF-8 CSV.") from exc
    except OSError as exc:
        raise FeedFormatError(f"{path} cannot be read: {exc.strerror}") from exc
    now = runtime.clock.now()
    feed = read_feed(text, catalogue=catalogue(), today=now.date())
    total = len(feed.rows) + len(feed.rejected)
    if feed.rejected:
        return ImportReport(rows=total, created=0, updated=0, unchanged=0, rejected=feed.rejected)
    existing = await repository.vehicles_by_vin(session, (row.vin for row in feed.rows))
    created = updated = 0
    for done, row in enumerate(feed.rows, start=1):
        vehicle = existing.get(row.vin)
        if vehicle is None:
            await repository.add_vehicle(session, _new_vehicle(row, now=now))
            created += 1
        elif _apply(vehicle, row, now=now):
            updated += 1
        if on_row is not None:
            on_row(done, len(feed.rows))
    await session.flush()
    return ImportReport(
        rows=total,
        created=created,
        updated=updated,
        unchanged=len(feed.rows) - created - updated,
        rejected=[],
    )


def _new_vehicle(row: FeedRow, *, now: datetime) -> Vehicle:
    model = catalogue().get(row.model_code)
    assert model is not None  # read_feed accepted only known models
    return Vehicle(
        vin=row.vin,
        model_code=row.model_code,
        model_year=row.model_year,
        market=row.market,
        multimedia=(row.multimedia or model.newest_multimedia).value,
        first_delivery_date=row.first_delivery_date,
        registration_plate=row.registration_plate,
        plate_key=normalize_plate(row.registration_plate) if row.registration_plate else None,
        telematics_unit=row.telematics_unit,
        head_unit_public_key=row.head_unit_public_key,
        odometer_km=row.odometer_km,
        odometer_reported_at=now if row.odometer_km is not None else None,
        created_at=now,
        updated_at=now,
    )


def _apply(vehicle: Vehicle, row: FeedRow, *, now: datetime) -> bool:
    """Bring a registered car up to date with a feed line; True if anything changed.

    Optional values the line leaves empty keep what is stored; the odometer only goes up.
    """
    model = catalogue().get(row.model_code)
    assert model is not None
    changes: dict[str, object] = {
        "model_code": row.model_code,
        "model_year": row.model_year,
        "market": row.market,
        "telematics_unit": row.telematics_unit,
    }
    multimedia = row.multimedia
    if multimedia is None and Multimedia(vehicle.multimedia) not in model.multimedia:
        multimedia = model.newest_multimedia  # the model code changed: keep it consistent
    if multimedia is not None:
        changes["multimedia"] = multimedia.value
    if row.first_delivery_date is not None:
        changes["first_delivery_date"] = row.first_delivery_date
    if row.registration_plate is not None:
        changes["registration_plate"] = row.registration_plate
        changes["plate_key"] = normalize_plate(row.registration_plate)
    if row.head_unit_public_key is not None:
        changes["head_unit_public_key"] = row.head_unit_public_key
    if row.odometer_km is not None and (
        vehicle.odometer_km is None or row.odometer_km > vehicle.odometer_km
    ):
        changes["odometer_km"] = row.odometer_km
        changes["odometer_reported_at"] = now
    changed = {name: value for name, value in changes.items() if getattr(vehicle, name) != value}
    for name, value in changed.items():
        setattr(vehicle, name, value)
    if changed:
        vehicle.updated_at = now
    return bool(changed)


async def connectivity_match(session: AsyncSession, raw_vin: str) -> ConnectivityMatchOut:
    """The public "Connectivity Match": what this VIN's model supports in its market."""
    try:
        vin = normalize_vin(raw_vin)
    except InvalidVin as exc:
        raise InvalidVinError(exc.reason) from exc
    vehicle = await repository.get_vehicle(session, vin)
    if vehicle is None:
        raise VehicleNotFound()
    model = model_of(vehicle)
    # Without a telematics unit the car cannot reach the platform: no connected service at all.
    capabilities = (
        market_capabilities(model, vehicle.market) if vehicle.telematics_unit else frozenset()
    )
    multimedia = Multimedia(vehicle.multimedia)
    return ConnectivityMatchOut(
        vin=vin,
        brand=model.brand,
        model_code=model.code,
        model_name=model.name,
        powertrain=model.powertrain,
        powertrain_label=POWERTRAIN_LABELS[model.powertrain],
        multimedia=multimedia,
        multimedia_label=MULTIMEDIA_LABELS[multimedia],
        market=vehicle.market,
        telematics_unit=vehicle.telematics_unit,
        capabilities=[
            CapabilityOut(code=capability, label=CAPABILITY_LABELS[capability])
            for capability in Capability
            if capability in capabilities
        ],
        remote_climate=RemoteClimateOut(
            minutes=model.climate_minutes,
            renewals=model.climate_renewals,
            min_battery_pct=model.climate_min_battery_pct,
        )
        if capabilities & _CLIMATE
        else None,
    )
