"""The WebSocket side of the central system: ``/ocpp/{charger_id}``, inside ``serve`` (mounted
on the HTTP app) or as the standalone ``linkplus ocpp`` process (``standalone_app``).

A connection is accepted only with a subprotocol we speak (``ocpp2.0.1`` preferred, then
``ocpp1.6``) and HTTP Basic credentials whose user is the charger's identity and whose password
is the one set when it was onboarded (OCPP security profile 1; behind TLS, profile 2). Anything
else is answered 401 (or 400 for no common subprotocol) before the upgrade, and logged."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import structlog
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from linkplus.charging.central import REALM, CentralSystem, choose_subprotocol
from linkplus.charging.schemas import IDENTITY_PATTERN
from linkplus.runtime import Runtime

log = structlog.get_logger("linkplus.charging.ocpp")
PATH = "/ocpp/{charger_id}"
_IDENTITY = re.compile(IDENTITY_PATTERN)


class _Socket:
    """A Starlette WebSocket as the ``ocpp`` library's connection."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket

    async def recv(self) -> str:
        return await self.websocket.receive_text()

    async def send(self, message: str) -> None:
        await self.websocket.send_text(message)


async def _refuse(websocket: WebSocket, status: int, reason: str, charger_id: str) -> None:
    client = websocket.client.host if websocket.client else None
    log.warning("ocpp.refused", charger=charger_id[:64], reason=reason, client=client)
    headers = {"WWW-Authenticate": REALM} if status == 401 else {}
    try:
        await websocket.send_denial_response(Response(status_code=status, headers=headers))
    except RuntimeError:  # a server without the denial-response extension: a plain refusal
        await websocket.close(code=1008)


def ocpp_endpoint(central: CentralSystem):  # type: ignore[no-untyped-def]
    async def endpoint(websocket: WebSocket) -> None:
        charger_id = str(websocket.path_params["charger_id"])
        protocol = choose_subprotocol(list(websocket.scope.get("subprotocols", [])))
        if not _IDENTITY.fullmatch(charger_id):
            await _refuse(websocket, 401, "malformed_identity", charger_id)
            return
        if protocol is None:
            await _refuse(websocket, 400, "no_common_subprotocol", charger_id)
            return
        if not await central.authenticate(charger_id, websocket.headers.get("authorization")):
            await _refuse(websocket, 401, "unknown_charger_or_wrong_password", charger_id)
            return
        await websocket.accept(subprotocol=protocol)
        with suppress(WebSocketDisconnect):
            await central.hold(charger_id, protocol, _Socket(websocket))

    return endpoint


def ocpp_route(central: CentralSystem) -> WebSocketRoute:
    return WebSocketRoute(PATH, ocpp_endpoint(central))


def standalone_app(runtime: Runtime) -> Starlette:
    """Only the central system: for ``linkplus ocpp``, to hold chargers in processes of their
    own (run ``serve`` with ``LINKPLUS_OCPP_ENABLED=false`` then)."""
    central = CentralSystem(runtime)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await central.start()
        try:
            yield
        finally:
            await central.stop()
            await runtime.db.dispose()

    app = Starlette(routes=[ocpp_route(central)], lifespan=lifespan)
    app.state.central = central
    return app
