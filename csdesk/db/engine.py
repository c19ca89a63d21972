"""Engine factory: SQLite pragmas, real transactions on pysqlite, and PostgreSQL as is.

pysqlite's own transaction handling defers ``BEGIN`` until the first DML statement and
commits silently before DDL, so SAVEPOINT and rollback do not behave as SQLAlchemy expects.
The recipe from SQLAlchemy's SQLite dialect documentation fixes it: turn pysqlite's handling
off (``isolation_level = None``) and emit ``BEGIN`` ourselves. Writers ask for
``BEGIN IMMEDIATE`` (execution option ``csdesk_write``) so they take the write lock up front
instead of failing half-way with "database is locked" when another connection writes first.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import NoSuchModuleError

from csdesk.config import DatabaseLocation
from csdesk.errors import CsdeskError

BUSY_TIMEOUT_MS = 10_000
BUSY_TIMEOUT_ENV = "CSDESK_BUSY_TIMEOUT_MS"  # how long to wait for another writer (tests)
WRITE_OPTION = "csdesk_write"


def busy_timeout_ms() -> int:
    """How long a writer waits for another program's write lock before giving up."""
    try:
        return max(0, int(os.environ.get(BUSY_TIMEOUT_ENV, BUSY_TIMEOUT_MS)))
    except ValueError:
        return BUSY_TIMEOUT_MS


def make_engine(location: DatabaseLocation, *, readonly: bool = False) -> Engine:
    """Create the engine for a database location, configured for csdesk's rules."""
    if not location.is_sqlite:
        try:
            return create_engine(location.url, pool_pre_ping=True)
        except (ImportError, NoSuchModuleError) as exc:
            raise CsdeskError(
                f"cannot use {location.display()}: its database driver is not installed "
                f"({exc})"
            ) from exc

    timeout_ms = busy_timeout_ms()
    engine = create_engine(location.url, connect_args={"timeout": timeout_ms / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see module doc)
        cur = dbapi_connection.cursor()
        try:
            if not readonly:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={timeout_ms}")
            cur.execute("PRAGMA synchronous=NORMAL")
            if readonly:
                cur.execute("PRAGMA query_only=ON")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(WRITE_OPTION) and not readonly:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


def writer(engine: Engine) -> Engine:
    """The same engine (same pool) whose transactions begin as writers."""
    return engine.execution_options(**{WRITE_OPTION: True})
