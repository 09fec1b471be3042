"""Remote control of a car: commands, their live progress, what runs now, climate schedules.

Primary account only (``PrimaryVehicle``): another account's VIN is 404, a secondary account 403.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import problem_responses
from linkplus.garage.deps import PrimaryVehicle
from linkplus.remote import climate_schedules, service
from linkplus.remote.schemas import (
    ChangeNumber,
    CommandIn,
    CommandOut,
    RemoteStateOut,
    ScheduleIn,
    ScheduleOut,
    ScheduleUpdate,
)

# Preconditions and commands in progress (409), rate limits (429).
router = APIRouter(tags=["remote control"], responses=problem_responses(409, 429))


def _links(*targets: tuple[str, str, str]) -> dict[str, Any]:
    """OpenAPI links from a created resource to the operations that take its id (followed by
    clients and by the fuzzer's stateful tests)."""
    return {
        name: {
            "operationId": operation_id,
            "parameters": {"vin": "$request.path.vin", parameter: "$response.body#/id"},
        }
        for name, operation_id, parameter in targets
    }


@router.post(
    "/vehicles/{vin}/commands",
    status_code=202,
    responses={
        202: {"links": _links(("GetCommand", "get_command", "command_id"))},
        200: {
            "model": CommandOut,
            "description": "The earlier command sent with the same Idempotency-Key",
        },
    },
)
async def send_command(
    body: CommandIn,
    car: PrimaryVehicle,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        # Stated for the OpenAPI; the service checks it and names the header when it is wrong.
        Header(alias="Idempotency-Key", json_schema_extra={"pattern": "^[!-~]{1,200}$"}),
    ] = None,
) -> CommandOut:
    """Send a command; 202 with its state, or 200 with the earlier command for a repeated
    ``Idempotency-Key``. Follow it with GET or the event stream."""
    out, created = await service.submit(
        session, runtime, car, body, idempotency_key=idempotency_key
    )
    if not created:
        response.status_code = 200
    return out


@router.get("/vehicles/{vin}/commands")
async def list_commands(
    car: PrimaryVehicle,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[CommandOut]:
    """The car's latest commands, newest first."""
    return await service.list_commands(session, runtime, car, limit=limit)


# One server-sent event as a client reads it: its name, its JSON text and its id.
SSE_EVENT = {
    "type": "object",
    "properties": {
        "event": {"type": "string"},
        "data": {"type": "string"},
        "id": {"type": "string"},
        "retry": {"type": "integer"},
    },
}


@router.get(
    "/vehicles/{vin}/commands/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": SSE_EVENT}}}},
)
async def command_stream(
    car: PrimaryVehicle,
    session: SessionDep,
    runtime: RuntimeDep,
    request: Request,
    max_events: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    after: Annotated[ChangeNumber | None, Query()] = None,
    last_event_id: Annotated[ChangeNumber | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """Server-sent events: every state change of this car's commands (``event: command``), with
    the time left for climate, engine and hazard lights; comment lines keep it alive. The
    request's transaction ends before the stream starts: each poll reads in its own."""
    vin = car.vehicle.vin
    start = after if after is not None else last_event_id
    if start is None:
        start = await service.stream_start(session, runtime, vin=vin)
    events = service.command_events(
        runtime,
        vin=vin,
        tenure=car.tenure,
        after_id=start,
        max_events=max_events,
        disconnected=request.is_disconnected,
        climate_renewals=car.model.climate_renewals,
    )
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/vehicles/{vin}/commands/{command_id}", operation_id="get_command")
async def get_command(
    command_id: uuid.UUID, car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> CommandOut:
    return await service.get_command(session, runtime, car, command_id)


@router.get("/vehicles/{vin}/remote-state")
async def remote_state(
    car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> RemoteStateOut:
    """What runs on the car now (climate, engine, hazard lights) with the seconds left, the
    renewals left, and the commands still on their way."""
    return await service.remote_state(session, runtime, car)


@router.get("/vehicles/{vin}/climate-schedules")
async def list_schedules(
    car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> list[ScheduleOut]:
    return await climate_schedules.list_schedules(session, runtime, car)


@router.post(
    "/vehicles/{vin}/climate-schedules",
    status_code=201,
    responses={
        201: {
            "links": _links(
                ("GetSchedule", "get_climate_schedule", "schedule_id"),
                ("UpdateSchedule", "update_climate_schedule", "schedule_id"),
                ("DeleteSchedule", "delete_climate_schedule", "schedule_id"),
            )
        }
    },
)
async def create_schedule(
    data: ScheduleIn, car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> ScheduleOut:
    return await climate_schedules.create_schedule(session, runtime, car, data)


@router.get("/vehicles/{vin}/climate-schedules/{schedule_id}", operation_id="get_climate_schedule")
async def get_schedule(
    schedule_id: uuid.UUID, car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> ScheduleOut:
    return await climate_schedules.get_schedule(session, runtime, car, schedule_id)


@router.patch(
    "/vehicles/{vin}/climate-schedules/{schedule_id}", operation_id="update_climate_schedule"
)
async def update_schedule(
    schedule_id: uuid.UUID,
    changes: ScheduleUpdate,
    car: PrimaryVehicle,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ScheduleOut:
    return await climate_schedules.update_schedule(session, runtime, car, schedule_id, changes)


@router.delete(
    "/vehicles/{vin}/climate-schedules/{schedule_id}",
    status_code=204,
    operation_id="delete_climate_schedule",
)
async def delete_schedule(
    schedule_id: uuid.UUID, car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> Response:
    await climate_schedules.delete_schedule(session, runtime, car, schedule_id)
    return Response(status_code=204)
