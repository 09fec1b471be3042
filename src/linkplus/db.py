"""Engine, sessions and the one-transaction-per-unit-of-work scope.

SQLite is tuned for durability and predictable locking: WAL journal, ``synchronous=FULL``, foreign
keys on, a busy timeout, and ``BEGIN IMMEDIATE`` so a transaction takes the write lock up front
instead of failing half-way when it first writes.

Work that only reads takes ``Database.read()``: on SQLite a plain (deferred) transaction, which in
WAL mode waits for no writer and no writer waits for it. The polls that run several times a
second (the worker's idle check, the live streams, the broker's credential look-ups) are reads,
so the write lock is taken only by work that writes: with every poll a ``BEGIN IMMEDIATE``, a
writer (the gateway) waited seconds behind SQLite's busy handler, which is not fair, on a loaded
machine.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, event, false, or_, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import NullPool

from linkplus.kit.spans import Span


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is switched off; the "begin" hook below issues BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


READ_ONLY = "linkplus_read_only"
"""The execution option ``Database.read()`` sets on its connections."""


def _sqlite_begin(conn: Any) -> None:
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")  # deferred: a WAL reader takes no lock
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, *, pool: bool = True) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, poolclass=NullPool if not pool else None)
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if not pool:
        kwargs["poolclass"] = NullPool
    else:
        kwargs.update(pool_size=10, max_overflow=20)
    return create_async_engine(url, **kwargs)


class Database:
    """Owns the engine and hands out transactions."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=True)
        self._readers = async_sessionmaker(
            engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )
        self._commit_listeners: list[Callable[[AsyncSession], None]] = []

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def on_commit(self, listener: Callable[[AsyncSession], None]) -> None:
        """Call ``listener`` after every committed transaction (the worker uses it to wake up)."""
        self._commit_listeners.append(listener)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success, roll back on error; then the commit listeners."""
        async with self.sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        self._committed(session)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A transaction for work that only reads (a live stream's poll, a due-job check): on
        SQLite it takes no write lock and waits for no writer. It is never committed, so a
        write made in it by mistake is never kept; the rows read stay usable afterwards."""
        async with self._readers() as session:
            yield session  # closing the session rolls its transaction back

    async def commit(self, session: AsyncSession) -> None:
        """Commit ``session``'s work so far and tell the commit listeners; the session goes on
        in a new transaction. For the use cases that must make a change durable before an outside
        effect or a refusal in the same unit of work: a remote command stored before it is
        published, a subscription's charge attempt before the provider is called, a counted
        failed sign-in or ownership check before the request is refused."""
        await session.commit()
        self._committed(session)

    def _committed(self, session: AsyncSession) -> None:
        for listener in self._commit_listeners:
            listener(session)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def dialect_insert(session: AsyncSession, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT in the session's dialect, for ``ON CONFLICT DO NOTHING`` / ``DO UPDATE``
    (PostgreSQL and SQLite spell both alike; SQLAlchemy's generic insert has neither)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def during(column: Any, spans: Iterable[Span]) -> ColumnElement[bool]:
    """``column`` lies in one of ``spans`` (start included, end not); no spans match nothing.

    Every per-car read passes the caller's ``garage.tenure.Tenure.spans`` here, so a car's
    history is read only for the stretches the caller had it (docs/garage.md, "Whose data")."""
    clauses = [
        column >= span.start if span.end is None else and_(column >= span.start, column < span.end)
        for span in spans
    ]
    return or_(*clauses) if clauses else false()


# --- what a transaction has read, until it writes ------------------------------------------------

_MEMO = "linkplus.read_memo"


def read_memo(session: AsyncSession) -> dict[Any, Any]:
    """A place to keep what this transaction has computed from its reads (a car's service
    states, asked for by several parts of one page), so the same rows are not read again.

    It is emptied whenever the session writes (a flush, or an INSERT, UPDATE or DELETE run
    through it) and when the transaction ends, so a value in it never outlives the rows it was
    computed from as this transaction sees them. Changes waiting for the next flush (an object
    added, changed or deleted) count as writes already."""
    if session.new or session.dirty or session.deleted:
        session.info.pop(_MEMO, None)
    memo: dict[Any, Any] = session.info.setdefault(_MEMO, {})
    return memo


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_MEMO, None)


def _forget_on_write(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info.pop(_MEMO, None)


event.listen(Session, "after_flush", _forget)
event.listen(Session, "after_commit", _forget)
event.listen(Session, "after_soft_rollback", _forget)
event.listen(Session, "do_orm_execute", _forget_on_write)
