"""What the owner reads: one command, the recent ones, and what runs on the car and can run now.

Only the commands the caller's account sent in its time with the car (its tenure) are shown.
Availability is decided by the same checks a command gets (``preconditions.check``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.garage.deps import CallerVehicle
from linkplus.remote import repository
from linkplus.remote.errors import CommandNotFound
from linkplus.remote.preconditions import (
    ADVANCED_PROBE,
    NOT_OFFERED,
    Check,
    CommandType,
    RunningState,
    first_refusal,
    message,
    services_needed,
)
from linkplus.remote.schemas import CommandAvailabilityOut, CommandOut, RemoteStateOut
from linkplus.remote.service._common import (
    TITLES,
    _seconds_left,
    active_services,
    car_facts,
    command_out,
    running_state,
    target_of,
)
from linkplus.runtime import Runtime


async def get_command(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, command_id: uuid.UUID
) -> CommandOut:
    row = await repository.get_command(session, command_id)
    if (
        row is None
        or row.vin != caller.vehicle.vin
        or not caller.tenure.owns(row.account_id, row.created_at)
    ):
        raise CommandNotFound()
    return command_out(row, now=runtime.clock.now())


async def list_commands(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, *, limit: int = 20
) -> list[CommandOut]:
    now = runtime.clock.now()
    rows = await repository.recent_commands(
        session,
        caller.vehicle.vin,
        account_id=caller.tenure.account_id,
        spans=caller.tenure.spans,
        limit=limit,
    )
    return [command_out(row, now=now) for row in rows]


async def remote_state(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> RemoteStateOut:
    now = runtime.clock.now()
    vin = caller.vehicle.vin
    row = await repository.vehicle_state(session, vin)
    running = running_state(row)
    climate_until = running.climate_until if running.climate_running(now) else None
    engine_until = running.engine_until if running.engine_running(now) else None
    hazard_until = running.hazard_until if running.hazard_running(now) else None
    used = running.climate_renewals_used if climate_until else 0
    availability = await command_availability(session, runtime, caller, running)
    return RemoteStateOut(
        vin=vin,
        climate_until=climate_until,
        climate_seconds_left=_seconds_left(climate_until, now),
        climate_renewals_left=max(0, caller.model.climate_renewals - used),
        engine_until=engine_until,
        engine_seconds_left=_seconds_left(engine_until, now),
        hazard_until=hazard_until,
        hazard_seconds_left=_seconds_left(hazard_until, now),
        open_commands=[
            command_out(c, now=now)
            for c in await repository.open_commands(session, vin)
            if caller.tenure.owns(c.account_id, c.created_at)
        ],
        commands=[
            _availability(command_type, refused)
            for command_type, refused in availability.commands.items()
        ],
        advanced_climate_offered=availability.advanced_climate_offered,
        advanced_climate_code=(
            availability.advanced_climate.code.value if availability.advanced_climate else None
        ),
        advanced_climate_message=(
            message(availability.advanced_climate.code) if availability.advanced_climate else None
        ),
    )


@dataclass(frozen=True)
class Availability:
    commands: dict[CommandType, Check | None]  # each command's first refusal now, or None
    advanced_climate: Check | None  # an advanced climate start's first refusal now, or None

    @property
    def advanced_climate_offered(self) -> bool:
        return offered(self.advanced_climate)


def offered(refused: Check | None) -> bool:
    """Whether the app offers a function: it may be refused for the moment (a door open), but
    not because the car cannot run it at all (model, market, service)."""
    return refused is None or refused.code not in NOT_OFFERED


async def command_availability(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle, running: RunningState
) -> Availability:
    """What the car can run, by the very rule a command is refused by
    (``preconditions.first_refusal``)."""
    now = runtime.clock.now()
    target = target_of(caller)
    facts = await car_facts(session, runtime, target)
    services: set[str] = set()
    for command_type in CommandType:
        services |= services_needed(command_type, {})
    services |= services_needed(CommandType.climate_start, ADVANCED_PROBE)
    active = await active_services(session, runtime, vin=target.vehicle.vin, services=services)

    def refusal(command_type: CommandType, params: dict[str, Any]) -> Check | None:
        return first_refusal(command_type, params, facts, running, active_services=active, now=now)

    return Availability(
        commands={command_type: refusal(command_type, {}) for command_type in CommandType},
        advanced_climate=refusal(CommandType.climate_start, ADVANCED_PROBE),
    )


async def advanced_climate_refusal(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> Check | None:
    """Why advanced remote climate (and with it climate schedules) is not offered for the car,
    or None: the same answer ``command_availability`` gives."""
    target = target_of(caller)
    params = ADVANCED_PROBE
    refused = first_refusal(
        CommandType.climate_start,
        params,
        await car_facts(session, runtime, target),
        running_state(await repository.vehicle_state(session, target.vehicle.vin)),
        active_services=await active_services(
            session,
            runtime,
            vin=target.vehicle.vin,
            services=services_needed(CommandType.climate_start, params),
        ),
        now=runtime.clock.now(),
    )
    return None if offered(refused) else refused


def _availability(command_type: CommandType, refused: Check | None) -> CommandAvailabilityOut:
    return CommandAvailabilityOut(
        type=command_type.value,
        title=TITLES[command_type],
        offered=offered(refused),
        ready=refused is None,
        code=refused.code.value if refused is not None else None,
        message=message(refused.code) if refused is not None else None,
    )
