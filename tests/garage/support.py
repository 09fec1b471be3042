"""Registry rows, head-unit keys and garage set-up for the garage tests."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from linkplus.kit.vin import ALPHABET
from linkplus.models.accounts import Account
from linkplus.models.vehicles import Vehicle
from linkplus.runtime import Runtime
from linkplus.vehicles.pairing import make_pairing_code
from tests.support import bearer_for

_VIN_CHARS = sorted(ALPHABET)


def random_vin() -> str:
    """A European-built Lexus VIN (WMI JTH: no check digit required)."""
    return "JTH" + "".join(secrets.choice(_VIN_CHARS) for _ in range(14))


@dataclass
class Car:
    vin: str
    plate: str | None
    odometer_km: int | None
    key: Ed25519PrivateKey

    def pairing_code(self, runtime: Runtime, **kwargs: Any) -> str:
        """The QR code text the car's head unit shows now."""
        return make_pairing_code(self.key, self.vin, now=runtime.clock.now(), **kwargs)


async def make_car(
    runtime: Runtime,
    *,
    model_code: str = "NX450HP",
    market: str = "DE",
    multimedia: str = "mm21",
    plate: str | None = None,
    odometer_km: int | None = 12_345,
) -> Car:
    now = runtime.clock.now()
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    vin = random_vin()
    async with runtime.db.transaction() as session:
        session.add(
            Vehicle(
                vin=vin,
                model_code=model_code,
                model_year=2024,
                market=market,
                multimedia=multimedia,
                first_delivery_date=date(2024, 3, 1),
                registration_plate=plate,
                plate_key=plate.upper().replace(" ", "").replace("-", "") if plate else None,
                telematics_unit=True,
                head_unit_public_key=base64.urlsafe_b64encode(public).rstrip(b"=").decode(),
                odometer_km=odometer_km,
                odometer_reported_at=now if odometer_km is not None else None,
                created_at=now,
                updated_at=now,
            )
        )
    return Car(vin=vin, plate=plate, odometer_km=odometer_km, key=key)


async def add_car(
    client: httpx.AsyncClient, headers: dict[str, str], car: Car, **body: Any
) -> httpx.Response:
    payload: dict[str, Any] = {"vin": car.vin, "odometer_km": car.odometer_km, **body}
    return await client.post("/api/v1/garage/vehicles", json=payload, headers=headers)


async def owner_with_car(
    runtime: Runtime, client: httpx.AsyncClient, account: Account, car: Car
) -> dict[str, str]:
    """Sign ``account`` in and add ``car`` to its garage by odometer; returns its headers."""
    headers = await bearer_for(runtime, account)
    response = await add_car(client, headers, car)
    assert response.status_code == 201, response.text
    return headers
