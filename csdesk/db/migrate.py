"""Alembic, driven from code: where the scripts are, which revision a database is at, upgrade.

A database whose revision this csdesk does not know was written by a newer csdesk: it is
opened read-only rather than "upgraded" into something neither version understands.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect

from csdesk.errors import MigrationCheckFailed

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# The newest migration this csdesk ships. A book already there opens without loading Alembic
# and its scripts (a third of a second on every command); a test keeps this equal to the
# scripts' head, so a new migration cannot be forgotten here.
SHIPPED_HEAD = "a5c7e9b1d3f4"


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("csdesk") / "migrations"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def script_directory() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None, "csdesk ships at least one migration"
    return head


class SchemaState(enum.Enum):
    EMPTY = "empty"  # no tables at all: a new book
    CURRENT = "current"
    OUTDATED = "outdated"  # older csdesk schema: upgrade after a backup
    NEWER = "newer"  # written by a newer csdesk: read-only
    FOREIGN = "foreign"  # tables but no csdesk revision: not a csdesk book


@dataclass(frozen=True)
class SchemaStatus:
    state: SchemaState
    current: str | None
    head: str


def current_revision(conn: Connection) -> str | None:
    """The revision the book is at (None: no csdesk schema), read without Alembic."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").fetchall()
    return str(rows[0][0]) if len(rows) == 1 else None


def schema_status(conn: Connection) -> SchemaStatus:
    current = current_revision(conn)
    if current == SHIPPED_HEAD:
        return SchemaStatus(SchemaState.CURRENT, current, SHIPPED_HEAD)
    head = head_revision()
    if current is None:
        tables = set(inspect(conn).get_table_names()) - {"alembic_version"}
        state = SchemaState.FOREIGN if tables else SchemaState.EMPTY
        return SchemaStatus(state, None, head)
    if current == head:
        return SchemaStatus(SchemaState.CURRENT, current, head)
    known = {rev.revision for rev in script_directory().walk_revisions()}
    state = SchemaState.OUTDATED if current in known else SchemaState.NEWER
    return SchemaStatus(state, current, head)


def _row_counts(conn: Connection) -> dict[str, int]:
    names = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
    return {t: conn.exec_driver_sql(f'SELECT count(*) FROM "{t}"').scalar_one() for t in names}


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade in one transaction (SQLite and PostgreSQL both have transactional DDL).

    On SQLite, a batch migration rebuilds a table (create a copy, ``DROP`` the original,
    rename): with foreign keys on, that ``DROP`` fires ``ON DELETE CASCADE`` and empties the
    tables that point at it. So foreign keys are switched off for the upgrade (SQLite ignores
    the pragma inside a transaction, hence before it begins), and before committing the
    upgrade must pass ``PRAGMA foreign_key_check`` and keep every table's row count; any
    difference rolls the whole upgrade back and names the table.
    """
    from alembic import command

    cfg = alembic_config()
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        raw = conn.connection.driver_connection if sqlite else None
        if raw is not None:
            conn.rollback()  # no transaction may be open for the pragma to take effect
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                before = _row_counts(conn)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                if sqlite:
                    _verify(conn, before)
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def _verify(conn: Connection, before: dict[str, int]) -> None:
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, _rowid, parent, _fk = broken[0]
        raise MigrationCheckFailed(
            f"the schema upgrade was undone: {len(broken):,} rows of {table} would point at "
            f"missing {parent} rows; the book is unchanged")
    after = _row_counts(conn)
    for table, count in before.items():
        if after.get(table) != count:
            raise MigrationCheckFailed(
                f"the schema upgrade was undone: table {table} would have gone from "
                f"{count:,} to {after.get(table, 0):,} rows; the book is unchanged")
