"""The digital key for real: the API, the worker's jobs, ``key_revoke`` signed and published to
the embedded MQTT broker, simulated cars with their key readers (provisioned with their key
authority's public key), and simulated phones that open them over the short-range call.

Built on the remote-control link (``tests.remote_e2e.support``): one ``ManualClock`` for the
platform and the cars; waits are for messages crossing the broker, bounded by ``WAIT``.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.connected_services import service as connected_services
from linkplus.jobs.worker import Worker
from linkplus.keys.service import authority_public_text
from linkplus.runtime import Runtime
from linkplus.sim.clock import ManualClock
from linkplus.sim.keys import KEY_HANDLERS, KeyReader, SimulatedPhone
from linkplus.sim.safety import SAFETY_HANDLERS
from tests.connected_services.support import Owner, owner
from tests.remote_e2e.support import RemoteLink, remote_link
from tests.support import bearer_for

LOCKED = "Vehicle.Cabin.Door.Row1.DriverSide.IsLocked"
MAX_SPEED = "Vehicle.Private.LinkPlus.DigitalKey.MaxSpeed"


@dataclass
class Subscribed:
    """Stands in for the subscriptions module's answer (``register_subscription_check``): the
    accounts listed here have the paid Remote Connect package, which holds the digital key."""

    accounts: set[uuid.UUID] = field(default_factory=set)

    async def check(
        self, session: AsyncSession, vin: str, account_id: uuid.UUID, package: str, today: date
    ) -> bool:
        return package == "remote" and account_id in self.accounts


@dataclass
class KeyWorld:
    link: RemoteLink
    subscribed: Subscribed

    @property
    def runtime(self) -> Runtime:
        return self.link.runtime

    @property
    def client(self) -> httpx.AsyncClient:
        return self.link.client

    def vin(self, label: str) -> str:
        return self.link.cars[label].vin

    def reader(self, label: str) -> KeyReader:
        return KeyReader.of(self.link.cars[label].unit)

    def car_state(self, label: str) -> Any:
        return self.link.cars[label].state

    async def owner_headers(self, label: str) -> dict[str, str]:
        return await self.link.headers(label)

    async def person(self) -> Owner:
        return await owner(self.runtime)

    async def headers_of(self, who: Owner) -> dict[str, str]:
        return await bearer_for(self.runtime, who.account)

    # --- the API -------------------------------------------------------------------------

    async def owner_key(self, label: str, phone: SimulatedPhone) -> httpx.Response:
        answer = await self.client.post(
            f"/api/v1/vehicles/{self.vin(label)}/keys/owner",
            json={"public_key": phone.public_key, "name": "Pixel"},
            headers=await self.owner_headers(label),
        )
        if answer.status_code == 201:
            phone.certificates[self.vin(label)] = answer.json()["certificate"]
        return answer

    async def invite(self, label: str, email: str, **body: Any) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/vehicles/{self.vin(label)}/keys/invites",
            json={"email": email, "role": "full", **body},
            headers=await self.owner_headers(label),
        )

    async def accept(
        self, who: Owner, invite_id: str, code: str, phone: SimulatedPhone, vin: str
    ) -> httpx.Response:
        answer = await self.client.post(
            f"/api/v1/keys/invites/{invite_id}/accept",
            json={"share_code": code, "public_key": phone.public_key, "name": "Phone"},
            headers=await self.headers_of(who),
        )
        if answer.status_code == 201:
            phone.certificates[vin] = answer.json()["certificate"]
        return answer

    async def invited_driver(
        self, label: str, phone: SimulatedPhone, **body: Any
    ) -> tuple[Owner, dict[str, Any]]:
        """A new account invited to the car, accepted with the right code."""
        who = await self.person()
        invited = await self.invite(label, who.account.email, **body)
        assert invited.status_code == 201, invited.text
        accepted = await self.accept(
            who, invited.json()["id"], invited.json()["share_code"], phone, self.vin(label)
        )
        assert accepted.status_code == 201, accepted.text
        return who, accepted.json()

    async def revoke(self, label: str, key_id: str) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/vehicles/{self.vin(label)}/keys/{key_id}/revoke",
            headers=await self.owner_headers(label),
        )

    async def car_keys(self, label: str) -> dict[str, Any]:
        answer = await self.client.get(
            f"/api/v1/vehicles/{self.vin(label)}/keys", headers=await self.owner_headers(label)
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def key_state(self, label: str, key_id: str) -> dict[str, Any]:
        keys = (await self.car_keys(label))["keys"]
        return next(k for k in keys if k["id"] == key_id)

    async def confirmed(self, label: str, key_id: str) -> dict[str, Any]:
        """Until the car has confirmed the key's revocation."""
        found: dict[str, Any] = {}

        async def done() -> bool:
            nonlocal found
            found = await self.key_state(label, key_id)
            return found["revocation"] == "confirmed"

        await self.link.until(done, f"the car to confirm the revocation of {key_id}")
        return found


@contextlib.asynccontextmanager
async def key_world(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, clock: ManualClock
) -> AsyncIterator[KeyWorld]:
    """Two cars with the digital key (an NX 450h+ and an RX 450h+), each with a primary owner
    who has the Remote Connect package, a key reader and the tracking handlers."""
    subscribed = Subscribed()
    unregister = connected_services.register_subscription_check(subscribed.check)
    try:
        models = {"car": "NX450HP", "other": "RX450HP"}
        async with remote_link(runtime, client, worker, clock, models) as link:
            for car in link.cars.values():
                car.unit.handlers.update({**KEY_HANDLERS, **SAFETY_HANDLERS})
                KeyReader.provision(car.unit, authority_public_text(runtime.settings, car.vin))
                subscribed.accounts.add(car.owner.account.id)
            yield KeyWorld(link, subscribed)
    finally:
        unregister()
