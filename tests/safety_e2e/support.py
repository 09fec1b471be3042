"""The safety services end to end: a simulated car with its safety system, the embedded MQTT
broker, the gateway, the worker, and the staff and owner APIs (tests/remote_e2e/support.py
sets up the link; this adds the car's safety system and the agents).

One ``sim.clock.ManualClock`` is the platform's clock and the car's: moving it runs the car's
retries, its tracking positions and the platform's jobs alike. Waits are for messages crossing
the broker, always bounded."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select

from linkplus.jobs.worker import Worker
from linkplus.models.accounts import StaffAccount, StaffRole
from linkplus.models.safety import SafetyAttempt, SafetyCase, SafetyPosition
from linkplus.models.twin import PositionFix
from linkplus.runtime import Runtime
from linkplus.sim.clock import ManualClock
from linkplus.sim.safety import SAFETY_HANDLERS, SafetySystem
from linkplus.sim.unit import TelematicsUnit
from tests.connected_services.support import activate
from tests.remote_e2e.support import Car, RemoteLink, remote_link
from tests.support import Mailbox, bearer_for, make_staff

LAT = "Vehicle.CurrentLocation.Latitude"


@dataclass
class SafetyLink:
    link: RemoteLink
    agent: StaffAccount  # an emergency agent
    svt: StaffAccount  # a stolen-vehicle agent

    @property
    def runtime(self) -> Runtime:
        return self.link.runtime

    @property
    def client(self) -> httpx.AsyncClient:
        return self.link.client

    @property
    def clock(self) -> ManualClock:
        return self.link.clock

    @property
    def worker(self) -> Worker:
        return self.link.worker

    @property
    def car(self) -> Car:
        return self.link.cars["car"]

    @property
    def vin(self) -> str:
        return self.car.vin

    @property
    def unit(self) -> TelematicsUnit:
        return self.car.unit

    @property
    def safety(self) -> SafetySystem:
        return SafetySystem.of(self.unit)

    async def advance(self, **delta: float) -> None:
        await self.link.advance(**delta)

    async def settle(self) -> None:
        await self.link.settle()

    # --- the staff side --------------------------------------------------------------------

    async def staff(
        self, who: StaffAccount, method: str, path: str, **kwargs: Any
    ) -> httpx.Response:
        return await self.client.request(
            method,
            f"/api/v1/staff/safety{path}",
            headers=await bearer_for(self.runtime, who),
            **kwargs,
        )

    async def queue(self, who: StaffAccount | None = None) -> list[dict[str, Any]]:
        answer = await self.staff(who or self.agent, "GET", "/cases")
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()
        return found

    async def only_case(self, who: StaffAccount | None = None) -> dict[str, Any]:
        cases = await self.queue(who)
        assert len(cases) == 1, cases
        return cases[0]

    async def detail(self, case_id: str, who: StaffAccount | None = None) -> dict[str, Any]:
        answer = await self.staff(who or self.agent, "GET", f"/cases/{case_id}")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def act(
        self, case_id: str, action: str, who: StaffAccount | None = None, **body: Any
    ) -> dict[str, Any]:
        answer = await self.staff(
            who or self.agent, "POST", f"/cases/{case_id}/{action}", json=body
        )
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    # --- the owner's side ------------------------------------------------------------------

    async def owner(self, method: str, tail: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(
            method,
            f"/api/v1/vehicles/{self.vin}/{tail}",
            headers=await self.link.headers("car"),
            **kwargs,
        )

    # --- what is stored --------------------------------------------------------------------

    async def attempts(self) -> list[tuple[int, str]]:
        """Every attempt stored for the car's cases, in order: (number, call state)."""
        async with self.runtime.db.transaction() as session:
            rows = await session.execute(
                select(SafetyAttempt.attempt, SafetyAttempt.call_state)
                .join(SafetyCase, SafetyCase.id == SafetyAttempt.case_id)
                .where(SafetyCase.vin == self.vin)
                .order_by(SafetyAttempt.attempt, SafetyAttempt.id)
            )
            return [(number, call) for number, call in rows.all()]

    async def cases_stored(self) -> int:
        async with self.runtime.db.transaction() as session:
            found = await session.scalar(
                select(func.count()).select_from(SafetyCase).where(SafetyCase.vin == self.vin)
            )
        return int(found or 0)

    async def trail(self, case_id: str) -> list[tuple[float, float]]:
        async with self.runtime.db.transaction() as session:
            rows = await session.execute(
                select(SafetyPosition.latitude, SafetyPosition.longitude)
                .where(SafetyPosition.case_id == uuid.UUID(case_id))
                .order_by(SafetyPosition.ts)
            )
            return [(lat, lon) for lat, lon in rows.all()]

    async def owner_positions(self) -> int:
        """Positions in the owner's history (what privacy mode keeps out)."""
        async with self.runtime.db.transaction() as session:
            found = await session.scalar(
                select(func.count()).select_from(PositionFix).where(PositionFix.vin == self.vin)
            )
        return int(found or 0)

    async def twin_latitude(self) -> Any:
        return await self.link.status_value("car", LAT)


def code_in(mailbox: Mailbox, address: str) -> str:
    text = Mailbox.text(mailbox.last_to(address))
    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)


@asynccontextmanager
async def safety_link(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    clock: ManualClock,
    *,
    model_code: str = "NX450HP",
) -> AsyncIterator[SafetyLink]:
    """One running simulated car (``car``) with its safety system and the tracking commands,
    its owner having activated the complimentary stolen-vehicle tracking, an emergency agent
    and a stolen-vehicle agent."""
    async with remote_link(runtime, client, worker, clock, {"car": model_code}) as link:
        car = link.cars["car"]
        activated = await activate(client, car.owner, car.vin, packages=["svt"])
        assert activated.status_code == 200, activated.text
        unit = car.unit
        unit.handlers.update(SAFETY_HANDLERS)
        SafetySystem.of(unit)
        agent = await make_staff(runtime, role=StaffRole.emergency_agent)
        svt = await make_staff(runtime, role=StaffRole.svt_agent)
        yield SafetyLink(link, agent, svt)
