"""Engines and the unit of work.

SQLite (the embedded default): WAL, foreign keys on, synchronous=FULL, a busy timeout, and
every write transaction begins IMMEDIATE, so writers queue instead of failing half-way.

PostgreSQL (production): READ COMMITTED plus explicit locks for writers; readers run in
REPEATABLE READ, one snapshot for the whole use case. Every write transaction first
takes `LOCK TABLE journal_entries IN EXCLUSIVE MODE`: ledger writers run one at a time (the
hash chain is a single sequence anyway), readers are never blocked, and a business rule checked
inside a write transaction (a cap, a budget) cannot be raced by another writer. Serialisation
failures and deadlocks, should they still happen, are retried with jittered back-off.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

__all__ = ["Session", "UnitOfWork", "is_transient", "make_engine"]

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000
MAX_ATTEMPTS = 8
_TRANSIENT_PG_STATES = {"40001", "40P01", "55P03"}  # serialisation, deadlock, lock timeout


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine configured for the ledger's rules on SQLite or PostgreSQL."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if url.startswith("postgresql"):
        return create_engine(
            url, isolation_level="READ COMMITTED", pool_pre_ping=True, **kwargs
        )
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql://")


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (IMMEDIATE for writes).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    write = conn.get_execution_options().get("huzhu_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def is_transient(error: DBAPIError) -> bool:
    """Whether retrying the whole transaction may succeed."""
    state = getattr(error.orig, "sqlstate", None)
    if state in _TRANSIENT_PG_STATES:
        return True
    message = str(error.orig).lower()
    return isinstance(error.orig, sqlite3.OperationalError) and (
        "database is locked" in message or "database is busy" in message
    )


class UnitOfWork:
    """One transaction per use case. A use case called inside another joins its transaction,
    so composed use cases commit once, together, or not at all."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write_engine = engine.execution_options(huzhu_write=True)
        self._session: Session | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def write(self, work: Callable[[Session], T], *, lock_ledger: bool = True) -> T:
        """Run `work` in a write transaction, retried as a whole on transient failures."""
        return self._run(work, write=True, lock_ledger=lock_ledger)

    def read(self, work: Callable[[Session], T]) -> T:
        """Run `work` in a read-only transaction: one consistent snapshot on both databases."""
        return self._run(work, write=False, lock_ledger=False)

    @staticmethod
    def _begin_postgresql(session: Session, *, write: bool, lock_ledger: bool) -> None:
        """Writers take the books' lock; readers see one snapshot for all their statements
        (REPEATABLE READ), so figures computed from several queries agree."""
        connection = session.connection()
        if not write:
            connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        elif lock_ledger:
            connection.exec_driver_sql("LOCK TABLE journal_entries IN EXCLUSIVE MODE")

    def _run(self, work: Callable[[Session], T], *, write: bool, lock_ledger: bool) -> T:
        if self._session is not None:  # nested use case: join the outer transaction
            return work(self._session)
        bind = self._write_engine if write else self.engine
        for attempt in range(1, MAX_ATTEMPTS + 1):
            session = Session(bind, expire_on_commit=False, autoflush=False)
            self._session = session
            try:
                with session.begin():
                    if self.dialect == "postgresql":
                        self._begin_postgresql(session, write=write, lock_ledger=lock_ledger)
                    return work(session)
            except DBAPIError as error:
                if attempt == MAX_ATTEMPTS or not is_transient(error):
                    raise
                time.sleep(min(0.5, 0.005 * 2**attempt) * random.random())
            finally:
                self._session = None
                session.close()
        raise AssertionError("unreachable")  # pragma: no cover
