"""Fast bulk inserts for the large tables (usage, demo data, CSV imports).

ORM unit-of-work and Core ``insert()`` with dicts cost 4–6× the raw driver's ``executemany``
at a million rows (measured; see the CSV issue), so big writes go straight to the DBAPI
cursor of the session's own connection. They stay inside the caller's transaction: a failure
or cancel rolls them back with everything else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    import pandas as pd

_PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s", "numeric": ":{n}"}


def insert_sql(session: Session, table: Table, columns: Sequence[str]) -> str:
    dialect = session.get_bind().dialect
    quote = dialect.identifier_preparer.quote
    style = _PLACEHOLDER.get(dialect.paramstyle, "%s")
    marks = ", ".join(style.format(n=i + 1) for i in range(len(columns)))
    cols = ", ".join(quote(c) for c in columns)
    return f"INSERT INTO {quote(table.name)} ({cols}) VALUES ({marks})"


def bulk_insert(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) in the session's transaction."""
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return 0
    sql = insert_sql(session, table, columns)
    dbapi_conn = session.connection().connection.dbapi_connection
    assert dbapi_conn is not None
    cur = dbapi_conn.cursor()
    try:
        cur.executemany(sql, rows)
    finally:
        cur.close()
    return len(rows)


def column_rows(*columns: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Row tuples from column sequences (numpy arrays become Python scalars via tolist)."""
    lists = [c.tolist() if hasattr(c, "tolist") else list(c) for c in columns]
    return list(zip(*lists, strict=True))


@dataclass(frozen=True)
class Upserted:
    """What one upsert did, counted from the statement itself (never from table totals,
    which other writers change meanwhile on a server)."""

    inserted: int = 0
    updated: int = 0

    def __add__(self, other: Upserted) -> Upserted:
        return Upserted(self.inserted + other.inserted, self.updated + other.updated)


def upsert_rows(
    session: Session,
    table: Table,
    columns: Sequence[str],
    key_columns: Sequence[str],
    rows: list[tuple[Any, ...]],
) -> Upserted:
    """Insert rows, or update the existing row with the same key where a value differs.

    An identical row is left alone (``WHERE … IS DISTINCT FROM``), so re-importing the same
    data changes nothing; the rows neither inserted nor updated are the unchanged ones.
    """
    if not rows:
        return Upserted()
    dialect = session.get_bind().dialect
    quote = dialect.identifier_preparer.quote
    name = quote(table.name)
    values = [c for c in columns if c not in key_columns]
    distinct = "IS NOT" if dialect.name == "sqlite" else "IS DISTINCT FROM"
    conflict = ", ".join(quote(c) for c in key_columns)
    sql = insert_sql(session, table, columns) + f" ON CONFLICT ({conflict})"
    if values:
        sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in values)
        differs = " OR ".join(f"{name}.{quote(c)} {distinct} excluded.{quote(c)}"
                              for c in values)
        sql += f" DO UPDATE SET {sets} WHERE {differs}"
    else:
        sql += " DO NOTHING"
    dbapi_conn = session.connection().connection.dbapi_connection
    assert dbapi_conn is not None
    cur = dbapi_conn.cursor()
    try:
        if dialect.name == "sqlite":
            return _sqlite_upsert(dbapi_conn, cur, name, sql, rows)
        # PostgreSQL: a row the statement inserted has no deleting transaction yet (xmax
        # 0); one it updated carries this transaction's id there.
        if len(rows) >= COPY_FROM and hasattr(cur, "copy"):
            return _copy_upsert(cur, table, columns, sql, rows, quote)
        # psycopg's executemany takes returning=; SQLAlchemy's DBAPICursor protocol has no
        # such keyword (and psycopg's own Cursor type wants a LiteralString query).
        cur.executemany(sql + " RETURNING (xmax = 0)", rows,
                        returning=True)  # type: ignore[call-arg]
        flags: list[bool] = []
        while True:
            flags += [bool(r[0]) for r in cur.fetchall()]
            if not cur.nextset():
                break
        return Upserted(sum(flags), len(flags) - sum(flags))
    finally:
        cur.close()


def _sqlite_upsert(dbapi_conn: Any, cur: Any, name: str, sql: str,
                   rows: list[tuple[Any, ...]]) -> Upserted:
    """SQLite counts the rows a statement inserted or updated (``total_changes``); which
    were inserted is told by their rowid: new rows are numbered after the largest one, and
    the caller's ``BEGIN IMMEDIATE`` keeps every other writer out meanwhile."""
    last = cur.execute(f"SELECT coalesce(max(rowid), 0) FROM {name}").fetchone()[0]
    before = dbapi_conn.total_changes
    cur.executemany(sql, rows)
    changed = int(dbapi_conn.total_changes - before)
    inserted = cur.execute(f"SELECT count(*) FROM {name} WHERE rowid > ?", (last,)).fetchone()[0]
    return Upserted(int(inserted), changed - int(inserted))


COPY_FROM = 2_000  # rows: below this, executemany's round trips cost less than the staging


def _copy_upsert(cur: Any, table: Table, columns: Sequence[str], sql: str,
                 rows: list[tuple[Any, ...]], quote: Any) -> Upserted:
    """PostgreSQL's fast path: COPY the rows into a temporary staging table, then one
    INSERT … SELECT with the same ON CONFLICT clause as the row-by-row statement."""
    import uuid

    stage = quote(f"stage_{uuid.uuid4().hex[:12]}")
    cols = ", ".join(quote(c) for c in columns)
    cur.execute(f"CREATE TEMPORARY TABLE {stage} AS SELECT {cols} FROM {quote(table.name)} "
                "WITH NO DATA")
    with cur.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    head, _, conflict = sql.partition(" VALUES ")
    conflict = conflict[conflict.index(" ON CONFLICT"):]
    cur.execute(f"WITH done AS ({head} SELECT {cols} FROM {stage}{conflict} "
                "RETURNING (xmax = 0) AS new) "
                "SELECT count(*) FILTER (WHERE new), count(*) FILTER (WHERE NOT new) FROM done")
    inserted, updated = cur.fetchone()
    cur.execute(f"DROP TABLE {stage}")
    return Upserted(int(inserted), int(updated))


def read_frame(session: Session, stmt: Any) -> pd.DataFrame:
    """Run a Core select on the raw DBAPI cursor and return a DataFrame.

    Skipping SQLAlchemy's per-row result processing halves the time of large reads; dates
    come back as ISO text on SQLite (``pd.to_datetime`` reads both that and date objects).
    """
    import pandas as pd  # only the analytical services read frames; keep start-up light

    dialect = session.get_bind().dialect
    compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    if dialect.name == "sqlite":
        params = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
    args: Any = [params[k] for k in compiled.positiontup] if compiled.positional else params
    dbapi_conn = session.connection().connection.dbapi_connection
    assert dbapi_conn is not None
    cur = dbapi_conn.cursor()
    try:
        cur.execute(str(compiled), args)
        columns = [d[0] for d in cur.description]
        return pd.DataFrame.from_records(cur.fetchall(), columns=columns)
    finally:
        cur.close()
