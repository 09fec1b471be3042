"""Request-scoped dependencies shared by every domain's router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """The request's one transaction, committed before the response is sent."""
    async with runtime.db.transaction() as session:
        yield session


# scope="function": commit (or roll back) before the response leaves, so a client that gets a 2xx
# can rely on the change being stored, and a failed commit becomes an error response.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def get_now(runtime: RuntimeDep) -> datetime:
    return runtime.clock.now()


NowDep = Annotated[datetime, Depends(get_now)]
