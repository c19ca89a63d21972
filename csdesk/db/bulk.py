"""Fast bulk inserts for the large tables (usage, demo data, CSV imports).

ORM unit-of-work and Core ``insert()`` with dicts cost 4–6× the raw driver's ``executemany``
at a million rows (measured; see the CSV issue), so big writes go straight to the DBAPI
cursor of the session's own connection. They stay inside the caller's transaction: a failure
or cancel rolls them back with everything else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

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
