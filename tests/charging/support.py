"""Helpers for the charging tests: a charger registered as the factory does, an owner with a
plug-in car, and the platform served over a real socket for the chargers' WebSockets."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from linkplus.app import create_app
from linkplus.charging import service
from linkplus.models.accounts import Account
from linkplus.runtime import Runtime
from linkplus.serving import WEBSOCKETS
from tests.garage.support import Car, make_car, owner_with_car
from tests.support import make_owner

BEV = "RZ450E"
PHEV = "NX450HP"
HYBRID = "NX350H"


@dataclass
class Label:
    """What is printed on a charger."""

    identity: str
    activation_code: str


async def factory_charger(runtime: Runtime, identity: str) -> Label:
    code = service.new_activation_code()
    async with runtime.db.transaction() as session:
        await service.register_charger(
            session, identity=identity, activation_code=code, now=runtime.clock.now()
        )
    return Label(identity, code)


@dataclass
class Owner:
    account: Account
    headers: dict[str, str]
    car: Car


async def plug_in_owner(runtime: Runtime, client: httpx.AsyncClient, model: str = BEV) -> Owner:
    account = await make_owner(runtime)
    car = await make_car(runtime, model_code=model)
    headers = await owner_with_car(runtime, client, account, car)
    return Owner(account, headers, car)


async def onboard(
    client: httpx.AsyncClient, owner: Owner, label: Label, **body: Any
) -> httpx.Response:
    payload: dict[str, Any] = {
        "identity": label.identity,
        "activation_code": label.activation_code,
        "vins": [owner.car.vin],
        "price_per_kwh": "0.3150",
        **body,
    }
    return await client.post("/api/v1/chargers", json=payload, headers=owner.headers)


@dataclass
class Served:
    url: str  # http://127.0.0.1:port
    ocpp_url: str  # ws://127.0.0.1:port/ocpp
    client: httpx.AsyncClient


@asynccontextmanager
async def served(runtime: Runtime) -> AsyncIterator[Served]:
    """The platform as ``serve`` runs it (central system included, no worker, no vehicle link)
    on a free port, in this event loop."""
    app = create_app(runtime, run_worker=False, run_gateway=False)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, ws=WEBSOCKETS, log_config=None, access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(600):
            if server.started or task.done():
                break
            await asyncio.sleep(0.05)
        assert server.started, "the server did not start"
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            yield Served(url=url, ocpp_url=f"ws://127.0.0.1:{port}/ocpp", client=client)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)
        sock.close()


async def eventually(
    check: Callable[[], Awaitable[bool]], *, what: str, seconds: float = 20
) -> None:
    """Wait until ``check()`` holds; the bound is reached only on failure."""
    for _ in range(int(seconds / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
