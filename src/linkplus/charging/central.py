"""The OCPP central system: the ``ocpp`` library's charge-point classes for 1.6J and 2.0.1 on a
WebSocket, wired to the use cases in ``charging.station``; and the sending of stored commands
to the chargers this process holds.

One process holds a charger's connection; any process may store a command for it. The holder
polls for its chargers' pending commands (``ocpp_poll_seconds``), takes them in a transaction
(so two holders never send one command twice) and records the charger's answer.
"""

from __future__ import annotations

import abc
import asyncio
import base64
import binascii
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import structlog
from ocpp.exceptions import OCPPError
from ocpp.routing import on as _on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v16.enums import AuthorizationStatus, RegistrationStatus
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201

from linkplus.charging import metering, station
from linkplus.models.charging import CommandState
from linkplus.runtime import Runtime

log = structlog.get_logger("linkplus.charging.ocpp")
# The library logs every frame at INFO; the platform logs what matters itself.
logging.getLogger("ocpp").setLevel(logging.WARNING)

OCPP16 = "ocpp1.6"
OCPP201 = "ocpp2.0.1"
SUBPROTOCOLS = (OCPP201, OCPP16)  # our preference when a charger offers both
REALM = 'Basic realm="linkplus OCPP", charset="UTF-8"'

T = TypeVar("T")
Handler = TypeVar("Handler", bound=Callable[..., Any])


def on(action: str) -> Callable[[Handler], Handler]:
    """The library's ``on`` (which marks a method as the handler of an action), typed."""
    decorator: Callable[[Handler], Handler] = _on(action)
    return decorator


class Connection(Protocol):
    """What the ``ocpp`` library needs of a WebSocket."""

    async def recv(self) -> str: ...

    async def send(self, message: str) -> None: ...


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(user, password) of an ``Authorization: Basic`` header, or None."""
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def choose_subprotocol(offered: list[str]) -> str | None:
    for wanted in SUBPROTOCOLS:
        if wanted in offered:
            return wanted
    return None


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _readings(meter_value: list[dict[str, Any]] | None) -> list[metering.Reading]:
    return [metering.read_sample(entry.get("sampled_value", [])) for entry in meter_value or []]


class _Station(abc.ABC):
    """What both versions share: one database transaction per message, on the runtime's clock.
    Each version says how it sends a stored command (``send_command``)."""

    identity: str
    central: CentralSystem

    async def _run(self, use_case: Callable[..., Awaitable[T]], **arguments: Any) -> T:
        runtime = self.central.runtime
        async with runtime.db.transaction() as session:
            return await use_case(session, self.identity, **arguments)

    def _now(self) -> datetime:
        return self.central.runtime.clock.now()

    @abc.abstractmethod
    async def send_command(
        self, action: str, arguments: dict[str, Any], id_tag: str | None
    ) -> tuple[CommandState, str]:
        """Send ``action`` in this version's words; the state it reached and the answer."""


class Station16(_Station, ChargePoint16):  # type: ignore[misc]
    def __init__(self, identity: str, connection: Connection, central: CentralSystem) -> None:
        ChargePoint16.__init__(self, identity, connection, response_timeout=30)
        self.identity = identity
        self.central = central

    @on(Action16.boot_notification)
    async def on_boot(self, charge_point_vendor: str, charge_point_model: str, **extra: Any) -> Any:
        now = self._now()
        await self._run(
            station.boot,
            vendor=charge_point_vendor,
            model=charge_point_model,
            serial_number=extra.get("charge_point_serial_number"),
            firmware_version=extra.get("firmware_version"),
            now=now,
        )
        return result16.BootNotification(
            current_time=_iso(now),
            interval=self.central.runtime.settings.ocpp_heartbeat_seconds,
            status=RegistrationStatus.accepted,
        )

    @on(Action16.heartbeat)
    async def on_heartbeat(self) -> Any:
        now = self._now()
        await self._run(station.heartbeat, now=now)
        return result16.Heartbeat(current_time=_iso(now))

    @on(Action16.status_notification)
    async def on_status(self, connector_id: int, error_code: str, status: str, **_: Any) -> Any:
        await self._run(station.status, state=status, now=self._now())
        return result16.StatusNotification()

    @on(Action16.authorize)
    async def on_authorize(self, id_tag: str) -> Any:
        ok = await self._run(station.may_charge, id_tag=id_tag)
        return result16.Authorize(id_tag_info={"status": _status16(ok)})

    @on(Action16.start_transaction)
    async def on_start(self, connector_id: int, id_tag: str, meter_start: int, **_: Any) -> Any:
        started = await self._run(
            station.start_transaction,
            id_tag=id_tag,
            transaction_id=None,
            remote_start_id=None,
            meter_start_wh=meter_start,
            now=self._now(),
        )
        return result16.StartTransaction(
            transaction_id=int(started.transaction_id),
            id_tag_info={"status": _status16(started.accepted)},
        )

    @on(Action16.meter_values)
    async def on_meter_values(
        self, connector_id: int, meter_value: list[dict[str, Any]], **extra: Any
    ) -> Any:
        transaction = extra.get("transaction_id")
        await self._run(
            station.meter_values,
            transaction_id=None if transaction is None else str(transaction),
            readings=_readings(meter_value),
            now=self._now(),
        )
        return result16.MeterValues()

    @on(Action16.stop_transaction)
    async def on_stop(
        self, meter_stop: int, timestamp: str, transaction_id: int, **extra: Any
    ) -> Any:
        await self._run(
            station.stop_transaction,
            transaction_id=str(transaction_id),
            meter_stop_wh=meter_stop,
            reason=extra.get("reason"),
            now=self._now(),
        )
        return result16.StopTransaction()

    async def send_command(
        self, action: str, arguments: dict[str, Any], id_tag: str | None
    ) -> tuple[CommandState, str]:
        if action == "start":
            answer = await self.call(
                call16.RemoteStartTransaction(id_tag=id_tag or "", connector_id=1), suppress=False
            )
        elif action == "stop":
            answer = await self.call(
                call16.RemoteStopTransaction(transaction_id=int(arguments["transaction_id"])),
                suppress=False,
            )
        else:
            return CommandState.failed, f"unknown action {action}"
        accepted = str(answer.status) == "Accepted"
        return (CommandState.accepted if accepted else CommandState.rejected), str(answer.status)


def _status16(ok: bool) -> str:
    return str(AuthorizationStatus.accepted if ok else AuthorizationStatus.invalid)


class Station201(_Station, ChargePoint201):  # type: ignore[misc]
    def __init__(self, identity: str, connection: Connection, central: CentralSystem) -> None:
        ChargePoint201.__init__(self, identity, connection, response_timeout=30)
        self.identity = identity
        self.central = central

    @on(Action201.boot_notification)
    async def on_boot(self, charging_station: dict[str, Any], reason: str, **_: Any) -> Any:
        now = self._now()
        await self._run(
            station.boot,
            vendor=charging_station.get("vendor_name", ""),
            model=charging_station.get("model", ""),
            serial_number=charging_station.get("serial_number"),
            firmware_version=charging_station.get("firmware_version"),
            now=now,
        )
        return result201.BootNotification(
            current_time=_iso(now),
            interval=self.central.runtime.settings.ocpp_heartbeat_seconds,
            status="Accepted",
        )

    @on(Action201.heartbeat)
    async def on_heartbeat(self, **_: Any) -> Any:
        now = self._now()
        await self._run(station.heartbeat, now=now)
        return result201.Heartbeat(current_time=_iso(now))

    @on(Action201.status_notification)
    async def on_status(self, connector_status: str, **_: Any) -> Any:
        await self._run(station.status, state=connector_status, now=self._now())
        return result201.StatusNotification()

    @on(Action201.authorize)
    async def on_authorize(self, id_token: dict[str, Any], **_: Any) -> Any:
        ok = await self._run(station.may_charge, id_tag=str(id_token.get("id_token", "")))
        return result201.Authorize(id_token_info={"status": "Accepted" if ok else "Invalid"})

    @on(Action201.transaction_event)
    async def on_transaction_event(
        self,
        event_type: str,
        transaction_info: dict[str, Any],
        meter_value: list[dict[str, Any]] | None = None,
        id_token: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        transaction_id = str(transaction_info["transaction_id"])
        readings = _readings(meter_value)
        now = self._now()
        accepted: bool | None = None
        if id_token is not None:
            first = next((r.energy_wh for r in readings if r.energy_wh is not None), None)
            started = await self._run(
                station.start_transaction,
                id_tag=str(id_token.get("id_token", "")),
                transaction_id=transaction_id,
                remote_start_id=transaction_info.get("remote_start_id"),
                meter_start_wh=first,
                now=now,
            )
            accepted = started.accepted
        await self._run(
            station.meter_values, transaction_id=transaction_id, readings=readings, now=now
        )
        if event_type == "Ended":
            await self._run(
                station.stop_transaction,
                transaction_id=transaction_id,
                meter_stop_wh=None,
                reason=transaction_info.get("stopped_reason"),
                now=now,
            )
        if accepted is None:
            return result201.TransactionEvent()
        return result201.TransactionEvent(
            id_token_info={"status": "Accepted" if accepted else "Invalid"}
        )

    @on(Action201.meter_values)
    async def on_meter_values(
        self, evse_id: int, meter_value: list[dict[str, Any]], **_: Any
    ) -> Any:
        return result201.MeterValues()  # outside a transaction: nothing to account

    async def send_command(
        self, action: str, arguments: dict[str, Any], id_tag: str | None
    ) -> tuple[CommandState, str]:
        if action == "start":
            answer = await self.call(
                call201.RequestStartTransaction(
                    id_token={"id_token": id_tag or "", "type": "Central"},
                    remote_start_id=int(arguments["remote_start_id"]),
                    evse_id=1,
                ),
                suppress=False,
            )
        elif action == "stop":
            answer = await self.call(
                call201.RequestStopTransaction(transaction_id=str(arguments["transaction_id"])),
                suppress=False,
            )
        else:
            return CommandState.failed, f"unknown action {action}"
        accepted = str(answer.status) == "Accepted"
        return (CommandState.accepted if accepted else CommandState.rejected), str(answer.status)


Station = Station16 | Station201


class CentralSystem:
    """The chargers this process holds, and the loop that sends them their stored commands."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.stations: dict[str, Station] = {}
        self._dispatcher: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()

    # --- connections ---

    async def authenticate(self, charger_id: str, authorization: str | None) -> bool:
        credentials = basic_credentials(authorization)
        if credentials is None or credentials[0] != charger_id:
            return False
        async with self.runtime.db.read() as session:
            return await station.authenticate(session, charger_id, credentials[1]) is not None

    async def hold(self, charger_id: str, protocol: str, connection: Connection) -> None:
        """Serve one accepted connection until it closes."""
        kind = Station201 if protocol == OCPP201 else Station16
        current = kind(charger_id, connection, self)
        self.stations[charger_id] = current  # a reconnect replaces the old connection
        await self._mark(station.connected, charger_id, protocol=protocol)
        log.info("ocpp.connected", charger=charger_id, protocol=protocol)
        try:
            await current.start()
        finally:
            if self.stations.get(charger_id) is current:
                del self.stations[charger_id]
                with contextlib.suppress(Exception):
                    await self._mark(station.disconnected, charger_id)
            log.info("ocpp.disconnected", charger=charger_id)

    async def _mark(
        self, use_case: Callable[..., Awaitable[None]], charger_id: str, **kw: Any
    ) -> None:
        async with self.runtime.db.transaction() as session:
            await use_case(session, charger_id, now=self.runtime.clock.now(), **kw)

    # --- commands ---

    async def start(self) -> None:
        self._dispatcher = asyncio.create_task(self._dispatch_forever(), name="ocpp-commands")

    async def stop(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
        for task in list(self._sending):
            task.cancel()
        held = set(self.stations)
        self.stations.clear()
        if held:
            with contextlib.suppress(Exception):
                async with self.runtime.db.transaction() as session:
                    await station.all_disconnected(session, held)

    async def _dispatch_forever(self) -> None:
        while True:
            await asyncio.sleep(self.runtime.settings.ocpp_poll_seconds)
            try:
                await self.dispatch_once()
            except Exception:  # a database hiccup must not end the loop
                log.exception("ocpp.dispatch_failed")

    async def dispatch_once(self) -> int:
        """Send every pending command of the chargers held here; returns how many were taken."""
        if not self.stations:
            return 0
        now = self.runtime.clock.now()
        expire = now - timedelta(seconds=self.runtime.settings.ocpp_command_seconds)
        async with self.runtime.db.transaction() as session:
            taken = await station.commands_to_send(
                session, set(self.stations), now=now, expire_before=expire
            )
        for command_id, identity, action, arguments, id_tag in taken:
            task = asyncio.create_task(self._send(command_id, identity, action, arguments, id_tag))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        return len(taken)

    async def _send(
        self,
        command_id: uuid.UUID,
        identity: str,
        action: str,
        arguments: dict[str, Any],
        id_tag: str | None,
    ) -> None:
        held = self.stations.get(identity)
        state, answer = CommandState.failed, "The charger is not connected."
        if held is not None:
            try:
                state, answer = await held.send_command(action, arguments, id_tag)
            except TimeoutError:
                answer = "The charger did not answer."
            except OCPPError as exc:
                answer = f"The charger answered with an error: {exc.__class__.__name__}"
            except Exception as exc:  # the connection went away while we waited
                answer = f"The connection failed: {exc.__class__.__name__}"
        async with self.runtime.db.transaction() as session:
            await station.command_answered(
                session, command_id, state=state, answer=answer, now=self.runtime.clock.now()
            )
        log.info("ocpp.command", charger=identity, action=action, state=state.value)
