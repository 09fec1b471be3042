"""Registry rows and garage links made directly in the database, for privacy and services tests.

The garage's own API is used only where its events matter (removing a car, claiming primary).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx

from linkplus.kit.vin import ALPHABET
from linkplus.models.accounts import Account
from linkplus.models.garage import GarageEntry, PrimaryAccount
from linkplus.models.vehicles import Vehicle
from linkplus.runtime import Runtime
from tests.support import bearer_for, make_owner

_VIN_CHARS = sorted(ALPHABET)
DELIVERED = date(2024, 3, 1)
ODOMETER_KM = 12_345


def random_vin() -> str:
    """A European-built VIN (WMI JTH: no check digit)."""
    return "JTH" + "".join(secrets.choice(_VIN_CHARS) for _ in range(14))


async def make_vehicle(
    runtime: Runtime,
    *,
    model_code: str = "NX450HP",
    market: str = "DE",
    multimedia: str = "mm21",
    first_delivery_date: date | None = DELIVERED,
    telematics_unit: bool = True,
    vin: str | None = None,
) -> str:
    now = runtime.clock.now()
    vin = vin or random_vin()
    async with runtime.db.transaction() as session:
        session.add(
            Vehicle(
                vin=vin,
                model_code=model_code,
                model_year=2024,
                market=market,
                multimedia=multimedia,
                first_delivery_date=first_delivery_date,
                registration_plate=None,
                plate_key=None,
                telematics_unit=telematics_unit,
                head_unit_public_key=None,
                odometer_km=ODOMETER_KM,
                odometer_reported_at=now,
                created_at=now,
                updated_at=now,
            )
        )
    return vin


async def link(
    runtime: Runtime, account: Account, vin: str, *, primary: bool, since: datetime | None = None
) -> None:
    """Put the car in the account's garage (and make the account its primary), from ``since``
    (default now). The account reads only the car's history from then on (docs/garage.md)."""
    now = since or runtime.clock.now()
    async with runtime.db.transaction() as session:
        session.add(GarageEntry(account_id=account.id, vin=vin, added_at=now, added_via="vin"))
        if primary:
            session.add(PrimaryAccount(vin=vin, account_id=account.id, since=now))


@dataclass
class Owner:
    account: Account
    headers: dict[str, str]


async def owner(runtime: Runtime, **account: Any) -> Owner:
    person = await make_owner(runtime, **account)
    return Owner(person, await bearer_for(runtime, person))


async def primary_owner_of_new_car(runtime: Runtime, **vehicle: Any) -> tuple[Owner, str]:
    person = await owner(runtime)
    vin = await make_vehicle(runtime, **vehicle)
    await link(runtime, person.account, vin, primary=True)
    return person, vin


ACCEPT_DE = {"terms_of_use": "2.0", "privacy_notice": "1.0"}  # current for DE/de accounts


async def activate(client: httpx.AsyncClient, who: Owner, vin: str, **body: Any) -> httpx.Response:
    return await client.post(
        f"/api/v1/vehicles/{vin}/services/activate", json=body, headers=who.headers
    )


def states(centre: dict[str, Any]) -> dict[str, str]:
    return {s["service"]: s["state"] for s in centre["services"]}
