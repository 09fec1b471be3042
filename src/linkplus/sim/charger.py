"""A simulated home charger: the ``ocpp`` library as a charging station, over a real WebSocket
(``websockets``), in OCPP 1.6J or 2.0.1, with HTTP Basic auth (security profile 1).

It boots, reports its connector, beats, accepts the central system's remote start and stop,
and meters energy at its power on whatever clock drives it: ``charge_for(seconds)`` advances the
meter and sends the values, so tests and the bench compress time as they like."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import websockets
from ocpp.routing import after as _after
from ocpp.routing import on as _on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201
from websockets.typing import Subprotocol

logging.getLogger("ocpp").setLevel(logging.WARNING)

Handler = TypeVar("Handler", bound=Callable[..., Any])


def on(action: str) -> Callable[[Handler], Handler]:
    decorator: Callable[[Handler], Handler] = _on(action)
    return decorator


def after(action: str) -> Callable[[Handler], Handler]:
    decorator: Callable[[Handler], Handler] = _after(action)
    return decorator


@dataclass
class ChargerSpec:
    identity: str
    password: str
    protocol: str = "ocpp2.0.1"  # or "ocpp1.6"
    vendor: str = "linkplus-sim"
    model: str = "Homecharge 11"
    serial_number: str = "SIM-0001"
    firmware_version: str = "1.4.2"
    power_w: int = 11_000


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def basic_auth(identity: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{identity}:{password}".encode()).decode()


class _Meter:
    def __init__(self, power_w: int) -> None:
        self.power_w = power_w
        self.register_wh = 1_000_000.0  # a meter that has seen some use
        self.charging = False
        self.transaction_id: str | None = None
        self.id_tag: str | None = None
        self.remote_start_id: int | None = None
        self.started = asyncio.Event()
        self.stopped = asyncio.Event()

    def advance(self, seconds: float) -> None:
        if self.charging:
            self.register_wh += self.power_w * seconds / 3600


class _Sim16(ChargePoint16):  # type: ignore[misc]
    def __init__(self, spec: ChargerSpec, connection: Any, meter: _Meter) -> None:
        super().__init__(spec.identity, connection, response_timeout=30)
        self.spec = spec
        self.meter = meter

    @on(Action16.remote_start_transaction)
    async def on_remote_start(self, id_tag: str, **_: Any) -> Any:
        self.meter.id_tag = id_tag
        return result16.RemoteStartTransaction(
            status="Rejected" if self.meter.charging else "Accepted"
        )

    @after(Action16.remote_start_transaction)
    async def start_after_remote(self, id_tag: str, **_: Any) -> None:
        if not self.meter.charging:
            await self.begin(id_tag)

    @on(Action16.remote_stop_transaction)
    async def on_remote_stop(self, transaction_id: int) -> Any:
        ours = self.meter.charging and str(transaction_id) == self.meter.transaction_id
        return result16.RemoteStopTransaction(status="Accepted" if ours else "Rejected")

    @after(Action16.remote_stop_transaction)
    async def stop_after_remote(self, transaction_id: int) -> None:
        if self.meter.charging and str(transaction_id) == self.meter.transaction_id:
            await self.end("Remote")

    async def boot(self) -> str:
        answer = await self.call(
            call16.BootNotification(
                charge_point_vendor=self.spec.vendor,
                charge_point_model=self.spec.model,
                charge_point_serial_number=self.spec.serial_number,
                firmware_version=self.spec.firmware_version,
            )
        )
        await self.status("Available")
        return str(answer.status)

    async def status(self, state: str) -> None:
        await self.call(
            call16.StatusNotification(
                connector_id=1, error_code="NoError", status=state, timestamp=_now()
            )
        )

    async def heartbeat(self) -> None:
        await self.call(call16.Heartbeat())

    async def begin(self, id_tag: str) -> bool:
        answer = await self.call(
            call16.StartTransaction(
                connector_id=1,
                id_tag=id_tag,
                meter_start=int(self.meter.register_wh),
                timestamp=_now(),
            )
        )
        if answer.id_tag_info["status"] != "Accepted":
            await self.call(
                call16.StopTransaction(
                    meter_stop=int(self.meter.register_wh),
                    timestamp=_now(),
                    transaction_id=answer.transaction_id,
                    reason="DeAuthorized",
                )
            )
            return False
        self.meter.transaction_id = str(answer.transaction_id)
        self.meter.charging = True
        await self.status("Charging")
        self.meter.started.set()
        return True

    async def send_meter(self) -> None:
        await self.call(
            call16.MeterValues(
                connector_id=1,
                transaction_id=int(self.meter.transaction_id or 0),
                meter_value=[
                    {
                        "timestamp": _now(),
                        "sampledValue": [
                            {
                                "value": f"{self.meter.register_wh / 1000:.3f}",
                                "measurand": "Energy.Active.Import.Register",
                                "unit": "kWh",
                            },
                            {
                                "value": str(self.meter.power_w),
                                "measurand": "Power.Active.Import",
                                "unit": "W",
                            },
                        ],
                    }
                ],
            )
        )

    async def end(self, reason: str) -> None:
        await self.call(
            call16.StopTransaction(
                meter_stop=int(self.meter.register_wh),
                timestamp=_now(),
                transaction_id=int(self.meter.transaction_id or 0),
                reason=reason,
            )
        )
        self.meter.charging = False
        await self.status("Available")
        self.meter.stopped.set()


class _Sim201(ChargePoint201):  # type: ignore[misc]
    def __init__(self, spec: ChargerSpec, connection: Any, meter: _Meter) -> None:
        super().__init__(spec.identity, connection, response_timeout=30)
        self.spec = spec
        self.meter = meter
        self._seq = itertools.count()

    @on(Action201.request_start_transaction)
    async def on_request_start(
        self, id_token: dict[str, Any], remote_start_id: int, **_: Any
    ) -> Any:
        if self.meter.charging:
            return result201.RequestStartTransaction(status="Rejected")
        self.meter.transaction_id = str(uuid.uuid4())
        self.meter.remote_start_id = remote_start_id
        return result201.RequestStartTransaction(
            status="Accepted", transaction_id=self.meter.transaction_id
        )

    @after(Action201.request_start_transaction)
    async def start_after_request(self, id_token: dict[str, Any], **_: Any) -> None:
        if not self.meter.charging:
            await self.begin(str(id_token["id_token"]), remote=True)

    @on(Action201.request_stop_transaction)
    async def on_request_stop(self, transaction_id: str, **_: Any) -> Any:
        ours = self.meter.charging and transaction_id == self.meter.transaction_id
        return result201.RequestStopTransaction(status="Accepted" if ours else "Rejected")

    @after(Action201.request_stop_transaction)
    async def stop_after_request(self, transaction_id: str, **_: Any) -> None:
        if self.meter.charging and transaction_id == self.meter.transaction_id:
            await self.end("Remote")

    async def boot(self) -> str:
        answer = await self.call(
            call201.BootNotification(
                charging_station={
                    "vendor_name": self.spec.vendor,
                    "model": self.spec.model,
                    "serial_number": self.spec.serial_number,
                    "firmware_version": self.spec.firmware_version,
                },
                reason="PowerUp",
            )
        )
        await self.status("Available")
        return str(answer.status)

    async def status(self, state: str) -> None:
        await self.call(
            call201.StatusNotification(
                timestamp=_now(), connector_status=state, evse_id=1, connector_id=1
            )
        )

    async def heartbeat(self) -> None:
        await self.call(call201.Heartbeat())

    def _meter_value(self) -> list[dict[str, Any]]:
        return [
            {
                "timestamp": _now(),
                "sampled_value": [
                    {
                        "value": round(self.meter.register_wh, 1),
                        "measurand": "Energy.Active.Import.Register",
                        "unit_of_measure": {"unit": "Wh"},
                    },
                    {
                        "value": float(self.meter.power_w),
                        "measurand": "Power.Active.Import",
                        "unit_of_measure": {"unit": "W"},
                    },
                ],
            }
        ]

    def _info(self, **extra: Any) -> dict[str, Any]:
        info: dict[str, Any] = {"transaction_id": self.meter.transaction_id, **extra}
        if self.meter.remote_start_id is not None:
            info["remote_start_id"] = self.meter.remote_start_id
        return info

    async def begin(self, id_tag: str, *, remote: bool = False) -> bool:
        if not remote:
            self.meter.transaction_id = str(uuid.uuid4())
            self.meter.remote_start_id = None
        answer = await self.call(
            call201.TransactionEvent(
                event_type="Started",
                timestamp=_now(),
                trigger_reason="RemoteStart" if remote else "Authorized",
                seq_no=next(self._seq),
                transaction_info=self._info(charging_state="Charging"),
                id_token={"id_token": id_tag, "type": "Central" if remote else "ISO14443"},
                evse={"id": 1, "connector_id": 1},
                meter_value=self._meter_value(),
            )
        )
        if answer.id_token_info["status"] != "Accepted":
            await self.call(
                call201.TransactionEvent(
                    event_type="Ended",
                    timestamp=_now(),
                    trigger_reason="Deauthorized",
                    seq_no=next(self._seq),
                    transaction_info=self._info(stopped_reason="DeAuthorized"),
                )
            )
            return False
        self.meter.charging = True
        self.meter.id_tag = id_tag
        await self.status("Occupied")
        self.meter.started.set()
        return True

    async def send_meter(self) -> None:
        await self.call(
            call201.TransactionEvent(
                event_type="Updated",
                timestamp=_now(),
                trigger_reason="MeterValuePeriodic",
                seq_no=next(self._seq),
                transaction_info=self._info(charging_state="Charging"),
                meter_value=self._meter_value(),
            )
        )

    async def end(self, reason: str) -> None:
        await self.call(
            call201.TransactionEvent(
                event_type="Ended",
                timestamp=_now(),
                trigger_reason="RemoteStop" if reason == "Remote" else "StopAuthorized",
                seq_no=next(self._seq),
                transaction_info=self._info(stopped_reason=reason),
                meter_value=self._meter_value(),
            )
        )
        self.meter.charging = False
        await self.status("Available")
        self.meter.stopped.set()


class SimCharger:
    """One connected simulated charger; ``connect`` opens it, the methods drive it."""

    def __init__(self, spec: ChargerSpec, station: _Sim16 | _Sim201, meter: _Meter) -> None:
        self.spec = spec
        self.station = station
        self.meter = meter

    async def boot(self) -> str:
        return await self.station.boot()

    async def heartbeat(self) -> None:
        await self.station.heartbeat()

    async def start_locally(self, id_tag: str) -> bool:
        """The owner starts at the charger with a card (or the charger's own token)."""
        return await self.station.begin(id_tag)

    async def charge_for(self, seconds: float) -> None:
        """Advance the meter by ``seconds`` of charging at full power and report it."""
        self.meter.advance(seconds)
        if self.meter.charging:
            await self.station.send_meter()

    async def stop_locally(self) -> None:
        if self.meter.charging:
            await self.station.end("Local")

    @property
    def charging(self) -> bool:
        return self.meter.charging


@contextlib.asynccontextmanager
async def connect(spec: ChargerSpec, url: str) -> AsyncIterator[SimCharger]:
    """Open the charger's WebSocket to ``url`` (the central system's, without the identity)."""
    address = f"{url.rstrip('/')}/{spec.identity}"
    async with websockets.connect(
        address,
        subprotocols=[Subprotocol(spec.protocol)],
        additional_headers={"Authorization": basic_auth(spec.identity, spec.password)},
        open_timeout=30,
    ) as connection:
        meter = _Meter(spec.power_w)
        kind = _Sim201 if spec.protocol == "ocpp2.0.1" else _Sim16
        station = kind(spec, connection, meter)
        listener = asyncio.create_task(station.start())
        try:
            yield SimCharger(spec, station, meter)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
                await listener
