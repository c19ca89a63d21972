"""Copy a whole book from one database to another (SQLite ⇄ PostgreSQL), verified row for row.

``csdesk migrate-to URL`` moves a CSM's SQLite book onto the team's PostgreSQL server; the
reverse takes a snapshot offline. The source is only read. The target must be empty (a new
SQLite file, or a server database with no book in it): it is created at the current schema,
filled table by table in foreign-key order inside one transaction, its id sequences moved
past the copied ids, and then every table is read back from both sides in key order and
compared by digest before the transaction commits. A difference (or any failure) rolls it
back, and a new SQLite file made for the copy is removed: nothing is half copied.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Table, func, select, text, update
from sqlalchemy.orm import Session

from csdesk.config import DatabaseLocation
from csdesk.db.bulk import bulk_insert
from csdesk.db.database import Database
from csdesk.errors import CsdeskError
from csdesk.progress import CancelFn, ProgressFn, Reporter

CHUNK = 20_000


@dataclass(frozen=True)
class CopyReport:
    source: str
    target: str
    rows: dict[str, int]  # table → rows copied (and verified)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _tables() -> list[Table]:
    from csdesk.models import Base

    return list(Base.metadata.sorted_tables)  # parents before children


def _ordered(table: Table) -> Any:
    return select(table).order_by(*table.primary_key.columns)


def _chunks(db: Database | Session, table: Table) -> Iterator[list[tuple[Any, ...]]]:
    """Rows in key order, in chunks; from a book (its own read session) or from an open
    session (which sees what that session wrote but has not committed)."""
    if isinstance(db, Session):
        yield from _session_chunks(db, table)
        return
    with db.read() as s:
        yield from _session_chunks(s, table)


def _session_chunks(s: Session, table: Table) -> Iterator[list[tuple[Any, ...]]]:
    result = s.execute(_ordered(table).execution_options(yield_per=CHUNK))
    for part in result.partitions(CHUNK):
        yield [tuple(row) for row in part]


def table_digest(db: Database | Session, table: Table) -> tuple[int, str]:
    """Row count and a digest of every row's values in key order, comparable across
    dialects (values as the ORM types return them: dates, aware datetimes, dicts)."""
    digest = hashlib.sha256()
    count = 0
    for rows in _chunks(db, table):
        for row in rows:
            digest.update(repr(tuple(_normal(v) for v in row)).encode())
            count += 1
    return count, digest.hexdigest()


def _normal(value: Any) -> Any:
    if hasattr(value, "value") and not isinstance(value, (int, float, str)):
        return value.value  # enums
    if isinstance(value, dict):
        return sorted((k, _normal(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, float):
        return round(value, 9)
    return value


def copy_book(source: Database, target: DatabaseLocation, *,
              progress: ProgressFn | None = None, cancel: CancelFn | None = None
              ) -> CopyReport:
    """Copy every table of ``source`` into the empty book at ``target`` and verify it."""
    if target.url == source.location.url:
        raise CsdeskError("the target is the book being copied; give another database")
    if target.path is not None and target.path.exists() and target.path.stat().st_size:
        raise CsdeskError(f"{target.path} already exists; copy into a new file")
    new_file = target.path is not None and not target.path.exists()
    try:
        return _copy(source, target, Reporter(progress, cancel))
    except BaseException:
        if new_file:  # a failed copy leaves no half-made snapshot behind
            assert target.path is not None
            for leftover in (target.path, *target.path.parent.glob(f"{target.path.name}-*"),
                             *target.path.parent.glob(f"{target.path.name}.lock*")):
                leftover.unlink(missing_ok=True)
        raise


def _copy(source: Database, target: DatabaseLocation, report: Reporter) -> CopyReport:
    tables = _tables()
    with Database.open(target) as dest:
        if dest.readonly:
            raise CsdeskError(f"cannot write to {target.display()}: {dest.readonly_reason}")
        with dest.read() as s:
            held = {t.name: n for t in tables
                    if (n := s.scalar(select(func.count()).select_from(t)))}
        if held:
            raise CsdeskError(f"{target.display()} already holds data ("
                              + ", ".join(f"{n:,} {t}" for t, n in held.items())
                              + "); copy into an empty database")
        counts: dict[str, int] = {}
        with dest.write() as s:
            for i, table in enumerate(tables):
                report.checkpoint(0.6 * i / len(tables), f"Copying {table.name}")
                cols = [c.name for c in table.columns]
                json_at = {j for j, c in enumerate(table.columns) if isinstance(c.type, JSON)}
                selfref = [fk.parent.name for fk in table.foreign_keys
                           if fk.column.table is table]
                later: list[tuple[Any, ...]] = []
                n = 0
                for rows in _chunks(source, table):
                    report.checkpoint(0.6 * i / len(tables), f"Copying {table.name}")
                    if selfref:  # parents may come later in key order: link them after
                        at = [cols.index(c) for c in selfref]
                        later += [(row[cols.index("id")], {
                            **{c: row[cols.index(c)] for c in selfref},
                            # keep what an UPDATE would touch (updated_at) as it was
                            **{c.name: row[cols.index(c.name)] for c in table.columns
                               if c.onupdate is not None}})
                            for row in rows if any(row[j] is not None for j in at)]
                        rows = [tuple(None if j in at else v for j, v in enumerate(row))
                                for row in rows]
                    n += bulk_insert(s, table, cols, [_bind(row, json_at) for row in rows])
                for key, values in later:
                    s.execute(update(table).where(table.c.id == key).values(values))
                counts[table.name] = n
            _move_sequences(s, tables)
            # Verified before the commit: a difference rolls the whole copy back.
            for i, table in enumerate(tables):
                report.checkpoint(0.6 + 0.4 * i / len(tables), f"Verifying {table.name}")
                mine, theirs = table_digest(source, table), table_digest(s, table)
                if mine != theirs:
                    raise CsdeskError(
                        f"verification failed on {table.name}: {mine[0]:,} rows in the "
                        f"source, {theirs[0]:,} in the copy, or their values differ; nothing "
                        "was copied")
    report.checkpoint(1.0, "Copied and verified")
    return CopyReport(source.location.display(), target.display(), counts)


def _bind(row: tuple[Any, ...], json_at: set[int]) -> tuple[Any, ...]:
    """Values as the DBAPI takes them: enums by value, JSON documents as text."""
    import json
    from datetime import datetime

    out: list[object] = []
    for j, v in enumerate(row):
        if j in json_at:
            out.append(None if v is None else json.dumps(v, ensure_ascii=False))
        elif hasattr(v, "value") and not isinstance(v, (int, float, str)):
            out.append(v.value)
        elif isinstance(v, datetime) and v.tzinfo is not None:
            from datetime import UTC

            out.append(v.astimezone(UTC).replace(tzinfo=None))
        else:
            out.append(v)
    return tuple(out)


def _move_sequences(s: Any, tables: list[Table]) -> None:
    """On PostgreSQL, move each id sequence past the copied ids (SQLite needs nothing)."""
    if s.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        if "id" not in table.c or not table.c.id.primary_key:
            continue
        s.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table.name}), 1), "
            f"(SELECT COUNT(*) > 0 FROM {table.name}))"))
