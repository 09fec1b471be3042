"""Where the sandbox provider keeps its ``sandbox_*`` tables.

A real provider is another system with its own database, and the sandbox behaves like one: it
opens its own transactions, never the platform's. On PostgreSQL it uses the platform's database
(the tables come with migration 0009; row locks keep the two apart). On SQLite it uses a file of
its own beside the platform's, because SQLite has one writer per file and the platform calls the
provider while its request transaction holds that lock: sharing the file, the sandbox would wait
for a request that is waiting for the sandbox.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.db import Database, create_engine
from linkplus.models.base import Base
from linkplus.models.payments import (
    SandboxCard,
    SandboxCardSession,
    SandboxChallenge,
    SandboxCharge,
    SandboxFault,
    SandboxRefund,
)
from linkplus.runtime import Runtime

SANDBOX_TABLES = [
    Base.metadata.tables[model.__tablename__]
    for model in (
        SandboxCardSession,
        SandboxCard,
        SandboxChallenge,
        SandboxCharge,
        SandboxRefund,
        SandboxFault,
    )
]


class SandboxStore:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._own_file = runtime.settings.is_sqlite
        if self._own_file:
            path = runtime.settings.data_dir / "sandbox-pay.db"
            # No pool: nothing stays open between requests, so nothing needs closing at shutdown.
            self.db = Database(create_engine(f"sqlite+aiosqlite:///{path}", pool=False))
        else:
            self.db = runtime.db
        self._ready = not self._own_file
        self._lock = asyncio.Lock()

    async def _prepare(self) -> None:
        async with self._lock:
            if self._ready:
                return
            async with self.db.engine.begin() as conn:
                await conn.run_sync(
                    lambda sync: Base.metadata.create_all(sync, tables=SANDBOX_TABLES)
                )
            self._ready = True

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        if not self._ready:
            await self._prepare()
        async with self.db.transaction() as session:
            yield session
