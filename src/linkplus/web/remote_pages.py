"""Remote control in the Vehicle section: lock, unlock, hazard lights, engine start and stop,
remote climate (basic and advanced) and climate schedules.

What the page offers comes from ``remote.remote_state``: the same rule
(``preconditions.first_refusal``) that refuses a command decides which controls are drawn, and a
function the car cannot run at all is named with its cause (the market's law, a service not
active, the model) instead of a button that can only be refused.

Each button is an ordinary form with the CSRF token: it asks ``remote.service`` for the command
and redirects to the car's remote-control page, which shows how far the command got. That page
works without JavaScript (reload it to see the next step); with it, ``static/remote.js`` follows
the car's commands over server-sent events (the stream below, authenticated by the sign-in
cookie) and counts down the time left for hazard lights and climate.

Only the car's primary account sees and uses the controls, as in the API.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import NotFound
from linkplus.garage import service as garage
from linkplus.garage.deps import CallerVehicle
from linkplus.remote import climate_schedules
from linkplus.remote import service as remote
from linkplus.remote.errors import ScheduleNotFound
from linkplus.remote.preconditions import CommandType, Refusal
from linkplus.remote.preconditions import message as remote_message
from linkplus.remote.recurrence import WEEKDAYS
from linkplus.remote.schemas import (
    ChangeNumber,
    CommandIn,
    CommandOut,
    RemoteStateOut,
    ScheduleIn,
    ScheduleUpdate,
)
from linkplus.runtime import Runtime
from linkplus.web.cars import car_name, primary_car, visitor_car
from linkplus.web.forms import field_errors
from linkplus.web.i18n import N_
from linkplus.web.rendering import gettext, ngettext, see_other, translated
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

# The commands the forms send (any other action is a 404); the buttons' words are the
# template's (``remote/_controls.html``).
LABELS: dict[CommandType, str] = {
    CommandType.door_lock: "Lock",
    CommandType.door_unlock: "Unlock",
    CommandType.hazard_lights_on: "Hazard lights",
    CommandType.engine_start: "Start engine",
    CommandType.engine_stop: "Stop engine",
    CommandType.climate_start: "Start climate",
    CommandType.climate_renew: "Renew climate",
    CommandType.climate_stop: "Stop climate",
}
TEMPERATURES = tuple(16 + step / 2 for step in range(29))  # 16 to 30 °C in half degrees
DEFAULT_TEMPERATURE = 21.0
SEAT_LEVELS = (
    ("", N_("Leave as it is")),
    ("0", N_("Off")),
    ("1", N_("Low")),
    ("2", N_("Medium")),
    ("3", N_("High")),
)

# Each function the page can offer, by the command whose availability decides it, with the name
# an owner knows it by (for the list of what this car cannot do, and why).
ADVANCED = "advanced-climate"
FUNCTIONS: tuple[tuple[str, str], ...] = (
    (CommandType.door_lock.value, N_("Lock and unlock")),
    (CommandType.hazard_lights_on.value, N_("Hazard lights")),
    (CommandType.engine_start.value, N_("Engine start and stop")),
    (CommandType.climate_start.value, N_("Remote climate with the last trip's settings")),
    (ADVANCED, N_("Advanced remote climate and climate schedules")),
)

STATE_LABELS = {
    "accepted": N_("Accepted"),
    "sent": N_("Sent to the car"),
    "acknowledged": N_("The car has it"),
    "completed": N_("Completed"),
    "failed": N_("Failed"),
    "expired": N_("The car did not answer"),
}
STEPS = ("accepted", "sent", "acknowledged", "completed")

# The commands' names (``remote.service.TITLES``) and the refusals' messages
# (``preconditions.MESSAGES``) as the remote domain writes them, marked here for the catalogue:
# the pages show the domain's English through ``| translated``, and ``remote.js`` reads these in
# the page's language from the panel's data attributes. ``tests/web/test_i18n.py`` holds them
# equal to the domain's words, so a changed sentence cannot fall out of the catalogue unseen.
TITLES: dict[CommandType, str] = {
    CommandType.door_lock: N_("Lock"),
    CommandType.door_unlock: N_("Unlock"),
    CommandType.hazard_lights_on: N_("Hazard lights"),
    CommandType.engine_start: N_("Engine start"),
    CommandType.engine_stop: N_("Engine stop"),
    CommandType.climate_start: N_("Climate"),
    CommandType.climate_renew: N_("Climate renewal"),
    CommandType.climate_stop: N_("Climate stop"),
}
REFUSALS: dict[Refusal, str] = {
    Refusal.door_open: N_(
        "A door, the boot or the bonnet is open. Close it, then lock the car again."
    ),
    Refusal.smart_key_inside: N_(
        "The smart key is inside the car. Take it out of the car, then lock it again."
    ),
    Refusal.alarm_set: N_(
        "The car alarm has gone off, so the car cannot be unlocked remotely. Go to the car and "
        "unlock it with the key."
    ),
    Refusal.locked_with_physical_key: N_(
        "The car was locked with the physical key, so it cannot be unlocked remotely. Unlock it"
        " with the key."
    ),
    Refusal.battery_too_low: N_(
        "The battery charge is below the minimum remote climate needs. Charge the car, then try"
        " again."
    ),
    Refusal.too_cold: N_(
        "It is below -10 °C outside; remote climate does not run on a plug-in hybrid in that "
        "cold. Start the car to heat it."
    ),
    Refusal.climate_not_allowed_in_market: N_(
        "Remote climate starts the engine of this car, which the law of the country the car is "
        "registered in does not allow. Electric and plug-in hybrid cars are not affected."
    ),
    Refusal.renewals_used_up: N_(
        "Remote climate has already been renewed as often as this car allows. Let it finish, "
        "then start it again."
    ),
    Refusal.climate_not_running: N_("Remote climate is not running. Start it first."),
    Refusal.engine_not_running: N_("The engine is not running, so there is nothing to stop."),
    Refusal.hazard_lights_running: N_(
        "The hazard lights are already flashing. They can be switched on again once their 60 "
        "seconds are over."
    ),
    Refusal.not_supported: N_(
        "This car does not support this remote function. Ask your retailer what your car offers."
    ),
    Refusal.service_not_active: N_(
        "The connected service for this function is not active for this car. Activate it in the"
        " Connected Services Centre."
    ),
    Refusal.vehicle_asleep: N_(
        "The car has not been used for more than 9 days and has gone to sleep to protect its "
        "battery. Start the engine once to wake it up."
    ),
    Refusal.stolen_vehicle_tracking: N_(
        "Stolen vehicle tracking is active for this car, so remote functions are switched off. "
        "Reactivate them once the car is back in your possession."
    ),
    Refusal.no_answer: N_(
        "The car did not answer in time, perhaps because it has no mobile coverage. Try again "
        "when the car has signal."
    ),
    Refusal.rejected_by_car: N_(
        "The car refused the command as not valid for it. Try again; if it keeps happening, "
        "contact support."
    ),
    Refusal.failed_in_car: N_("The car could not carry out the command. Try again later."),
}


RENEWALS_SHOWN = 10  # more climate renewals than any model allows


def renewals_left(count: int) -> str:
    return ngettext("(%(num)s renewal left)", "(%(num)s renewals left)", count) % {"num": count}


def remote_path(vin: str, *rest: str) -> str:
    return "/".join(("/vehicle", vin, "remote", *rest))


@dataclass(frozen=True)
class Unavailable:
    """A function this car cannot run at all, and why (the refusal's own message)."""

    name: str
    code: str
    reason: str


@dataclass(frozen=True)
class Panel:
    """Everything the controls and the progress need (``templates/remote/_controls.html``)."""

    vin: str
    controls: dict[str, bool]  # API command type -> offered (``remote`` decides)
    advanced_climate: bool
    state: RemoteStateOut
    command: CommandOut | None  # the one this page follows (just sent, or asked for)
    recent: list[CommandOut]
    unavailable: list[Unavailable]
    # What the templates draw the controls with, wherever the panel is included.
    temperatures: ClassVar[tuple[float, ...]] = TEMPERATURES
    default_temperature: ClassVar[float] = DEFAULT_TEMPERATURE
    seat_levels: ClassVar[tuple[tuple[str, str], ...]] = SEAT_LEVELS
    state_labels: ClassVar[dict[str, str]] = STATE_LABELS
    steps: ClassVar[tuple[str, ...]] = STEPS

    def words(self) -> dict[str, Any]:
        """What ``remote.js`` writes on the page, in the reader's language (called while the
        page renders): the states, the commands' names, the refusals' messages by code, and
        the climate renewals left for each count the car can have."""
        return {
            "states": {state: translated(label) for state, label in STATE_LABELS.items()},
            "titles": {kind.value: translated(title) for kind, title in TITLES.items()},
            "reasons": {code.value: translated(text) for code, text in REFUSALS.items()},
            "progress": gettext("Progress"),
            "renewals": [renewals_left(count) for count in range(RENEWALS_SHOWN)],
        }

    @property
    def any_control(self) -> bool:
        return any(self.controls.values()) or self.advanced_climate

    @property
    def basic_climate(self) -> bool:
        return self.controls.get(CommandType.climate_start.value, False)

    @property
    def climate(self) -> bool:
        """Some remote climate runs on this car (basic, advanced, or a run to renew or stop)."""
        return self.basic_climate or self.advanced_climate

    @property
    def engine(self) -> bool:
        return self.controls.get(CommandType.engine_start.value, False)

    @property
    def services_would_help(self) -> bool:
        """A function is off only because its connected service is not active."""
        return any(item.code == "service_not_active" for item in self.unavailable)


def unavailable_functions(state: RemoteStateOut) -> list[Unavailable]:
    """The functions the car cannot run at all, each with the cause its refusal names."""
    by_type = {command.type: command for command in state.commands}
    found: list[Unavailable] = []
    for key, name in FUNCTIONS:
        if key == ADVANCED:
            if state.advanced_climate_offered:
                continue
            code, reason = state.advanced_climate_code, state.advanced_climate_message
        else:
            command = by_type[key]
            if command.offered:
                continue
            code, reason = command.code, command.message
        if code is not None and reason is not None:
            found.append(Unavailable(name, code, reason))
    return found


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
        unavailable=unavailable_functions(state),
    )


async def car_page_panel(
    session: AsyncSession, runtime: Runtime, caller: CallerVehicle
) -> Panel | None:
    """The controls for the car page (``garage/car.html`` includes ``remote/_controls.html``):
    for the primary account only, drawn from the same availability as the remote page."""
    if not caller.is_primary:
        return None
    return await remote_panel(session, runtime, caller)


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
        state_labels=STATE_LABELS,
        remote_page=True,
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


CLIMATE_FIELDS = (
    "temperature_c",
    "seat_heating_driver",
    "seat_heating_passenger",
    "seat_ventilation_driver",
    "seat_ventilation_passenger",
    "steering_wheel_heating",
    "defrost_front",
    "defrost_rear",
)


def climate_settings_from(fields: dict[str, str]) -> dict[str, Any]:
    """The advanced climate settings a form names (``ClimateSettings``' shape); a field left
    empty or unticked is left out, so nothing chosen means basic climate."""
    settings: dict[str, Any] = {}
    if fields.get("temperature_c"):
        settings["temperature_c"] = fields["temperature_c"]
    for group in ("seat_heating", "seat_ventilation"):
        seats = {
            seat: fields[f"{group}_{seat}"]
            for seat in ("driver", "passenger")
            if fields.get(f"{group}_{seat}")
        }
        if seats:
            settings[group] = seats
    if fields.get("steering_wheel_heating"):
        settings["steering_wheel_heating"] = True
    defrost = {side: True for side in ("front", "rear") if fields.get(f"defrost_{side}")}
    if defrost:
        settings["defrost"] = defrost
    return settings


def _command_from(command_type: CommandType, fields: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {"type": command_type.value}
    if command_type is CommandType.climate_start:
        body.update(climate_settings_from(fields))
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
    fields = {name: form_text(form, name) for name in CLIMATE_FIELDS}
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
            error=next(iter(errors.values()), N_("This value is not valid.")),
            errors=errors,
            values=fields,
        )
    outcome = await attempt(
        session, visitor, remote.submit(session, runtime, caller, body, idempotency_key=None)
    )
    if isinstance(outcome, Refused):
        caller = await primary_car(session, owner_account(visitor), vin, otherwise=None)
        return await _page(
            request,
            visitor,
            session,
            runtime,
            caller,
            status=outcome.status,
            error=outcome.detail,
            values=fields,
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
    ``max_events`` ends the stream after that many events (scripts and tests).

    Every connection without ``after`` (the page's first, and each reconnection) starts with
    where the recent commands stand now (``current_states``), so a page that loaded after a
    command's last change, or whose stream dropped it, still shows the outcome; each event
    carries what runs on the car (``running``), so the countdowns and the renewals left come
    from the server, not guesses."""
    caller = await primary_car(session, owner_account(visitor), vin, otherwise=None)
    start = after if after is not None else last_event_id
    if start is None:
        start = await remote.stream_start(session, runtime, vin=caller.vehicle.vin)
    renewals = caller.model.climate_renewals
    # ``after`` asks for exactly the changes after that number (scripts, tests): no summary.
    current = (
        []
        if after is not None
        else await remote.current_states(
            runtime, vin=caller.vehicle.vin, tenure=caller.tenure, climate_renewals=renewals
        )
    )
    changes = remote.command_events(
        runtime,
        vin=caller.vehicle.vin,
        tenure=caller.tenure,
        after_id=start,
        max_events=max_events,
        disconnected=request.is_disconnected,
        climate_renewals=renewals,
    )

    async def events() -> AsyncIterator[str]:
        for event in current:
            yield event
        async for event in changes:
            yield event

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# --- climate schedules ----------------------------------------------------------------------------

SCHEDULE_NOTICES = {
    "created": N_("The schedule is saved. Climate starts at the time you chose."),
    "paused": N_("The schedule is paused."),
    "resumed": N_("The schedule is on again."),
    "deleted": N_("The schedule is deleted."),
}
SCHEDULE_INPUT: TypeAdapter[ScheduleIn] = TypeAdapter(ScheduleIn)


async def _schedules_page(
    request: Request,
    visitor: Visitor,
    session: AsyncSession,
    runtime: Runtime,
    caller: CallerVehicle,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    summary = await garage.vehicle_summary(session, caller)
    refused = await remote.advanced_climate_refusal(session, runtime, caller)
    extra.setdefault("notice", SCHEDULE_NOTICES.get(request.query_params.get("done", "")))
    return render(
        request,
        visitor,
        "remote/schedules.html",
        section="vehicle",
        status=status,
        car=summary,
        name=car_name(summary.model_name, summary.nickname),
        schedules=await climate_schedules.list_schedules(session, runtime, caller),
        refused=None if refused is None else remote_message(refused.code),
        refused_code=None if refused is None else refused.code.value,
        weekdays=WEEKDAYS,
        panel=SchedulePanel(),
        **extra,
    )


@dataclass(frozen=True)
class SchedulePanel:
    """What ``_climate_form.html`` reads when it draws a schedule's climate settings."""

    basic_climate: ClassVar[bool] = False  # a schedule always starts advanced climate
    temperatures: ClassVar[tuple[float, ...]] = TEMPERATURES
    default_temperature: ClassVar[float] = DEFAULT_TEMPERATURE
    seat_levels: ClassVar[tuple[tuple[str, str], ...]] = SEAT_LEVELS


@router.get("/vehicle/{vin}/remote/schedules")
async def schedules_page(
    vin: str, request: Request, visitor: OwnerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise="")
    return await _schedules_page(request, visitor, session, runtime, caller)


SCHEDULE_FIELDS = ("name", "kind", "at", "on_date", *CLIMATE_FIELDS)


def _schedule_from(fields: dict[str, str], weekdays: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": fields["name"],
        "kind": fields["kind"] or "weekly",
        "at": fields["at"],
        "climate": climate_settings_from(fields),
    }
    if body["kind"] == "weekly":
        body["weekdays"] = weekdays
    elif fields["on_date"]:
        body["on_date"] = fields["on_date"]
    return body


@router.post("/vehicle/{vin}/remote/schedules/new")
async def create_schedule(
    vin: str,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise=None)
    fields = {name: form_text(form, name) for name in SCHEDULE_FIELDS}
    weekdays = [day for day in form.getlist("weekdays") if isinstance(day, str)]
    values: dict[str, Any] = {**fields, "weekdays": weekdays}
    try:
        data = SCHEDULE_INPUT.validate_python(_schedule_from(fields, weekdays))
    except ValidationError as exc:
        errors = field_errors(exc)
        return await _schedules_page(
            request,
            visitor,
            session,
            runtime,
            caller,
            status=422,
            error=next(iter(errors.values()), N_("This value is not valid.")),
            errors=errors,
            values=values,
        )
    outcome = await attempt(
        session, visitor, climate_schedules.create_schedule(session, runtime, caller, data)
    )
    if isinstance(outcome, Refused):
        caller = await primary_car(session, owner_account(visitor), vin, otherwise=None)
        return await _schedules_page(
            request,
            visitor,
            session,
            runtime,
            caller,
            status=outcome.status,
            error=outcome.detail,
            values=values,
        )
    return see_other(remote_path(caller.vehicle.vin, "schedules"), done="created")


def _schedule_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ScheduleNotFound() from None


@router.post("/vehicle/{vin}/remote/schedules/{schedule_id}/{change}")
async def change_schedule(
    vin: str,
    schedule_id: str,
    change: str,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """Pause, resume or delete one schedule (a schedule not the caller's is not found)."""
    caller = await primary_car(session, owner_account(visitor), vin, otherwise=None)
    wanted = _schedule_id(schedule_id)
    call: Awaitable[object]
    if change == "delete":
        call = climate_schedules.delete_schedule(session, runtime, caller, wanted)
        done = "deleted"
    elif change in ("pause", "resume"):
        changes = ScheduleUpdate(enabled=change == "resume")
        call = climate_schedules.update_schedule(session, runtime, caller, wanted, changes)
        done = "paused" if change == "pause" else "resumed"
    else:
        raise NotFound("There is no such change for a schedule.")
    outcome = await attempt(session, visitor, call, let_through=(ScheduleNotFound,))
    if isinstance(outcome, Refused):
        caller = await primary_car(session, owner_account(visitor), vin, otherwise=None)
        return await _schedules_page(
            request, visitor, session, runtime, caller, status=outcome.status, error=outcome.detail
        )
    return see_other(remote_path(caller.vehicle.vin, "schedules"), done=done)
