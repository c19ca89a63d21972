"""SQLite behaves transactionally: rollbacks roll back, writers take the lock up front."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select, text

from csdesk.db import Database
from csdesk.models import Account


def _acc(ext: str) -> Account:
    return Account(external_id=ext, name=ext, segment="smb", engagement_model="tech_touch")


def _count(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(Account)) or 0)


@pytest.mark.sqlite_only("SQLite pragmas")
def test_pragmas(db: Database) -> None:
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10_000


def test_an_error_rolls_back_the_whole_write(db: Database) -> None:
    with pytest.raises(RuntimeError), db.write() as s:
        s.add(_acc("A"))
        s.flush()
        s.execute(text("INSERT INTO settings (key, value, updated_at) "
                       "VALUES ('k', '1', '2026-01-01')"))
        raise RuntimeError("crash in the middle")
    assert _count(db) == 0
    with db.read() as s:
        assert s.execute(text("SELECT count(*) FROM settings")).scalar() == 0


def test_savepoint_rolls_back_only_its_part(db: Database) -> None:
    """The pysqlite fix: a SAVEPOINT really rolls back (it silently did not without it)."""
    with db.write() as s:
        s.add(_acc("outer"))
        nested = s.begin_nested()
        s.add(_acc("inner"))
        s.flush()
        nested.rollback()
    with db.read() as s:
        assert list(s.scalars(select(Account.external_id))) == ["outer"]


def test_ddl_inside_a_rolled_back_transaction_is_undone(db: Database) -> None:
    with pytest.raises(RuntimeError), db.write() as s:
        s.execute(text("CREATE TABLE scratch (x INTEGER)"))
        raise RuntimeError
    from sqlalchemy import inspect

    with db.engine.connect() as conn:
        assert not inspect(conn).has_table("scratch")


@pytest.mark.sqlite_only("BEGIN IMMEDIATE and SQLite's file lock")
def test_writers_take_the_write_lock_at_begin(db: Database) -> None:
    """BEGIN IMMEDIATE: a second writer is told at once, not half-way through its work."""
    assert db.path is not None
    with db.write() as s:
        s.add(_acc("A"))
        s.flush()
        other = sqlite3.connect(db.path, timeout=0.05, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        # ...while readers still read the last committed state (WAL).
        assert other.execute("SELECT count(*) FROM accounts").fetchone()[0] == 0
        other.close()
    assert _count(db) == 1
