"""Waking the console's live streams when a case changes in this process.

A stream polls the case timeline (a short read every ``rules.STREAM_POLL_SECONDS``), which finds
changes made by any process. A change committed by this process (the gateway taking in an
emergency, an agent's action) also wakes every waiting stream at once, so the console sees a new
case in milliseconds rather than after the next poll. The case timeline marks the session
(``mark_changed``); the database's commit listener wakes the streams only for sessions so
marked, so telemetry and the rest of the platform's commits cost the streams nothing."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Iterator

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.db import Database

CHANGED = "safety.case_changed"


def mark_changed(session: AsyncSession) -> None:
    session.info[CHANGED] = True


class _Changes:
    def __init__(self) -> None:
        self._listening: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    def committed(self, session: AsyncSession) -> None:
        if not session.info.pop(CHANGED, False):
            return
        for loop, changed in list(self._listening):
            # A stream may run on another event loop (the server's thread): hand it over.
            loop.call_soon_threadsafe(changed.set)

    @contextlib.contextmanager
    def listen(self) -> Iterator[asyncio.Event]:
        """An event set whenever a case changes in this process, for as long as the block
        runs; the stream clears it before each read, so no change between a read and the wait
        is missed."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        self._listening.add(entry)
        try:
            yield entry[1]
        finally:
            self._listening.discard(entry)


_CHANGES: weakref.WeakKeyDictionary[Database, _Changes] = weakref.WeakKeyDictionary()


def changes(db: Database) -> _Changes:
    """The case changes of ``db``'s process (listening to its commits from the first call)."""
    found = _CHANGES.get(db)
    if found is None:
        found = _CHANGES[db] = _Changes()
        db.on_commit(found.committed)
    return found
