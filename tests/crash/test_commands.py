"""Remote commands survive ``kill -9`` of ``linkplus serve`` in the middle of a burst.

Owners send a burst of commands to their cars through the HTTP API of a real ``serve``; the cars
are simulated telematics units on an external Mosquitto (which outlives the process), verifying
each command's signature and counter as a real unit does. The process is killed once part of
the burst is stored, and started again. Afterwards:

* every command the platform stored ends in a final state (the send and expiry jobs of the
  restarted worker pick up what the dead process left);
* no command is executed twice by a car, and no command reaches a car twice with two different
  counters (a car without a memory of command ids would carry that out twice);
* a command the platform says completed was carried out by the car.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from linkplus.kit.clock import ManualClock
from linkplus.protocol.vehicle import Command
from linkplus.remote import signing
from linkplus.runtime import Runtime
from linkplus.sim.clock import ScaledClock
from linkplus.sim.unit import TelematicsUnit
from linkplus.vehicle_link import credentials
from tests.crash.support import ServeProcess, eventually, open_gateway_session, reader
from tests.remote_e2e.support import make_car
from tests.support import bearer_for
from tests.vehicle_link.support import mosquitto_broker

CARS = 8
TYPES = ("door-unlock", "hazard-lights-on")  # two subsystems: both run at once on a car
KILL_AFTER_STORED = 6
EXPIRY_SECONDS = 120  # longer than a restart takes, even on a loaded machine
FINAL = ("completed", "failed", "expired")
COMMANDS = "SELECT id, vin, state, reason FROM remote_commands"
STORED = "SELECT count(*) FROM remote_commands"
TWINS = "SELECT count(DISTINCT vin) FROM vehicle_twin_signals"


class CarSide:
    """What the cars saw: every signed command that reached a unit (with its counter) and
    every command a unit carried out."""

    def __init__(self) -> None:
        self.deliveries: dict[uuid.UUID, list[int | None]] = defaultdict(list)
        self.executions: Counter[uuid.UUID] = Counter()

    def watch(self, unit: TelematicsUnit) -> None:
        handle = unit.handle

        async def handle_and_record(command: Command) -> None:
            self.deliveries[command.msg_id].append(signing.counter_of(command))
            await handle(command)

        unit.handle = handle_and_record  # type: ignore[method-assign]
        for name, carry_out in list(unit.handlers.items()):
            unit.handlers[name] = self._counting(carry_out)

    def _counting(
        self, carry_out: Callable[[TelematicsUnit, Command], Awaitable[None]]
    ) -> Callable[[TelematicsUnit, Command], Awaitable[None]]:
        async def counted(unit: TelematicsUnit, command: Command) -> None:
            self.executions[command.msg_id] += 1
            await carry_out(unit, command)

        return counted


async def test_a_burst_of_commands_killed_mid_way_ends_final_and_runs_once(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock, tmp_path: Path
) -> None:
    clock.set(datetime.now(UTC))  # the tokens made here must be valid for the real clock
    car_clock = ScaledClock(datetime.now(UTC), 1.0)
    secret = credentials.gateway_secret(runtime.settings)
    # The units need the broker's address before the broker's password file can list them:
    # provision first (make_car), then start Mosquitto, then point the units at it.
    placeholder = None
    cars = []
    for index in range(CARS):
        cars.append(
            await make_car(
                runtime,
                client,
                car_clock,  # type: ignore[arg-type]
                placeholder,  # type: ignore[arg-type]
                label=f"car{index}",
                model_code="NX450HP",
            )
        )
    async with runtime.db.transaction() as session:
        entries = await credentials.broker_password_entries(session)
    side = CarSide()
    with mosquitto_broker(entries, secret) as (vehicles, gateway):
        # The cars' first status goes out as soon as they connect: keep it for the gateway.
        await open_gateway_session(gateway, secret)
        stop = asyncio.Event()
        for car in cars:
            car.unit.address = vehicles
            side.watch(car.unit)
        units = [asyncio.create_task(car.unit.run(stop)) for car in cars]
        serve = ServeProcess(
            tmp_path,
            runtime.settings.resolved_database_url,
            secret_key=runtime.settings.resolved_secret_key,
            mqtt_url=f"mqtt://{gateway.host}:{gateway.port}",
            command_expiry_seconds=str(EXPIRY_SECONDS),
            job_lease_seconds="5",
        )
        headers = {car.vin: await bearer_for(runtime, car.owner.account) for car in cars}
        async with reader(runtime.settings.resolved_database_url) as read:
            try:
                await serve.start()

                async def every_car_reported() -> bool:
                    return int(await read.value(TWINS)) >= CARS

                await eventually(every_car_reported, within=30, what="the cars' first status")

                answers: list[httpx.Response | BaseException] = []

                async def send(vin: str, kind: str) -> None:
                    async with httpx.AsyncClient(base_url=serve.url, timeout=20) as http:
                        try:
                            answers.append(
                                await http.post(
                                    f"/api/v1/vehicles/{vin}/commands",
                                    json={"type": kind},
                                    headers=headers[vin],
                                )
                            )
                        except httpx.HTTPError as exc:  # the process died under the request
                            answers.append(exc)

                burst = asyncio.gather(*(send(car.vin, kind) for car in cars for kind in TYPES))

                async def part_stored() -> bool:
                    return int(await read.value(STORED)) >= KILL_AFTER_STORED

                await eventually(part_stored, within=30, what="part of the burst", every=0.02)
                serve.kill()
                at_kill = Counter(row.state for row in await read.rows(COMMANDS))
                await burst
                killed = time.monotonic()
                await serve.start()
                restart_seconds = time.monotonic() - killed

                async def all_final() -> bool:
                    rows = await read.rows(COMMANDS)
                    return all(row.state in FINAL for row in rows)

                await eventually(
                    all_final, within=EXPIRY_SECONDS + 30, what="every command final", every=0.3
                )
                commands = await read.rows(COMMANDS)
            finally:
                serve.stop()
                stop.set()
                await asyncio.gather(*units, return_exceptions=True)

    accepted = [
        uuid.UUID(answer.json()["id"])
        for answer in answers
        if isinstance(answer, httpx.Response) and answer.status_code == 202
    ]
    states = {uuid.UUID(str(row.id)): (row.state, row.reason) for row in commands}
    assert set(accepted) <= set(states), "a command the API accepted was not stored"
    assert all(state in FINAL for state, _ in states.values())
    twice = {msg_id: n for msg_id, n in side.executions.items() if n > 1}
    assert not twice, f"commands carried out more than once: {twice}"
    resigned = {
        msg_id: counters for msg_id, counters in side.deliveries.items() if len(set(counters)) > 1
    }
    assert not resigned, f"commands delivered again under a new counter: {resigned}"
    completed = {msg_id for msg_id, (state, _) in states.items() if state == "completed"}
    assert completed <= set(side.executions), "completed without the car carrying it out"
    outcome = Counter(state for state, _ in states.values())
    redelivered = sum(len(c) - 1 for c in side.deliveries.values())
    print(
        f"commands stored: {len(states)}; at the kill: {dict(at_kill)}; "
        f"in the end: {dict(outcome)}; delivered again: {redelivered}; "
        f"restart took {restart_seconds:.0f} s"
    )
