"""Everything ``linkplus demo`` puts in place before it serves: the demo owner and their cars.

Three demo cars (a hybrid, a plug-in hybrid and an electric car, German market, delivered about a
year before the first run) go into the registry through the factory feed import, as real cars do,
and into the demo owner's garage as primary with proof of access: a QR pairing code signed by the
car's head unit. The head unit's key is derived from a fixed demo seed and the VIN, so the same
car has the same key on every run and a later run can still sign codes for it. The owner accepts
the current documents and activates the standard services.

Every step checks what is there first, so running the demo again changes nothing and fails
nothing (and a car the simulator has driven keeps its odometer).

With the simulator, each demo car's telematics unit gets a fresh credential (secrets are stored
only hashed, so every run provisions anew) and ``drive_fleet`` drives the three cars around the
simulator's city through the embedded broker, faster than real time so the status page changes
while someone watches.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import tempfile
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.accounts import service as accounts
from linkplus.bootstrap import build_runtime
from linkplus.config import Settings
from linkplus.connected_services import service as connected_services
from linkplus.connected_services.schemas import ActivationIn, PackageCode
from linkplus.demo.history import HISTORY_DAYS, give_demo_history
from linkplus.errors import ProblemError
from linkplus.garage import service as garage
from linkplus.garage.schemas import AddVehicleIn, OwnershipProof
from linkplus.kit.clock import Clock, SystemClock
from linkplus.kit.vin import normalize_vin
from linkplus.models.accounts import Account
from linkplus.models.vehicles import Vehicle
from linkplus.privacy import service as privacy
from linkplus.runtime import Runtime
from linkplus.sim.basemap import write_roads
from linkplus.sim.fleet import Fleet, SimCar
from linkplus.sim.roads import BRUSSELS, GeoPoint, build_network
from linkplus.vehicle_link import credentials
from linkplus.vehicle_link.client import BrokerAddress
from linkplus.vehicles import service as vehicles
from linkplus.vehicles.importing import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from linkplus.vehicles.pairing import make_pairing_code, public_key_text

console = Console(stderr=True)

DEMO_SEED = b"linkplus demo head units v1"
MARKET = "DE"
DELIVERED_DAYS_AGO = 365
FLEET_SEED = 2024
DEFAULT_SIM_SPEED = 30.0
# Where the demo household lives: a few streets from the simulated city's centre, so every trip
# starts and ends in the part of the map someone watching recognises.
DEMO_HOME = GeoPoint(BRUSSELS.lat + 0.012, BRUSSELS.lon - 0.018)


@dataclass(frozen=True)
class DemoCarSpec:
    vin: str
    model_code: str
    model_year: int
    plate: str
    odometer_km: int
    nickname: str


# European-built Lexus VINs (WMI JTH/JTJ: no check digit), checked by normalize_vin at import.
DEMO_CARS = (
    DemoCarSpec("JTHB9BAA5R2000101", "NX350H", 2024, "M-LX 350", 18_420, "Daily NX"),
    DemoCarSpec("JTJHKCFZ0R2000102", "NX450HP", 2024, "M-LX 450E", 12_905, "Plug-in NX"),
    DemoCarSpec("JTJAAAAB3R5000103", "RZ450E", 2024, "M-LX 450", 9_870, "Electric RZ"),
)


@dataclass(frozen=True)
class DemoCar:
    """A demo car as the banner shows it."""

    vin: str
    name: str
    model_name: str
    powertrain: str
    plate: str | None
    odometer_km: int | None

    def banner_line(self) -> str:
        plate = f", plate {self.plate}" if self.plate else ""
        km = f", {self.odometer_km:,} km" if self.odometer_km is not None else ""
        return f"  car: {self.model_name} ({self.powertrain.upper()}) VIN {self.vin}{plate}{km}"


@dataclass(frozen=True)
class DemoSetup:
    """What the demo put in place, for the lines ``linkplus demo`` prints when it starts."""

    owner_email: str
    owner_created: bool
    cars: list[DemoCar]
    fleet: list[SimCar] = field(default_factory=list, repr=False)  # empty: no simulator

    def banner_lines(self) -> list[str]:
        return [car.banner_line() for car in self.cars]

    def fleet_banner(self, speed: float) -> list[str]:
        if not self.fleet:
            return []
        return [
            f"  the fleet is driving: {len(self.fleet)} simulated car(s), "
            f"today since midnight replayed at {speed:g}× real time, then in real time "
            "(a car never reports a time still to come); "
            "open a car's Vehicle status page to watch it"
        ]


def head_unit_key(vin: str) -> Ed25519PrivateKey:
    """The demo car's head-unit key: the same for the same VIN on every run and machine."""
    return Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(DEMO_SEED + b"|" + vin.encode("ascii")).digest()
    )


def _feed(specs: list[DemoCarSpec], *, delivered: date) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS])
    for spec in specs:
        row = {
            "vin": spec.vin,
            "model_code": spec.model_code,
            "model_year": str(spec.model_year),
            "market": MARKET,
            "telematics_unit": "true",
            "multimedia": "",
            "first_delivery_date": delivered.isoformat(),
            "registration_plate": spec.plate,
            "head_unit_public_key": public_key_text(head_unit_key(spec.vin).public_key()),
            "odometer_km": str(spec.odometer_km),
        }
        writer.writerow([row[name] for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)])
    return out.getvalue()


async def _register_cars(session: AsyncSession, runtime: Runtime) -> None:
    """Import the demo cars the registry does not have yet (the ones it has stay as they are)."""
    missing = [
        spec
        for spec in DEMO_CARS
        if await vehicles.get_vehicle(session, normalize_vin(spec.vin)) is None
    ]
    if not missing:
        return
    delivered = runtime.clock.now().date() - timedelta(days=DELIVERED_DAYS_AGO)
    with tempfile.TemporaryDirectory(prefix="linkplus-demo-") as directory:
        path = Path(directory) / "demo-cars.csv"
        path.write_text(_feed(missing, delivered=delivered), encoding="utf-8")
        report = await vehicles.import_csv(session, runtime, path)
    if report.rejected:
        reasons = "; ".join(f"line {row.line}: {row.reason}" for row in report.rejected)
        raise RuntimeError(f"the demo cars were refused by the registry: {reasons}")


class _Earlier:
    """A clock ``by`` behind another one."""

    def __init__(self, clock: Clock, by: timedelta) -> None:
        self._clock, self._by = clock, by

    def now(self) -> datetime:
        return self._clock.now() - self._by


async def _make_primary(
    session: AsyncSession, runtime: Runtime, owner: Account, spec: DemoCarSpec
) -> Vehicle:
    """In the owner's garage, as its primary account, proven with the head unit's QR code.

    Added (or claimed) as of a day before the car's month of demo trips: an account sees only
    the trips of its own time with a car (docs/garage.md, "Whose data"), and the demo owner is
    meant to have driven them."""
    runtime = replace(runtime, clock=_Earlier(runtime.clock, timedelta(days=HISTORY_DAYS + 1)))
    vin = normalize_vin(spec.vin)
    if vin not in await garage.garage_vins(session, owner.id):
        code = make_pairing_code(head_unit_key(vin), vin, now=runtime.clock.now())
        await garage.add_vehicle(
            session, runtime, owner, AddVehicleIn(pairing_code=code, nickname=spec.nickname)
        )
    if await garage.primary_account_id(session, vin) != owner.id:
        code = make_pairing_code(head_unit_key(vin), vin, now=runtime.clock.now())
        await garage.claim_primary(session, runtime, owner, vin, OwnershipProof(pairing_code=code))
    vehicle = await vehicles.get_vehicle(session, vin)
    assert vehicle is not None  # registered above
    return vehicle


async def _activate_standard(
    session: AsyncSession, runtime: Runtime, owner: Account, vehicle: Vehicle
) -> None:
    """Accept the current documents and activate the standard services (a no-op when active)."""
    await privacy.accept(
        session, runtime, owner, versions=privacy.current_versions(owner), channel="app"
    )
    caller = await garage.caller_vehicle(session, owner, vehicle.vin)
    if await connected_services.needs_activation(
        session, runtime, vin=vehicle.vin, account_id=owner.id
    ):
        await connected_services.activate(
            session, runtime, caller, ActivationIn(packages=[PackageCode.standard])
        )


async def prepare_demo(
    settings: Settings, *, email: str, password: str, simulate: bool
) -> DemoSetup:
    runtime = build_runtime(settings)
    try:
        async with runtime.db.transaction() as session:
            created = await accounts.ensure_demo_owner(
                session,
                runtime,
                email=email,
                password=password,
                first_name="Demo",
                last_name="Owner",
                country=MARKET,
                language="en",
            )
        console.print(
            f"Demo owner {email} {'created' if created else 'already present'} (e-mail confirmed)."
        )
        cars = await _prepare_cars(runtime, email=email, password=password)
        # The map's base map without internet: the streets the demo cars drive and park on.
        write_roads(build_network(FLEET_SEED), settings.base_map_path)
        fleet = await _provision_fleet(runtime, cars) if simulate else []
        return DemoSetup(owner_email=email, owner_created=created, cars=cars, fleet=fleet)
    finally:
        await runtime.db.dispose()


async def _provision_fleet(runtime: Runtime, cars: list[DemoCar]) -> list[SimCar]:
    """A fresh unit credential per demo car, and the simulated car that uses it."""
    fleet = []
    async with runtime.db.transaction() as session:
        for car in cars:
            vehicle = await vehicles.get_vehicle(session, car.vin)
            assert vehicle is not None  # registered by _prepare_cars
            secret = await credentials.provision(session, vin=car.vin, now=runtime.clock.now())
            fleet.append(
                SimCar(vin=car.vin, secret=secret, model=vehicles.model_of(vehicle), home=DEMO_HOME)
            )
    return fleet


def demo_fleet(
    setup: DemoSetup,
    address: BrokerAddress,
    *,
    speed: float,
    command_master: bytes | None = None,
    clock: Clock | None = None,
) -> Fleet:
    """The demo cars as simulated units, starting now with the mileage the registry knows, each
    with a full status queued so the status page has something to show before the first trip.
    With ``command_master`` (the platform's command-key master secret) the cars accept the
    platform's signed remote commands, as a real car provisioned with its own key would."""
    now = (clock or SystemClock()).now().replace(microsecond=0)
    # Faster than real time, the cars replay today from midnight (where their trip history
    # ends: at the default 30x, about half an hour of quick driving for a demo started in the
    # afternoon) and then drive on at real time: never ahead of the platform.
    midnight = now.replace(hour=0, minute=0, second=0)
    start = midnight if speed > 1 else now
    fleet = Fleet(
        setup.fleet,
        address,
        seed=FLEET_SEED,
        speed=speed,
        start=start,
        platform_start=now,
        command_master=command_master,
    )
    odometers = {car.vin: car.odometer_km for car in setup.cars}
    for unit in fleet.units:
        known = odometers.get(unit.vin)
        if known is not None:
            unit.car.state.odometer_km = float(known)
        unit.send_status(start)
    return fleet


async def drive_fleet(fleet: Fleet, stop: asyncio.Event) -> None:
    """Drive until ``stop``; a failing simulator is reported and never takes the server down."""
    try:
        await fleet.run(stop)
    except Exception as exc:  # the demo keeps serving with parked cars
        console.print(f"[yellow]The simulated fleet stopped:[/] {exc!r}")


async def _give_trip_history(runtime: Runtime, cars: list[DemoCar]) -> None:
    """A simulated past month of trips per car, uploaded through the same ingestion path as a
    real car's, so the trips pages have content at once (also with --no-simulator). A car that
    already has trips gets none, so running the demo again adds nothing."""
    for car in cars:
        async with runtime.db.transaction() as session:
            vehicle = await vehicles.get_vehicle(session, car.vin)
            assert vehicle is not None  # registered by _prepare_cars
            saved = await give_demo_history(
                session,
                runtime,
                vin=car.vin,
                model=vehicles.model_of(vehicle),
                now=runtime.clock.now(),
                seed=FLEET_SEED,
                home=DEMO_HOME,
            )
        if saved:
            console.print(f"Demo car {car.model_name}: {saved} past trips uploaded.")


async def _prepare_cars(runtime: Runtime, *, email: str, password: str) -> list[DemoCar]:
    async with runtime.db.transaction() as session:
        await _register_cars(session, runtime)
    try:
        async with runtime.db.transaction() as session:
            # The demo owner's own password opens the account, as it would in the app.
            owner = await accounts.authenticate(session, runtime, email=email, password=password)
    except ProblemError as exc:
        console.print(
            f"[yellow]The demo cars are registered but not in {email}'s garage:[/] {exc.detail}"
        )
        return []
    cars = []
    async with runtime.db.transaction() as session:
        for spec in DEMO_CARS:
            vehicle = await _make_primary(session, runtime, owner, spec)
            await _activate_standard(session, runtime, owner, vehicle)
            model = vehicles.model_of(vehicle)
            cars.append(
                DemoCar(
                    vin=vehicle.vin,
                    name=f"{spec.nickname} ({model.name})",
                    model_name=model.name,
                    powertrain=model.powertrain.value,
                    plate=vehicle.registration_plate,
                    odometer_km=vehicle.odometer_km,
                )
            )
    for car in cars:
        console.print(f"Demo car {car.model_name} {car.vin} in {email}'s garage, services active.")
    await _give_trip_history(runtime, cars)
    return cars
