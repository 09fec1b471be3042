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

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, event, false, or_, select, text, tuple_, update
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

from linkplus.config import Settings
from linkplus.kit.spans import Span


def _sqlite_pragmas(busy_seconds: float) -> Callable[[Any, Any], None]:
    def connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling is switched off; the "begin" hook issues BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # How long a transaction waits for the write lock; then "database is locked", which
        # the API answers 503 database_busy with Retry-After (errors.py).
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cursor.close()

    return connect


READ_ONLY = "linkplus_read_only"
"""The execution option ``Database.read()`` sets on its connections."""


def _sqlite_begin(conn: Any) -> None:
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")  # deferred: a WAL reader takes no lock
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, *, pool: bool = True, busy_seconds: float = 30.0) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, poolclass=NullPool if not pool else None)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(busy_seconds))
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


def during_per_car(
    vin_column: Any, time_column: Any, cars: Mapping[str, Iterable[Span]]
) -> ColumnElement[bool]:
    """A row of one of ``cars`` (VIN -> that account's tenure spans) made inside that car's
    spans: how the owner's data export reads a car's history for every car at once."""
    clauses = [and_(vin_column == vin, during(time_column, spans)) for vin, spans in cars.items()]
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


# --- retention: purging in bounded batches ------------------------------------------------


@dataclass(frozen=True)
class PurgeBudget:
    """How much one purge job may change: ``rows`` per statement, ``statements`` per kind of
    data. A table of millions of expired rows is purged over several jobs, each its own short
    transaction, never by one statement that locks and logs them all at once."""

    rows: int
    statements: int

    @classmethod
    def of(cls, settings: Settings) -> PurgeBudget:
        return cls(rows=settings.purge_batch_rows, statements=settings.purge_batches_per_job)


@dataclass(frozen=True)
class Purged:
    rows: int
    more: bool  # the budget ran out with rows perhaps left: run the purge again


async def delete_in_batches(
    session: AsyncSession, *key: Any, where: ColumnElement[bool], budget: PurgeBudget
) -> Purged:
    """Delete the rows that match ``where``, ``budget.rows`` at a time (``DELETE ... WHERE key
    IN (SELECT key ... LIMIT n)``, alike on SQLite and PostgreSQL). ``key`` is the mapped
    column, or columns, of the table's primary key."""
    return await _in_batches(session, key, where, budget, values=None)


async def update_in_batches(
    session: AsyncSession,
    *key: Any,
    where: ColumnElement[bool],
    values: dict[str, Any],
    budget: PurgeBudget,
) -> Purged:
    """``delete_in_batches`` for a purge that clears columns instead of removing rows; ``where``
    must stop matching a row once ``values`` are set, or the purge never ends."""
    return await _in_batches(session, key, where, budget, values=values)


async def _in_batches(
    session: AsyncSession,
    key: tuple[Any, ...],
    where: ColumnElement[bool],
    budget: PurgeBudget,
    *,
    values: dict[str, Any] | None,
) -> Purged:
    model = key[0].class_
    target = key[0] if len(key) == 1 else tuple_(*key)
    total = 0
    for _ in range(budget.statements):
        chosen = target.in_(select(*key).where(where).limit(budget.rows))
        stmt = (
            delete(model).where(chosen)
            if values is None
            else update(model).where(chosen).values(**values)
        )
        result: Any = await session.execute(stmt.execution_options(synchronize_session=False))
        count = int(result.rowcount or 0)
        total += count
        if count < budget.rows:
            return Purged(total, more=False)
    return Purged(total, more=True)
