"""Remote control in the Vehicle section: lock, unlock, hazard lights and remote climate.

Each button is an ordinary form with the CSRF token: it asks ``remote.service`` for the command
and redirects to the car's remote-control page, which shows how far the command got. That page
works without JavaScript (reload it to see the next step); with it, ``static/remote.js`` follows
the car's commands over server-sent events (the stream below, authenticated by the sign-in
cookie) and counts down the time left for hazard lights and climate.

Only the car's primary account sees and uses the controls, as in the API.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import NotFound
from linkplus.garage import service as garage
from linkplus.garage.deps import CallerVehicle
from linkplus.remote import service as remote
from linkplus.remote.preconditions import CommandType
from linkplus.remote.schemas import ChangeNumber, CommandIn, CommandOut, RemoteStateOut
from linkplus.runtime import Runtime
from linkplus.web.cars import car_name, primary_car, visitor_car
from linkplus.web.forms import field_errors
from linkplus.web.rendering import see_other
from linkplus.web.safety_pages import theft_state
from linkplus.web.sessions import (
    FormDep,
    OwnerDep,
    Refused,
    Visitor,
    attempt,
    form_text,
    owner_account,
    render,
)

router = APIRouter(include_in_schema=False)

COMMAND_INPUT: TypeAdapter[Any] = TypeAdapter(CommandIn)

# The controls this page offers, by the API's command type, with what they need.
LABELS: dict[CommandType, str] = {
    CommandType.door_lock: "Lock",
    CommandType.door_unlock: "Unlock",
    CommandType.hazard_lights_on: "Hazard lights",
    CommandType.climate_start: "Start climate",
    CommandType.climate_renew: "Renew climate",
    CommandType.climate_stop: "Stop climate",
}
TEMPERATURES = tuple(16 + step / 2 for step in range(29))  # 16 to 30 °C in half degrees

STATE_LABELS = {
    "accepted": "Accepted",
    "sent": "Sent to the car",
    "acknowledged": "The car has it",
    "completed": "Completed",
    "failed": "Failed",
    "expired": "The car did not answer",
}
STEPS = ("accepted", "sent", "acknowledged", "completed")


def remote_path(vin: str, *rest: str) -> str:
    return "/".join(("/vehicle", vin, "remote", *rest))


@dataclass(frozen=True)
class Panel:
    """Everything the controls and the progress need (``templates/remote/_panel.html``)."""

    vin: str
    controls: dict[str, bool]  # API command type -> offered (``remote`` decides)
    advanced_climate: bool
    state: RemoteStateOut
    command: CommandOut | None  # the one this page follows (just sent, or asked for)
    recent: list[CommandOut]

    @property
    def any_control(self) -> bool:
        return any(self.controls.values())


async def remote_panel(
    session: AsyncSession,
    runtime: Runtime,
    caller: CallerVehicle,
    *,
    command_id: str | None = None,
) -> Panel:
    """The panel for the car's primary account; ``command_id`` names the command to follow."""
    state = await remote.remote_state(session, runtime, caller)
    recent = await remote.list_commands(session, runtime, caller, limit=5)
    command = None
    if command_id:
        try:
            wanted = uuid.UUID(command_id)
        except ValueError:
            wanted = None
        command = next((c for c in recent if c.id == wanted), None)
        if command is None and wanted is not None:
            try:
                command = await remote.get_command(session, runtime, caller, wanted)
            except NotFound:
                command = None
    return Panel(
        vin=caller.vehicle.vin,
        controls={command.type: command.offered for command in state.commands},
        advanced_climate=state.advanced_climate_offered,
        state=state,
        command=command,
        recent=recent,
    )


async def _page(
    request: Request,
    visitor: Visitor,
    session: AsyncSession,
    runtime: Runtime,
    caller: CallerVehicle,
    *,
    status: int = 200,
    command_id: str | None = None,
    **extra: Any,
) -> Response:
    summary = await garage.vehicle_summary(session, caller)
    return render(
        request,
        visitor,
        "remote/page.html",
        section="vehicle",
        status=status,
        car=summary,
        name=car_name(summary.model_name, summary.nickname),
        remote=await remote_panel(session, runtime, caller, command_id=command_id),
        labels=LABELS,
        state_labels=STATE_LABELS,
        steps=STEPS,
        temperatures=TEMPERATURES,
        theft=await theft_state(session, runtime, caller),
        **extra,
    )


@router.get("/vehicle/{vin}/remote")
async def remote_page(
    vin: str,
    request: Request,
    visitor: OwnerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    command: str | None = None,
) -> Response:
    caller = await visitor_car(session, owner_account(visitor), vin)
    if not caller.is_primary or caller.vehicle.vin != vin:
        return see_other(f"/vehicle/{caller.vehicle.vin}")  # the car page says why
    return await _page(request, visitor, session, runtime, caller, command_id=command)


def _command_from(command_type: CommandType, fields: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {"type": command_type.value}
    temperature = fields.get("temperature_c", "")
    if command_type is CommandType.climate_start and temperature:
        body["temperature_c"] = temperature
    return body


@router.post("/vehicle/{vin}/remote/{action}")
async def send_command(
    vin: str,
    action: str,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise=None)
    command_type = next((t for t in LABELS if t.value == action), None)
    if command_type is None:
        raise NotFound("There is no such remote control on this page.")
    fields = {"temperature_c": form_text(form, "temperature_c")}
    try:
        body = COMMAND_INPUT.validate_python(_command_from(command_type, fields))
    except ValidationError as exc:
        errors = field_errors(exc)
        return await _page(
            request,
            visitor,
            session,
            runtime,
            caller,
            status=422,
            error=next(iter(errors.values()), "This value is not valid."),
            errors=errors,
        )
    outcome = await attempt(
        session, visitor, remote.submit(session, runtime, caller, body, idempotency_key=None)
    )
    if isinstance(outcome, Refused):
        caller = await primary_car(session, owner_account(visitor), vin, otherwise=None)
        return await _page(
            request, visitor, session, runtime, caller, status=outcome.status, error=outcome.detail
        )
    sent, _ = outcome
    return see_other(remote_path(caller.vehicle.vin), command=str(sent.id))


@router.get("/vehicle/{vin}/remote/events")
async def command_events(
    vin: str,
    request: Request,
    visitor: OwnerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    after: Annotated[ChangeNumber | None, Query()] = None,
    last_event_id: Annotated[ChangeNumber | None, Header(alias="Last-Event-ID")] = None,
    max_events: int | None = Query(default=None, ge=1, le=10_000),
) -> StreamingResponse:
    """The car's command changes as server-sent events, for ``remote.js`` (``EventSource``
    sends the sign-in cookie; ``Last-Event-ID`` resumes after a dropped connection).
    ``max_events`` ends the stream after that many events (scripts and tests)."""
    caller = await primary_car(session, owner_account(visitor), vin, otherwise=None)
    start = after if after is not None else last_event_id
    if start is None:
        start = await remote.stream_start(session, runtime, vin=caller.vehicle.vin)
    events = remote.command_events(
        runtime,
        vin=caller.vehicle.vin,
        tenure=caller.tenure,
        after_id=start,
        max_events=max_events,
        disconnected=request.is_disconnected,
    )
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
