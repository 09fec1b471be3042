"""Reading the killed process's database from the test while it runs: plain reads on an engine
of the test's own, never the platform's write transactions (on SQLite those take the write lock
the process under test needs)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from linkplus.vehicle_link import protocol
from linkplus.vehicle_link.client import BrokerAddress, gateway_client
from linkplus.vehicle_link.gateway import SHARE_GROUP
from linkplus.vehicle_link.protocol import VEHICLE_CHANNELS

SERVE_INSTANCE = "serve"  # the gateway client id ``serve`` uses (vehicle_link.runner)


class Reader:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def rows(self, sql: str, **params: Any) -> Sequence[Row[Any]]:
        async with self.engine.connect() as connection:
            return (await connection.execute(text(sql), params)).all()

    async def value(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as connection:
            return (await connection.execute(text(sql), params)).scalar()


@asynccontextmanager
async def reader(database_url: str) -> AsyncIterator[Reader]:
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        yield Reader(engine)
    finally:
        await engine.dispose()


async def eventually(
    check: Callable[[], Awaitable[bool]], *, within: float, what: str, every: float = 0.1
) -> None:
    """Poll ``check`` until it holds; fail naming ``what`` after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(every)


async def open_gateway_session(address: BrokerAddress, secret: str) -> None:
    """Create the session ``serve``'s gateway resumes, with its subscriptions, and leave it:
    from now on the broker keeps every vehicle message for it."""
    async with gateway_client(address, secret=secret, instance=SERVE_INSTANCE) as client:
        for channel in VEHICLE_CHANNELS:
            await client.subscribe(protocol.subscription(channel, share_group=SHARE_GROUP), qos=1)
