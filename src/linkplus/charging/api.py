"""The owner's charging API under /chargers: add a charger with the code on its label, its
cars and price, start and stop charging, the session history (JSON and CSV), weekly windows."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from linkplus.auth.deps import CurrentOwner
from linkplus.charging import service
from linkplus.charging.deps import CallerCharger
from linkplus.charging.schemas import (
    ChargerAddIn,
    ChargerChangeIn,
    ChargerCredentialsOut,
    ChargerOut,
    CommandOut,
    SessionDetailOut,
    SessionOut,
    StartIn,
    WindowIn,
    WindowOut,
)
from linkplus.deps import NowDep, RuntimeDep, SessionDep
from linkplus.errors import problem_responses
from linkplus.kit.parsing import StrictInt

router = APIRouter(tags=["charging"], responses=problem_responses(404, 409))
WindowNumber = Annotated[int, StrictInt(1, service.MAX_WINDOWS), Path()]


@router.get("/chargers")
async def list_chargers(account: CurrentOwner, session: SessionDep) -> list[ChargerOut]:
    """Your home chargers."""
    return await service.list_chargers(session, account)


@router.post("/chargers", status_code=status.HTTP_201_CREATED)
async def add_charger(
    body: ChargerAddIn, account: CurrentOwner, session: SessionDep, runtime: RuntimeDep, now: NowDep
) -> ChargerCredentialsOut:
    """Add a home charger with the identity and activation code on its label, and the cars it
    charges. The answer holds the address and password to enter in the charger's set-up: the
    password is shown only now."""
    charger, password = await service.add_charger(session, account, body, now=now)
    return ChargerCredentialsOut(
        charger=await service.charger_out(session, charger),
        ocpp_url=runtime.settings.resolved_ocpp_url,
        password=password,
    )


@router.get("/chargers/{charger_id}")
async def get_charger(charger: CallerCharger, session: SessionDep) -> ChargerOut:
    """The charger: its cars, price, and what it last reported (connection, status, firmware)."""
    return await service.charger_out(session, charger)


@router.patch("/chargers/{charger_id}")
async def change_charger(
    body: ChargerChangeIn,
    charger: CallerCharger,
    account: CurrentOwner,
    session: SessionDep,
    now: NowDep,
) -> ChargerOut:
    """Rename it, change its price per kWh, or the cars it charges."""
    await service.change_charger(session, account, charger, body, now=now)
    return await service.charger_out(session, charger)


@router.delete("/chargers/{charger_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_charger(charger: CallerCharger, session: SessionDep) -> Response:
    """Remove the charger from your account; its password stops working. Your sessions stay."""
    await service.remove_charger(session, charger)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/chargers/{charger_id}/password")
async def new_password(
    charger: CallerCharger, session: SessionDep, runtime: RuntimeDep
) -> ChargerCredentialsOut:
    """A new password for the charger (enter it in the charger's set-up); the old one stops
    working at its next connection."""
    password = await service.new_password(session, charger)
    return ChargerCredentialsOut(
        charger=await service.charger_out(session, charger),
        ocpp_url=runtime.settings.resolved_ocpp_url,
        password=password,
    )


@router.post("/chargers/{charger_id}/sessions", status_code=status.HTTP_202_ACCEPTED)
async def start_charging(
    body: StartIn, charger: CallerCharger, account: CurrentOwner, session: SessionDep, now: NowDep
) -> CommandOut:
    """Start charging now. 202: the request is on its way to the charger; follow it at
    ``/chargers/{charger_id}/commands/{id}``, and the session appears when the charger starts."""
    command = await service.start_session(session, account, charger, vin=body.vin, now=now)
    return service.command_out(command)


@router.get("/chargers/{charger_id}/sessions")
async def session_history(
    charger: CallerCharger, account: CurrentOwner, session: SessionDep
) -> list[SessionOut]:
    """Your sessions at this charger, newest first, with energy and cost."""
    return await service.session_history(session, account, charger)


@router.get(
    "/chargers/{charger_id}/sessions.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def session_history_csv(
    charger: CallerCharger, account: CurrentOwner, session: SessionDep
) -> Response:
    """The same history as a CSV file (energy in kWh, cost in the currency's main unit)."""
    body = await service.history_csv(session, account, charger)
    return Response(
        content=body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="charging-{charger.identity}.csv"'},
    )


@router.get("/chargers/{charger_id}/sessions/{session_id}")
async def session_detail(
    session_id: uuid.UUID, charger: CallerCharger, account: CurrentOwner, session: SessionDep
) -> SessionDetailOut:
    """One session with its meter values."""
    return await service.session_detail(session, account, charger, session_id)


@router.post(
    "/chargers/{charger_id}/sessions/{session_id}/stop", status_code=status.HTTP_202_ACCEPTED
)
async def stop_charging(
    session_id: uuid.UUID,
    charger: CallerCharger,
    account: CurrentOwner,
    session: SessionDep,
    now: NowDep,
) -> CommandOut:
    """Stop a running session (RemoteStopTransaction / RequestStopTransaction)."""
    command = await service.stop_session(session, account, charger, session_id, now=now)
    return service.command_out(command)


@router.get("/chargers/{charger_id}/commands/{command_id}")
async def get_command(
    command_id: uuid.UUID, charger: CallerCharger, session: SessionDep
) -> CommandOut:
    """A start or stop request and the charger's answer."""
    return service.command_out(await service.get_command(session, charger, command_id))


@router.get("/chargers/{charger_id}/windows")
async def list_windows(charger: CallerCharger, session: SessionDep) -> list[WindowOut]:
    """The charger's weekly charging windows."""
    return await service.list_windows(session, charger)


@router.put("/chargers/{charger_id}/windows/{number}")
async def put_window(
    number: WindowNumber,
    body: WindowIn,
    charger: CallerCharger,
    session: SessionDep,
    now: NowDep,
    response: Response,
) -> WindowOut:
    """Create or replace window ``number`` (1 to 10): on or off, a start and optionally an
    end, the weekdays. 201 when it is new."""
    window, created = await service.put_window(session, charger, number, body, now=now)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return window


@router.delete("/chargers/{charger_id}/windows/{number}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_window(
    number: WindowNumber, charger: CallerCharger, session: SessionDep
) -> Response:
    """Remove a window."""
    await service.delete_window(session, charger, number)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
